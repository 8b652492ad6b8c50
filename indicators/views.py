"""Browser pages of indicators: a hospital's year of rates per indicator set, and the one-year entry grid.

Views are thin: visibility comes from `hospitals_visible_to` (foreign → 404), the right to
enter from `services.can_enter` (→ 403), writes from `period_values_set`, rates from `selectors`.
"""

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from accounts.models import Hospital, Level
from accounts.selectors import hospitals_visible_to
from anesqc.http import HtmxHttpRequest

from . import charts, rates, selectors, services
from .models import Indicator, IndicatorSet, PeriodValue

MONTHS = range(1, 13)
FIELDS = ("numerator", "denominator")
COMPARATOR_SIGN = {rates.GE: "≥", rates.LE: "≤", rates.EQ: "="}
UNIT_SUFFIX = {rates.PERCENT: "%", rates.PERMILLE: "‰", rates.RATIO: "", rates.PER_10000: "/万"}
YEARS = (2000, 2100)


def _num(value: Decimal) -> str:
    """Two decimals at most, trailing zeros dropped: 95, 96.67, 0.5."""
    text = str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class RateShown:
    """A computed rate as the pages print it."""

    text: str
    ci: str
    counts: str
    met: bool | None
    too_few: bool
    no_data: bool


def _shown(rate: rates.Rate | None) -> RateShown | None:
    if rate is None:
        return None
    suffix = UNIT_SUFFIX[rate.unit]
    counts = f"{rate.numerator}/{rate.denominator}"
    if rate.value is None:
        return RateShown("", "", counts, None, rate.too_few, True)
    ci = f"{_num(rate.low)}–{_num(rate.high)}{suffix}" if rate.low is not None and rate.high is not None else ""
    return RateShown(f"{_num(rate.value)}{suffix}", ci, counts, rate.met, rate.too_few, False)


def _target_text(indicator: Indicator, level: str) -> str:
    target = selectors.target_for(indicator, level)
    if target is None:
        return ""
    return (
        f"{COMPARATOR_SIGN.get(target.comparator, target.comparator)}{_num(target.value)}{UNIT_SUFFIX[indicator.unit]}"
    )


def _visible_hospital(request: HtmxHttpRequest, pk: int) -> Hospital:
    return get_object_or_404(hospitals_visible_to(request.user), pk=pk)


def _year_param(raw: str | None) -> int:
    try:
        year = int(raw or "")
    except ValueError:
        return timezone.localdate().year
    return year if YEARS[0] <= year <= YEARS[1] else timezone.localdate().year


