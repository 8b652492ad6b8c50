"""The one filter of the inbox, shared by the page and the API: read or unread, and kind."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Kind, Notification


class NotificationFilter(django_filters.FilterSet):
    """Filter notifications by unread (true: unread only; false: read only) and by kind."""

    unread = django_filters.BooleanFilter(method="filter_unread", label=_("未读"))
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("类型"))

    class Meta:
        model = Notification
        fields = ["unread", "kind"]

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: Any) -> QuerySet[Notification]:
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)
