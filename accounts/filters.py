"""Filters for hospital lists, shared by the HTML pages and the API."""

import django_filters

from .models import Hospital, Level


class HospitalFilter(django_filters.FilterSet):
    """Filter hospitals by level, district and key-specialty status."""

    level = django_filters.ChoiceFilter(choices=Level.choices)
    district = django_filters.CharFilter(lookup_expr="exact")
    key_specialty = django_filters.BooleanFilter()

    class Meta:
        model = Hospital
        fields = ["level", "district", "key_specialty"]