@login_required
def hospital_indicators(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One hospital's year per indicator set: each indicator's year and quarter rates against its target."""
    hospital = _visible_hospital(request, pk)
    year = _year_param(request.GET.get("year"))
    sets = list(IndicatorSet.objects.order_by("code"))
    current = next((s for s in sets if s.code == request.GET.get("set")), sets[0] if sets else None)
    indicators = list(selectors.indicators_list().filter(indicator_set=current)) if current else []
    rows = [
        {
            "indicator": row["indicator"],
            "unit": row["indicator"].get_unit_display(),
            "target": _target_text(row["indicator"], hospital.level),
            "year": _shown(row["year"]),
            "quarters": [_shown(row["quarters"][q]) for q in selectors.QUARTERS],
        }
        for row in selectors.hospital_year(hospital, year, indicators)
    ]
    context = {
        "hospital": hospital,
        "year": year,
        "sets": sets,
        "current": current,
        "rows": rows,
        "any_data": any(row["year"] is not None for row in rows),
        "can_enter": services.can_enter(request.user, hospital),
    }
    return render(request, "indicators/hospital_indicators.html", context)


def _grid_cells(row: dict[str, Any], posted: dict[str, str] | None, errors: dict[str, list[str]]) -> list[dict]:
    """One column per month: the two counts (as stored, or as typed when re-shown), their errors, the rate."""
    columns = []
    for month in MONTHS:
        stored, rate = row["months"][month]
        cells = []
        for field in FIELDS:
            name = f"m{month}-{field}"
            if posted is not None:
                value = posted.get(name, "")
            else:
                value = "" if stored is None else str(getattr(stored, field))
            cells.append(
                {"name": name, "field": field, "value": value, "errors": errors.get(f"months.{month}.{field}", [])}
            )
        columns.append(
            {
                "month": month,
                "cells": cells,
                "errors": errors.get(f"months.{month}", []),
                "rate": _shown(rate),
            }
        )
    return columns


@login_required
@require_http_methods(["GET", "POST"])
def value_grid(request: HtmxHttpRequest, pk: int, code: str, year: int) -> HttpResponse:
    """A year of one indicator's monthly counts: inputs for those who enter them, read-only for the rest."""
    hospital = _visible_hospital(request, pk)
    indicator = get_object_or_404(Indicator.objects.select_related("indicator_set"), code=code)
    if not YEARS[0] <= year <= YEARS[1]:
        raise Http404
    can_enter = services.can_enter(request.user, hospital)
    errors: dict[str, list[str]] = {}
    posted: dict[str, str] | None = None
    status = 200
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied
        posted = {f"m{m}-{f}": request.POST.get(f"m{m}-{f}", "").strip() for m in MONTHS for f in FIELDS}
        months = {str(m): {f: posted[f"m{m}-{f}"] for f in FIELDS} for m in MONTHS}
        try:
            services.period_values_set(
                actor=request.user, hospital=hospital, indicator=indicator, year=year, months=months
            )
        except ValidationError as exc:
            errors = exc.message_dict
            status = 400
        else:
            messages.success(
                request, _("已保存 %(year)s 年“%(name)s”的月度数据。") % {"year": year, "name": indicator.name}
            )
            return redirect("indicator-grid", pk=hospital.pk, code=indicator.code, year=year)
    (row,) = selectors.hospital_year(hospital, year, [indicator])
    cell_keys = {f"months.{m}{suffix}" for m in MONTHS for suffix in ("", ".numerator", ".denominator")}
    context = {
        "hospital": hospital,
        "indicator": indicator,
        "year": year,
        "unit": indicator.get_unit_display(),
        "target": _target_text(indicator, hospital.level),
        "columns": _grid_cells(row, posted, errors),
        "error_list": [message for key, found in errors.items() for message in found],
        "other_errors": [message for key, found in errors.items() if key not in cell_keys for message in found],
        "quarters": [(q, _shown(row["quarters"][q])) for q in selectors.QUARTERS],
        "year_rate": _shown(row["year"]),
        "can_enter": can_enter,
        "back": reverse("indicator-hospital", args=[hospital.pk]) + f"?year={year}&set={indicator.indicator_set.code}",
    }
    return render(request, "indicators/value_grid.html", context, status=status)


# Dashboards: one hospital's monthly trend with its p-chart, and the city-wide comparison for the QC centre.


def _float(value: Decimal | None) -> float | None:
    """A Decimal for the chart's JSON (geometry only; the tables print the Decimal)."""
    return None if value is None else float(value)


def _num_or_blank(value: Decimal | None) -> str:
    return "" if value is None else _num(value)


@login_required
def indicator_dashboard(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """One indicator's year at one hospital: the monthly trend against its target, with p-chart limits."""
    hospital = _visible_hospital(request, pk)
    indicator = get_object_or_404(Indicator.objects.select_related("indicator_set"), code=code)
    year = _year_param(request.GET.get("year"))
    counts = {
        month: (numerator, denominator)
        for month, numerator, denominator in PeriodValue.objects.filter(
            hospital=hospital, indicator=indicator, year=year
        ).values_list("month", "numerator", "denominator")
    }
    chart = charts.p_chart(counts, unit=indicator.unit)
    target = selectors.target_for(indicator, hospital.level)
    suffix = UNIT_SUFFIX[indicator.unit]
    months = [
        {
            "month": p.month,
            "counts": f"{p.numerator}/{p.denominator}" if p.month in counts else "",
            "value": f"{_num(p.value)}{suffix}" if p.value is not None else "",
            "lower": _num_or_blank(p.lower),
            "upper": _num_or_blank(p.upper),
            "out": p.out,
            "has_row": p.month in counts,
        }
        for p in chart.points
    ]
    data = {
        "kind": "trend",
        "unit": suffix,
        "labels": [_("%(month)s月") % {"month": m} for m in MONTHS],
        "series": {
            "rate": _("月度率"),
            "target": _("目标"),
            "centre": _("中心线 p̄"),
            "upper": _("控制上限"),
            "lower": _("控制下限"),
            "out": _("超出控制限"),
        },
        "rate": [_float(p.value) for p in chart.points],
        "out": [p.out for p in chart.points],
        "upper": [_float(p.upper) for p in chart.points],
        "lower": [_float(p.lower) for p in chart.points],
        "centre": _float(chart.centre),
        "target": _float(target.value) if target is not None else None,
    }
    context = {
        "hospital": hospital,
        "indicator": indicator,
        "year": year,
        "unit": indicator.get_unit_display(),
        "target": _target_text(indicator, hospital.level),
        "centre": f"{_num(chart.centre)}{suffix}" if chart.centre is not None else "",
        "months": months,
        "outside": [m for m in months if m["out"]],
        "has_limits": any(p.lower is not None for p in chart.points),
        "any_data": bool(counts),
        "chart": data,
        "back": reverse("indicator-hospital", args=[hospital.pk]) + f"?year={year}&set={indicator.indicator_set.code}",
    }
    return render(request, "indicators/dashboard.html", context)


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
    hospitals = list(Hospital.objects.order_by("name", "pk"))
    suffix = UNIT_SUFFIX[indicator.unit]
    levels = []
    for level, label in Level.choices:
        members = [h for h in hospitals if h.level == level]
        if not members:
            continue
        target = selectors.target_for(indicator, level)
        computed = {
            h.pk: rates.compute(*sums[h.pk], unit=indicator.unit, target=target) if h.pk in sums else None
            for h in members
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


EXPORT_HEADER = ("级别", "医院", "分子", "分母", "率", "单位", "排名", "参与排名数", "百分位", "达标", "漏斗图")
MET_TEXT = {True: "达标", False: "未达标", None: ""}
BAND_TEXT = {"inside": "控制限内", "95": "超出 95% 控制限", "99.8": "超出 99.8% 控制限", "": ""}


def _export_rows(indicator: Indicator, levels: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            level["label"],
            row["hospital"].name,
            row["numerator"],
            row["denominator"],
            float(row["value"]) if row["value"] is not None else None,
            UNIT_SUFFIX[indicator.unit] or indicator.get_unit_display(),
            row["rank"].rank if row["rank"] else None,
            row["rank"].of if row["rank"] else None,
            float(row["rank"].percentile) if row["rank"] else None,
            MET_TEXT[row["met"]],
            BAND_TEXT[row["band"]],
        )
        for level in levels
        for row in level["rows"]
    ]


def _export(indicator: Indicator, year: int, levels: list[dict[str, Any]], fmt: str) -> HttpResponse:
    rows = _export_rows(indicator, levels)
    name = f"{indicator.code}-{year}-comparison"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(year)
    sheet.append(EXPORT_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def indicator_comparison(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """City-wide comparison of one indicator for the QC centre: rates, ranks and funnel plots per level."""
    if not getattr(request.user, "is_qc_admin", False):
        raise PermissionDenied
    indicator = get_object_or_404(Indicator.objects.select_related("indicator_set"), code=code)
    year = _year_param(request.GET.get("year"))
    levels = comparison_levels(indicator, year)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(indicator, year, levels, fmt)
    context = {
        "indicator": indicator,
        "year": year,
        "unit": indicator.get_unit_display(),
        "direction": indicator.get_direction_display(),
        "levels": levels,
    }
    return render(request, "indicators/comparison.html", context)
