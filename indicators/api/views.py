"""API of indicators: definitions, a hospital's monthly counts and computed rates, suggested ratings."""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import hospitals_visible_to
from accounts.services import require_qc_admin
from accounts.typing import signed_in
from common.api import OBJECT_LIST
from common.numbers import fmt
from common.params import parse_year
from indicators import rates, selectors, services
from indicators.comparison import ComparisonInputs, comparison_inputs, levels_from, memoized
from indicators.models import Indicator
from scoring.selectors import assessments_visible_to


def _dec(value: Decimal | None, places: int = 4) -> str | None:
    if value is None:
        return None
    return fmt(value, places=places, rounding=ROUND_HALF_EVEN)


def rate_data(rate: rates.Rate | None) -> dict[str, Any] | None:
    """A computed rate as JSON: decimals as strings (value, interval and target in the indicator's unit)."""
    if rate is None:
        return None
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "value": _dec(rate.value),
        "ci95": [_dec(rate.low), _dec(rate.high)] if rate.low is not None else None,
        "target": {"comparator": rate.target.comparator, "value": fmt(rate.target.value)} if rate.target else None,
        "met": rate.met,
        "too_few": rate.too_few,
        "no_data": rate.no_data,
    }


def indicator_data(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "set": indicator.indicator_set.code,
        "name": indicator.name,
        "definition": indicator.definition,
        "numerator": indicator.numerator_text,
        "denominator": indicator.denominator_text,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "target": {"comparator": indicator.target_comparator, "value": fmt(indicator.target_value)}
        if indicator.target_value is not None
        else None,
        "level_targets": indicator.level_targets,
        "min_denominator": indicator.min_denominator,
        "target_kind": indicator.target_kind,
        "provenance": indicator.provenance,
        "criteria": [c.code for c in indicator.criteria.all()],
    }


class IndicatorList(APIView):
    """All indicator definitions."""

    # Named explicitly: drf-spectacular would give the list and the detail the same operationId.
    @extend_schema(operation_id="v1_indicators_list", responses=OBJECT_LIST)
    def get(self, request: Request) -> Response:
        return Response([indicator_data(i) for i in selectors.indicators_list()])


class IndicatorDetail(APIView):
    """One indicator definition."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, code: str) -> Response:
        return Response(indicator_data(get_object_or_404(selectors.indicators_list(), code=code)))


def _year_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "indicator": row["indicator"].code,
        "months": {str(m): rate_data(r) for m, (_, r) in row["months"].items()},
        "quarters": {str(q): rate_data(r) for q, r in row["quarters"].items()},
        "year": rate_data(row["year"]),
    }


class MonthsSerializer(serializers.Serializer):
    months = serializers.DictField(
        help_text='{"1": {"numerator": 5, "denominator": 200}, "2": null, ...}; null removes a month.'
    )


class HospitalIndicatorYear(APIView):
    """A hospital's counts and rates for a year: months, quarters and the year, per indicator."""

    @extend_schema(responses=OBJECT_LIST)
    def get(self, request: Request, hospital_id: int, year: int) -> Response:
        hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
        return Response([_year_row(r) for r in selectors.hospital_year(hospital, year)])


class HospitalIndicatorValues(APIView):
    """Write one indicator's monthly counts for a year (the hospital's department or the QC centre)."""

    @extend_schema(request=MonthsSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, hospital_id: int, year: int, code: str) -> Response:
        hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
        indicator = get_object_or_404(selectors.indicators_list(), code=code)
        if not services.can_enter(request.user, hospital):
            raise PermissionDenied
        body = MonthsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.period_values_set(
            actor=signed_in(request.user),
            hospital=hospital,
            indicator=indicator,
            year=year,
            months=body.validated_data["months"],
        )
        [row] = selectors.hospital_year(hospital, year, [indicator])
        return Response(_year_row(row))


class AssessmentSuggestions(APIView):
    """Ratings the linked indicators suggest for the 4.2-* criteria, with their numbers, for the assessment's year."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
        suggestions = selectors.suggestions_for(assessment.hospital, assessment.year)
        return Response(
            {
                code: {
                    "suggested_rating": s["rating"],
                    "indicators": [{"code": i.code, "name": i.name, "year": rate_data(r)} for i, r in s["indicators"]],
                }
                for code, s in sorted(suggestions.items())
            }
        )


class IndicatorComparison(APIView):
    """City-wide comparison of one indicator for a year (QC centre only): per level, rate, rank and percentile."""

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, code: str) -> Response:
        require_qc_admin(request.user)
        indicator = get_object_or_404(Indicator.objects.all(), code=code)  # its criteria are not needed here
        year = parse_year(request.query_params.get("year"))
        if year is None:  # no default here: a comparison is always of a year the caller names
            raise ValidationError({"year": [_("请用 ?year= 指定年度（2000–2100），例如 2026。")]})
        inputs = comparison_inputs(indicator, year)
        # The body is built once per inputs, then memoized: never stale (see comparison.ComparisonInputs).
        return Response(memoized("api", inputs, lambda: _comparison_body(inputs)))


def _comparison_body(inputs: ComparisonInputs) -> dict[str, Any]:
    return {
        "indicator": inputs.indicator.code,
        "year": inputs.year,
        "levels": [
            {
                "level": level["level"],
                "hospitals": [
                    {
                        "hospital": row["hospital"].pk,
                        "name": row["hospital"].name,
                        "numerator": row["numerator"],
                        "denominator": row["denominator"],
                        "value": _dec(row["value"]),
                        "met": row["met"],
                        "rank": row["rank"].rank if row["rank"] else None,
                        "of": row["rank"].of if row["rank"] else None,
                        "percentile": fmt(row["rank"].percentile) if row["rank"] else None,
                        "funnel": row["band"] or None,
                    }
                    for row in level["rows"]
                ],
            }
            for level in levels_from(inputs)
        ],
    }
