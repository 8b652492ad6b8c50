"""Filters of the round progress board, by hospital level and district."""

import django_filters

from accounts.models import Level

from .models import RoundHospital


class RoundHospitalFilter(django_filters.FilterSet):
    """Filter a round's hospitals by level and district."""

    level = django_filters.ChoiceFilter(field_name="hospital__level", choices=Level.choices)
    district = django_filters.CharFilter(field_name="hospital__district")

    class Meta:
        model = RoundHospital
        fields = ["level", "district"]
