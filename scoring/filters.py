"""Filters for assessment lists, shared by the HTML pages and the API."""

import django_filters

from accounts.models import Level
from common.filters import IdFilter, YearFilter

from .models import Assessment, AssessmentKind, AssessmentStatus


class AssessmentFilter(django_filters.FilterSet):
    """Filter assessments by hospital, level, district, kind, status, year and standard."""

    # A plain number, so a foreign hospital id and a missing one both give an empty list.
    hospital = IdFilter(field_name="hospital_id")
    year = YearFilter()
    kind = django_filters.ChoiceFilter(choices=AssessmentKind.choices)
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    level = django_filters.ChoiceFilter(field_name="hospital__level", choices=Level.choices)
    district = django_filters.CharFilter(field_name="hospital__district")
    standard = django_filters.CharFilter(field_name="standard__code")

    class Meta:
        model = Assessment
        fields = ["hospital", "kind", "status", "year", "level", "district", "standard"]
