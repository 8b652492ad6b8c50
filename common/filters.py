"""Filter fields shared by the list pages and the API: numbers and dates the database can hold.

django-filter's NumberFilter reads any decimal, so `?hospital=99999999999999999999` reached the
database and overflowed its integer column (a 500). These fields refuse such values with a message
naming the parameter: the API answers 400 (DjangoFilterBackend), and the pages re-render their
filter form with the error (`filter_status`).
"""

import datetime
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import YearField

BIGINT_MAX = 2**63 - 1  # ids are bigint columns (DEFAULT_AUTO_FIELD)


class IdField(forms.IntegerField):
    """A database id: a whole number the id column can hold."""

    default_error_messages = {
        "invalid": _("应为有效的编号（正整数）。"),
        "min_value": _("应为有效的编号（正整数）。"),
        "max_value": _("编号过大。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=BIGINT_MAX, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """Rows whose foreign key is this id (a foreign or deleted one simply matches nothing)."""

    field_class = IdField


class YearFilter(django_filters.NumberFilter):
    """Rows of this year (2000–2100)."""

    field_class = YearField


class BoundedDateField(forms.DateField):
    """A calendar day with room for a day after it (the filters compare with the next midnight)."""

    default_error_messages = {"max_value": _("日期超出范围。")}

    def clean(self, value: Any) -> datetime.date | None:
        day = super().clean(value)
        if day is not None and day >= datetime.date.max:
            raise forms.ValidationError(self.error_messages["max_value"], code="max_value")
        return day


class DateFilter(django_filters.DateFilter):
    """A day the filter can compare with (not the calendar's last)."""

    field_class = BoundedDateField


def filter_status(filterset: django_filters.FilterSet) -> int:
    """The status a page answers with its filter form: 400 when a parameter was refused, else 200."""
    return 400 if filterset.is_bound and not filterset.is_valid() else 200
