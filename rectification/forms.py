"""The QC side's assignment of a rectification item, read through a form so bad input is a field error."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.filters import IdField


class AssignForm(forms.Form):
    """The owner (a user id, or empty for nobody) and the due date."""

    owner = IdField(
        required=False,
        error_messages={key: _("责任人须为该医院麻醉科的人员。") for key in ("invalid", "min_value", "max_value")},
    )
    due_date = forms.DateField(
        input_formats=["%Y-%m-%d"],
        error_messages={key: _("请填写整改期限，格式如 2026-05-31。") for key in ("required", "invalid")},
    )
