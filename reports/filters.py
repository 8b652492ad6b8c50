"""Filters of the report list, shared by the HTML page and the API."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import IdFilter

from .models import JobStatus, ReportJob, ReportKind


class ReportJobFilter(django_filters.FilterSet):
    """Filter reports by kind, status, assessment, round, or either checksum (to trace a printed copy)."""

    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    # Plain numbers, so a foreign id and a missing one both give an empty list.
    assessment = IdFilter(field_name="assessment_id")
    round = IdFilter(field_name="round_id")
    sha256 = django_filters.CharFilter(method="filter_sha256", label=_("SHA-256"))

    class Meta:
        model = ReportJob
        fields = ["kind", "status", "assessment", "round", "sha256"]

    def filter_sha256(self, queryset: QuerySet[ReportJob], name: str, value: str) -> QuerySet[ReportJob]:
        value = value.strip().lower()
        if not value:
            return queryset
        return queryset.filter(Q(sha256=value) | Q(content_sha256=value))
