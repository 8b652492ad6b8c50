"""Filters of the rectification list: by status, overdue, hospital and year."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import IdFilter, YearFilter

from .models import ItemStatus, RectificationItem
from .selectors import overdue_q


class RectificationItemFilter(django_filters.FilterSet):
    """Filter rectification items by status, overdue (past due and not verified), hospital and year."""

    status = django_filters.ChoiceFilter(choices=ItemStatus.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("已逾期"))
    # A plain number, so a foreign hospital id and a missing one both give an empty list.
    hospital = IdFilter(field_name="assessment__hospital_id")
    year = YearFilter(field_name="assessment__year")

    class Meta:
        model = RectificationItem
        fields = ["status", "overdue", "hospital", "year"]

    def filter_overdue(self, queryset: QuerySet[RectificationItem], name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())
