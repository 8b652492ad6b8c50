"""The filter of the audit log, shared by the QC centre's page, its CSV export and the API."""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import DateFilter, IdFilter

from .models import AuditEvent


def _utc_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class IPAddressFilter(django_filters.CharFilter):
    """An exact IP address; anything else is a form error (the column is an inet on PostgreSQL)."""

    field_class = forms.GenericIPAddressField


class AuditEventFilter(django_filters.FilterSet):
    """Filter events by actor, action (or a family such as ``auth.``), UTC date range, hospital, object, IP and request id.

    Dates are whole UTC days (the log shows UTC times), compared on the stored time so the index serves them.
    """

    actor = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact", label=_("操作人（用户名）"))
    action = django_filters.CharFilter(method="filter_action", label=_("操作"))
    since = DateFilter(method="filter_since", label=_("起始日期（UTC）"))
    until = DateFilter(method="filter_until", label=_("截止日期（UTC，含当日）"))
    # Plain numbers: the log keeps ids even of hospitals and assessments deleted since.
    hospital = IdFilter(field_name="hospital_id", label=_("医院 ID"))
    assessment = IdFilter(field_name="assessment_id", label=_("评审 ID"))
    object_type = django_filters.CharFilter(label=_("对象类型"))
    object_id = django_filters.CharFilter(label=_("对象 ID"))
    ip = IPAddressFilter(label=_("IP 地址"))
    request_id = django_filters.CharFilter(label=_("请求 ID"))

    class Meta:
        model = AuditEvent
        fields = [
            "actor",
            "action",
            "since",
            "until",
            "hospital",
            "assessment",
            "object_type",
            "object_id",
            "ip",
            "request_id",
        ]

    def filter_action(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        # "auth." (ending in a dot) is a family: every sign-in event; anything else one action.
        value = value.strip()
        if not value:
            return queryset
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)

    def filter_since(self, queryset: QuerySet[AuditEvent], name: str, value: datetime.date) -> QuerySet[AuditEvent]:
        return queryset.filter(created_at__gte=_utc_midnight(value))

    def filter_until(self, queryset: QuerySet[AuditEvent], name: str, value: datetime.date) -> QuerySet[AuditEvent]:
        return queryset.filter(created_at__lt=_utc_midnight(value + datetime.timedelta(days=1)))
