from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from audit.admin import AuditedModelAdmin

from . import rules
from .facts import CATEGORICAL, NUMERIC
from .models import CriterionRule, DepartmentProfile


@admin.register(DepartmentProfile)
class DepartmentProfileAdmin(AuditedModelAdmin):
    list_display = ("hospital", "year", "updated_at")
    list_filter = ("year", "hospital__level")
    search_fields = ("hospital__name",)
    readonly_fields = ("updated_by", "updated_at")


class CriterionRuleForm(forms.ModelForm):
    class Meta:
        model = CriterionRule
        fields = ("criterion", "valid_from", "rule", "note")

    def clean_rule(self) -> Any:
        rule = self.cleaned_data["rule"]
        try:
            rules.validate(rule, NUMERIC, choices=CATEGORICAL)
        except rules.RuleError as exc:
            raise ValidationError(str(exc)) from exc
        return rule


@admin.register(CriterionRule)
class CriterionRuleAdmin(AuditedModelAdmin):
    form = CriterionRuleForm
    list_display = ("criterion", "valid_from", "note")
    list_filter = ("valid_from",)
    search_fields = ("criterion__code", "note")
