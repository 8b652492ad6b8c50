"""City-wide comparison of one indicator: per level, each hospital's rate, rank, percentile and funnel band."""

from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Sum

from accounts.models import Hospital, Level

from . import charts, rates, selectors
from .models import Indicator, PeriodValue


class HospitalRow(NamedTuple):
    """What a comparison shows of a hospital: 800 of them are read as plain rows, not model instances."""

    pk: int
    name: str
    level: str


def comparison_levels(indicator: Indicator, year: int) -> list[dict[str, Any]]:
    """Per level: each hospital's year rate, rank and percentile, and the funnel around the level's pooled rate.

    Numbers only, for the API, the exports and the page; `presentation.comparison_shown` adds the page's text.

    Three queries whatever the number of hospitals: the hospitals, and one aggregation of the year's
    PeriodValues grouped by hospital.
    """
    sums = _year_sums(indicator, year)
    # A "declining year on year" target compares each hospital's year with its year before: one more query.
    last_year = _year_sums(indicator, year - 1) if indicator.target_kind == rates.DECLINING else {}
    by_level: dict[str, list[HospitalRow]] = {}
    for row in Hospital.objects.order_by("name", "pk").values_list("pk", "name", "level"):
        hospital = HospitalRow(*row)
        by_level.setdefault(hospital.level, []).append(hospital)
    levels = []
    for level, label in Level.choices:
        members = by_level.get(level)
        if not members:
            continue
        target = selectors.target_for(indicator, level)
        computed = {
            h.pk: _judged(indicator, target, sums[h.pk], last_year.get(h.pk)) if h.pk in sums else None for h in members
        }
        ranks = charts.rank(
            {pk: r.value if r is not None else None for pk, r in computed.items()}, direction=indicator.direction
        )
        pooled_n, pooled_d = rates.total(sums[h.pk] for h in members if h.pk in sums)
        funnel: list[charts.FunnelLimits] = []
        p0: Decimal | None = None
        if pooled_d and indicator.unit in rates.PROPORTIONS:
            p0 = Decimal(pooled_n) / Decimal(pooled_d)
            funnel = charts.funnel(
                p0, charts.funnel_ns(max(sums[h.pk][1] for h in members if h.pk in sums)), unit=indicator.unit
            )
        # Each hospital's own limits, at its denominator: one call for the level (one context, one root each).
        judged = [computed[h.pk] for h in members]
        at = [r.denominator for r in judged if p0 is not None and r is not None and r.value is not None]
        own_limits = iter(charts.funnel(p0, at, unit=indicator.unit) if p0 is not None else [])
        rows: list[dict[str, Any]] = []
        for h, rate in zip(members, judged, strict=True):
            band = ""
            if p0 is not None and rate is not None and rate.value is not None:
                band = charts.funnel_band(rate.value, next(own_limits))
            rows.append(
                {
                    "hospital": h,
                    "judged": rate,
                    "numerator": rate.numerator if rate else None,
                    "denominator": rate.denominator if rate else None,
                    "value": rate.value if rate else None,
                    "rank": ranks.get(h.pk),
                    "met": rate.met if rate else None,
                    "band": band,
                }
            )
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"].rank if r["rank"] else 0, r["hospital"].name))
        levels.append({"level": level, "label": str(label), "p0": p0, "funnel": funnel, "rows": rows})
    return levels


def _year_sums(indicator: Indicator, year: int) -> dict[int, tuple[int, int]]:
    """The indicator's (numerator, denominator) over a year, by hospital: one aggregate query."""
    rows = (
        PeriodValue.objects.filter(indicator=indicator, year=year)
        .values("hospital_id")
        .annotate(numerator=Sum("numerator"), denominator=Sum("denominator"))
        .order_by()
        .values_list("hospital_id", "numerator", "denominator")
    )
    return {hospital: (numerator, denominator) for hospital, numerator, denominator in rows}


def _judged(
    indicator: Indicator, target: rates.Target | None, counts: tuple[int, int], last: tuple[int, int] | None
) -> rates.Rate:
    """A hospital's year rate, judged by its target: a fixed value, or last year's rate (declining)."""
    if indicator.target_kind != rates.DECLINING:  # the comparison never shows the interval: not computed
        return rates.compute(*counts, target=target, unit=indicator.unit, interval=False)
    unit, least = indicator.unit, indicator.min_denominator
    this = rates.compute(*counts, unit=unit, min_denominator=least)
    return rates.against_last_year(this, rates.compute(*last, unit=unit, min_denominator=least) if last else None)
