"""API of department profiles: facts by year (read and write), rule evaluations, rules, city-wide shortfalls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Hospital
from accounts.selectors import hospitals_visible_to
from accounts.services import require_qc_admin
from accounts.typing import signed_in
from common.api import OBJECT_LIST
from common.numbers import fmt
from common.params import year_param
from departments import rules, selectors, services
from departments.facts import FACTS
from departments.models import DepartmentProfile
from scoring.models import Criterion

YEAR = OpenApiParameter("year", int, description="年度（默认今年）")


def _value(value: Any) -> Any:
    return fmt(value) if isinstance(value, Decimal) else value


def profile_data(hospital: Hospital, year: int, profile: DepartmentProfile | None) -> dict[str, Any]:
    return {
        "hospital": hospital.pk,
        "year": year,
        "exists": profile is not None,
        "facts": {name: _value(getattr(profile, name)) if profile else None for name in FACTS},
        "updated_at": profile.updated_at if profile else None,
    }


def outcome_data(outcome: rules.Outcome) -> dict[str, Any]:
    return {
        "met": outcome.met,
        "text": outcome.text,
        "have": _value(outcome.have),
        "need": _value(outcome.need),
        "short": _value(outcome.short),
        "parts": [outcome_data(p) for p in outcome.parts],
        # For alternatives ("或", 2.1-1): the one that was met.
        "met_by": outcome.chosen.text if outcome.chosen is not None else None,
    }


def evaluation_data(evaluation: selectors.Evaluation) -> dict[str, Any]:
    return {
        "criterion": evaluation.code,
        "rule_valid_from": evaluation.rule.valid_from,
        "note": evaluation.rule.note,
        "reading": evaluation.rule.reading,
        "doubtful": evaluation.rule.doubtful,
        "suggested_rating": evaluation.suggestion,
        "lines": evaluation.outcome.lines(),
        "outcome": outcome_data(evaluation.outcome),
    }


def _year(request: Request) -> int:
    return year_param(request.query_params.get("year"))


class ProfileList(APIView):
    """Profiles of the hospitals the caller may see (filter with ?hospital= and ?year=)."""

    @extend_schema(parameters=[YEAR, OpenApiParameter("hospital", int)], responses=OBJECT_LIST)
    def get(self, request: Request) -> Response:
        qs = selectors.profiles_visible_to(request.user)
        if "year" in request.query_params:
            qs = qs.filter(year=_year(request))
        hospital = request.query_params.get("hospital", "")
        if hospital.isdecimal():
            qs = qs.filter(hospital_id=int(hospital))
        return Response([profile_data(p.hospital, p.year, p) for p in qs.order_by("hospital_id", "-year")])


class FactsSerializer(serializers.Serializer):
    facts = serializers.DictField(
        help_text='{"or_tables": 12, "clinical_staff": 30, "pain_clinic_area": "55.5"}; null or "" clears a fact.'
    )


class ProfileDetail(APIView):
    """One hospital's profile for a year; PUT (or PATCH) sets the facts given and leaves the others."""

    def _hospital(self, request: Request, hospital_id: int) -> Hospital:
        return get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, hospital_id: int, year: int) -> Response:
        hospital = self._hospital(request, hospital_id)
        return Response(profile_data(hospital, year, selectors.profile_of(hospital, year)))

    @extend_schema(request=FactsSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, hospital_id: int, year: int) -> Response:
        hospital = self._hospital(request, hospital_id)
        if not services.can_edit_profile(request.user, hospital):
            raise PermissionDenied
        body = FactsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile = services.profile_save(
            actor=signed_in(request.user), hospital=hospital, year=year, data=body.validated_data["facts"]
        )
        return Response(profile_data(hospital, year, profile))

    patch = put


class ProfileEvaluations(APIView):
    """Every rule of the standard judged over the hospital's profile for the year."""

    @extend_schema(responses=OBJECT_LIST)
    def get(self, request: Request, hospital_id: int, year: int) -> Response:
        hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
        evaluations = selectors.evaluations_for(hospital, year)
        return Response([evaluation_data(e) for e in evaluations.values()])


def rule_data(rule: Any) -> dict[str, Any]:
    return {
        "criterion": rule.criterion.code,
        "valid_from": rule.valid_from,
        "rule": rule.rule,
        "note": rule.note,
        # Where the source is ambiguous: the readings (key → label), the one in force, and whether the QC
        # centre has yet to confirm it (解读待质控中心确认).
        "readings": {key: r.get("label", "") for key, r in (rule.readings or {}).items()},
        "reading": rule.reading,
        "doubtful": rule.doubtful,
    }


class RuleList(APIView):
    """The rules in force in a year (?year=), one per criterion."""

    @extend_schema(parameters=[YEAR], responses=OBJECT_LIST)
    def get(self, request: Request) -> Response:
        standard = selectors.default_standard()
        if standard is None:
            return Response([])
        return Response([rule_data(r) for r in selectors.rules_for_year(standard.pk, _year(request))])


class RuleSerializer(serializers.Serializer):
    valid_from = serializers.IntegerField(help_text="起始年度")
    rule = serializers.JSONField(required=False, default=None, help_text="规则，见 departments/rules.py")
    reading = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="或：选用该细则的一种解读（readings 的键，如 2.1-3-2 的 ge / le），代替 rule",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="理由（记入审计）")


class RuleDetail(APIView):
    """Set a criterion's rule from a year on (the QC centre), or choose one of its readings: checked, audited."""

    @extend_schema(request=RuleSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, code: str) -> Response:
        require_qc_admin(request.user)
        standard = selectors.default_standard()
        criterion = get_object_or_404(Criterion, standard=standard, code=code)
        body = RuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = services.rule_set(actor=signed_in(request.user), criterion=criterion, **body.validated_data)
        return Response(rule_data(rule))


class Shortfalls(APIView):
    """City-wide, per criterion and level: hospitals meeting, missing (with their shortfall) or lacking data."""

    @extend_schema(parameters=[YEAR], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        require_qc_admin(request.user)
        standard = selectors.default_standard()
        if standard is None:
            return Response({"year": _year(request), "hospitals": 0, "profiles": 0, "criteria": []})
        table = selectors.shortfalls(_year(request), standard.pk, Hospital.objects.all())
        return Response(
            {
                "year": table["year"],
                "hospitals": table["hospitals"],
                "profiles": table["profiles"],
                "criteria": [
                    {
                        "criterion": row["rule"].criterion.code,
                        "note": row["rule"].note,
                        "unmet": row["unmet"],
                        "levels": {
                            level: {
                                "met": cell["met"],
                                "unmet": cell["unmet"],
                                "unknown": cell["unknown"],
                                "short": [
                                    {"hospital": h.pk, "name": h.name, "lines": o.lines()} for h, o in cell["short"]
                                ],
                            }
                            for level, cell in row["levels"].items()
                        },
                    }
                    for row in table["rows"]
                ],
            }
        )
