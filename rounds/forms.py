"""HTML forms of inspection rounds: opening a round, adding a hospital, putting an inspector on a team.

They read and name what was typed; the rules (dates in order, one entry per hospital, chapters of
the round's standard) stay in `rounds.services`, whose ValidationError the views show the same way.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital, Role, User
from common.forms import YearField
from scoring.models import Standard

from .models import RoundHospital

DATE_MESSAGE = _("请填写日期，格式如 2026-05-31。")


def _date_field() -> forms.DateField:
    return forms.DateField(error_messages={"required": DATE_MESSAGE, "invalid": DATE_MESSAGE})


class RoundCreateForm(forms.Form):
    """Open a round: its name and year, the standard, the self-assessment deadline and the inspection dates."""

    name = forms.CharField(
        max_length=200,
        error_messages={
            "required": _("请填写轮次名称。"),
            "max_length": _("轮次名称最多 %(limit_value)d 个字符（现有 %(show_value)d 个）。"),
        },
    )
    year = YearField()
    standard = forms.ModelChoiceField(
        queryset=Standard.objects.order_by("code"),
        to_field_name="code",
        error_messages={"required": _("请选择评价标准。"), "invalid_choice": _("请选择评价标准。")},
    )
    self_assessment_deadline = _date_field()
    inspection_start = _date_field()
    inspection_end = _date_field()


class RoundHospitalForm(forms.Form):
    """Add a hospital to a round."""

    hospital = forms.ModelChoiceField(
        queryset=Hospital.objects.all(),
        error_messages={"required": _("请选择要添加的医院。"), "invalid_choice": _("请选择要添加的医院。")},
    )


class TeamMemberForm(forms.Form):
    """Put an inspector on a hospital's team: the lead, or a member for some chapters of the round's standard."""

    inspector = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.INSPECTOR),
        error_messages={"required": _("请选择质控专家。"), "invalid_choice": _("请选择质控专家。")},
    )
    is_lead = forms.BooleanField(required=False)
    chapters = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        error_messages={"invalid_choice": _("章节“%(value)s”不在本轮次的评价标准中。")},
    )

    def __init__(self, data: Any, *, entry: RoundHospital) -> None:
        super().__init__(data)
        numbers = entry.round.standard.chapters.order_by("number").values_list("number", flat=True)
        self.fields["chapters"].choices = [(str(n), str(n)) for n in numbers]  # type: ignore[attr-defined]
