"""HTML forms of the workspace: opening an assessment, rating a criterion, returning a criterion.

Forms read what people typed and name the field at fault; the rules stay in the services
(scoring's `assessment_create`, `rating_set` and the engine, `criterion_return`), whose
ValidationError the views show by field the same way.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital
from common.forms import YearField
from common.numbers import parse_points
from common.params import MAX_INT
from scoring.models import Standard
from scoring.services import RATING_MESSAGES, REMARK_MAX_CHARS


class AssessmentCreateForm(forms.Form):
    """Open an assessment: a hospital the user may see, a standard, the kind and the year."""

    hospital = forms.ModelChoiceField(
        queryset=Hospital.objects.none(),
        error_messages={"required": _("请选择医院。"), "invalid_choice": _("请选择医院。")},
    )
    standard = forms.ModelChoiceField(
        queryset=Standard.objects.none(),
        to_field_name="code",
        error_messages={"required": _("请选择评价标准。"), "invalid_choice": _("请选择评价标准。")},
    )
    # Which kinds exist, and which this user may open, is the service's to say.
    kind = forms.CharField(required=False)
    year = YearField()

    def __init__(self, data: Any, *, hospitals: QuerySet[Hospital], standards: QuerySet[Standard]) -> None:
        super().__init__(data)
        self.fields["hospital"].queryset = hospitals  # type: ignore[attr-defined]
        self.fields["standard"].queryset = standards  # type: ignore[attr-defined]


class ScoreField(forms.CharField):
    """A score as people type it, with a comma or full-width characters; an exact Decimal, or None if blank."""

    default_error_messages = {"invalid": RATING_MESSAGES["not_a_number"]}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        # People type 7.5, 7,5 or ７．５ (a Chinese input method); the number itself is read as the API reads it.
        text = (super().to_python(value) or "").replace("，", ".").replace(",", ".").replace("．", ".")
        if not text:
            return None
        score = parse_points(text)
        if score is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return score


class RatingForm(forms.Form):
    """One criterion's rating as the chapter form posts it (autosave or plain submit)."""

    # Which ratings exist and how the score follows from them is the engine's to say.
    rating = forms.CharField(error_messages={"required": _("请先选择评定（达标 / 基本达标 / 未达标）。")})
    score = ScoreField(required=False)
    remark = forms.CharField(
        required=False,
        max_length=REMARK_MAX_CHARS,  # the rating service's limit, checked here before anything is loaded
        error_messages={"max_length": _("备注不能超过 %(limit_value)d 字（现为 %(show_value)d 字）。")},
    )
    # The version of the rating the page was showing (0: unrated); blank skips the check for a newer save.
    version = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_INT,
        error_messages={
            key: _("版本号应为不小于 0 的整数，请刷新页面后重试。") for key in ("invalid", "min_value", "max_value")
        },
    )


class CriterionReturnForm(forms.Form):
    """Send a criterion back to the department: the reason it will see, and the page to go back to."""

    reason = forms.CharField(error_messages={"required": _("请填写退回原因。")})
    next = forms.CharField(required=False)
