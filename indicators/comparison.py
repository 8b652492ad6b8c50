"""City-wide comparison of one indicator: per level, each hospital's rate, rank, percentile and funnel band."""

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Hospital, Level

from . import charts, rates, selectors
from .models import Indicator, PeriodValue
from .presentation import UNIT_SUFFIX
from .presentation import num as _num
from .presentation import shown as _shown
from .presentation import target_text as _target_text
from .presentation import to_float as _float


def comparison_levels(indicator: Indicator, year: int) -> list[dict[str, Any]]:
    """Per level: each hospital's year rate, rank and percentile, and the funnel around the level's pooled rate.

    Three queries whatever the number of hospitals: the hospitals, and one aggregation of the year's
    PeriodValues grouped by hospital.
    """
    sums = {
        row["hospital_id"]: (row["numerator"], row["denominator"])
        for row in PeriodValue.objects.filter(indicator=indicator, year=year)
        .values("hospital_id")
        .annotate(numerator=Sum("numerator"), denominator=Sum("denominator"))
        .order_by()
    }
    # A "declining year on year" target compares each hospital's year with its year before: one more query.
    last_year = (
        {
            row["hospital_id"]: (row["numerator"], row["denominator"])
            for row in PeriodValue.objects.filter(indicator=indicator, year=year - 1)
            .values("hospital_id")
            .annotate(numerator=Sum("numerator"), denominator=Sum("denominator"))
            .order_by()
        }
        if indicator.target_kind == rates.DECLINING
        else {}
    )
    hospitals = list(Hospital.objects.order_by("name", "pk"))
    suffix = UNIT_SUFFIX[indicator.unit]
    levels = []
    for level, label in Level.choices:
        members = [h for h in hospitals if h.level == level]
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
        rows: list[dict[str, Any]] = []
        for h in members:
            rate = computed[h.pk]
            place = ranks.get(h.pk)
            band = ""
            if p0 is not None and rate is not None and rate.value is not None:
                (limits,) = charts.funnel(p0, [rate.denominator], unit=indicator.unit)
                band = charts.funnel_band(rate.value, limits)
            rows.append(
                {
                    "hospital": h,
                    "numerator": rate.numerator if rate else None,
                    "denominator": rate.denominator if rate else None,
                    "value": rate.value if rate else None,
                    "rate": _shown(rate),
                    "rank": place,
                    "percentile": _num(place.percentile) if place else "",
                    "met": rate.met if rate else None,
                    "band": band,
                }
            )
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"].rank if r["rank"] else 0, r["hospital"].name))
        levels.append(
            {
                "level": level,
                "label": str(label),
                "target": _target_text(indicator, level),
                "pooled": f"{_num(p0 * rates.SCALE[indicator.unit])}{suffix}" if p0 is not None else "",
                "rows": rows,
                "chart_id": f"funnel-data-{level}",
                "chart": {
                    "kind": "funnel",
                    "unit": suffix,
                    "series": {
                        "hospitals": _("医院"),
                        "centre": _("本级别合并率"),
                        "l95": _("95% 控制限"),
                        "l998": _("99.8% 控制限"),
                        "x": _("分母"),
                    },
                    "points": [
                        {"x": r["denominator"], "y": _float(r["value"]), "label": r["hospital"].name, "band": r["band"]}
                        for r in rows
                        if r["value"] is not None
                    ],
                    "n": [f.n for f in funnel],
                    "centre": _float(p0 * rates.SCALE[indicator.unit]) if p0 is not None else None,
                    "low95": [_float(f.low95) for f in funnel],
                    "high95": [_float(f.high95) for f in funnel],
                    "low998": [_float(f.low998) for f in funnel],
                    "high998": [_float(f.high998) for f in funnel],
                },
            }
        )
    return levels


def _judged(
    indicator: Indicator, target: rates.Target | None, counts: tuple[int, int], last: tuple[int, int] | None
) -> rates.Rate:
    """A hospital's year rate, judged by its target: a fixed value, or last year's rate (declining)."""
    if indicator.target_kind != rates.DECLINING:
        return rates.compute(*counts, target=target, unit=indicator.unit)
    unit, least = indicator.unit, indicator.min_denominator
    this = rates.compute(*counts, unit=unit, min_denominator=least)
    return rates.against_last_year(this, rates.compute(*last, unit=unit, min_denominator=least) if last else None)
