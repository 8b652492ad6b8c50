"""Form plumbing shared by the apps' HTML forms: the year field and errors shaped for the templates.

The templates show a list of messages under each field (`errors.year`) and those of no field
under `errors.non_field_errors`; form errors and a service's ValidationError take that one shape.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from .params import YEAR_MAX, YEAR_MIN


class YearField(forms.IntegerField):
    """A year of 2000–2100, with messages that name the year."""

    default_error_messages = {
        "required": _("请填写年度，例如 2026。"),
        "invalid": _("请填写年度，例如 2026。"),
        "min_value": _("年度应在 2000–2100 之间。"),
        "max_value": _("年度应在 2000–2100 之间。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=YEAR_MIN, max_value=YEAR_MAX, **kwargs)


def field_errors(errors: Mapping[str, Iterable[Any]] | ValidationError) -> dict[str, list[str]]:
    """Messages by field, those of no field under "non_field_errors": from `form.errors` or a ValidationError."""
    if isinstance(errors, ValidationError):
        errors = errors.message_dict if hasattr(errors, "error_dict") else {NON_FIELD_ERRORS: errors.messages}
    return {
        ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
        for field, messages in errors.items()
    }


def messages_of(errors: Mapping[str, Iterable[Any]]) -> list[str]:
    """Every message of `errors`, field by field, for a flash message where no field is on the page."""
    return [str(m) for messages in errors.values() for m in messages]
