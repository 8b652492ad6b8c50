"""Reads of indicators and of a hospital's rates, the ratings indicators suggest for criteria, and case imports."""

from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from accounts.models import Hospital
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser

from . import rates
from .models import CaseImport, Indicator, PeriodValue

QUARTERS = {1: (1, 2, 3), 2: (4, 5, 6), 3: (7, 8, 9), 4: (10, 11, 12)}


def indicators_list() -> QuerySet[Indicator]:
    """Every indicator with its set and linked criteria (reference data every signed-in user reads)."""
    return Indicator.objects.select_related("indicator_set").prefetch_related("criteria")


def target_for(indicator: Indicator, level: str) -> rates.Target | None:
    """The hospital level's own target where the source sets one, else the general one."""
    own = (indicator.level_targets or {}).get(level)
    if own:
        return rates.Target(own["comparator"], Decimal(str(own["value"])))
    if indicator.target_comparator and indicator.target_value is not None:
        return rates.Target(indicator.target_comparator, indicator.target_value)
    return None


def _rate(indicator: Indicator, level: str, counts: tuple[int, int]) -> rates.Rate:
    return rates.compute(
        *counts, unit=indicator.unit, target=target_for(indicator, level), min_denominator=indicator.min_denominator
    )


def hospital_year(hospital: Hospital, year: int, indicators: list[Indicator] | None = None) -> list[dict[str, Any]]:
    """Each indicator's months, quarters and year for a hospital: counts and computed rates (two queries)."""
    indicators = indicators if indicators is not None else list(indicators_list())
    values: dict[int, dict[int, PeriodValue]] = {}
    for v in PeriodValue.objects.filter(hospital=hospital, year=year, indicator__in=indicators):
        values.setdefault(v.indicator_id, {})[v.month] = v
    declining = [i for i in indicators if i.target_kind == rates.DECLINING]
    last_year = _year_sums(hospital, year - 1, declining) if declining else {}
    rows = []
    for indicator in indicators:
        months = values.get(indicator.pk, {})
        counts = {m: (v.numerator, v.denominator) for m, v in months.items()}
        rows.append(
            {
                "indicator": indicator,
                "months": {
                    m: (months.get(m), _rate(indicator, hospital.level, counts[m]) if m in counts else None)
                    for m in range(1, 13)
                },
                "quarters": {
                    q: _rate(indicator, hospital.level, rates.total(counts[m] for m in ms if m in counts))
                    if any(m in counts for m in ms)
                    else None
                    for q, ms in QUARTERS.items()
                },
                "year": _year_rate(indicator, hospital.level, counts, last_year),
            }
        )
    return rows


def _year_sums(hospital: Hospital, year: int, indicators: list[Indicator]) -> dict[int, tuple[int, int]]:
    """{indicator id: (numerator, denominator)} of the hospital's year, for the indicators given (one query)."""
    return {
        row["indicator_id"]: (row["n"], row["d"])
        for row in PeriodValue.objects.filter(hospital=hospital, year=year, indicator__in=indicators)
        .values("indicator_id")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .order_by()
    }


def _year_rate(
    indicator: Indicator, level: str, counts: dict[int, tuple[int, int]], last_year: dict[int, tuple[int, int]]
) -> rates.Rate | None:
    """The year's pooled rate; for a "declining year on year" target, judged against last year's."""
    if not counts:
        return None
    rate = _rate(indicator, level, rates.total(counts.values()))
    if indicator.target_kind != rates.DECLINING:
        return rate
    last = last_year.get(indicator.pk)
    return rates.against_last_year(rate, _rate(indicator, level, last) if last else None)


def indicators_entered(hospitals: list[Hospital], year: int) -> dict[int, int]:
    """{hospital id: how many indicators have at least one month of the year}, for the hospitals given (one query)."""
    return dict(
        PeriodValue.objects.filter(hospital__in=hospitals, year=year)
        .values("hospital")
        .annotate(n=Count("indicator", distinct=True))
        .values_list("hospital", "n")
    )


def suggestions_for(hospital: Hospital, year: int) -> dict[str, dict[str, Any]]:
    """{criterion code: {"rating": met|unmet|None, "indicators": [(indicator, year rate or None)]}} for the year."""
    linked = [i for i in indicators_list() if i.criteria.all()]
    rows = hospital_year(hospital, year, linked)
    by_code: dict[str, list[tuple[Indicator, rates.Rate | None]]] = {}
    for row in rows:
        for criterion in row["indicator"].criteria.all():
            by_code.setdefault(criterion.code, []).append((row["indicator"], row["year"]))
    return {
        code: {
            "rating": rates.suggest(
                [
                    r if r is not None else rates.compute(0, 0, unit=i.unit, target=target_for(i, hospital.level))
                    for i, r in pairs
                ]
            ),
            "indicators": pairs,
        }
        for code, pairs in by_code.items()
    }


def case_imports_visible_to(user: AnyUser) -> QuerySet[CaseImport]:
    """Case imports of the hospitals the user may see, with hospital and uploader; the one scope for pages and API."""
    return scope_by_hospital(CaseImport.objects.select_related("hospital", "uploaded_by"), user)


def recent_case_imports(user: AnyUser, hospital: Hospital, *, limit: int = 10) -> list[CaseImport]:
    """The latest imports of one hospital the user may see, newest first (one query)."""
    return list(
        case_imports_visible_to(user).filter(hospital=hospital).defer("errors").order_by("-created", "-id")[:limit]
    )
