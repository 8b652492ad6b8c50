"""Browser pages of indicators: a hospital's year of rates per indicator set, and the one-year entry grid.

Views are thin: visibility comes from `hospitals_visible_to` (foreign → 404), the right to
enter from `services.can_enter` (→ 403), writes from `period_values_set`, rates from `selectors`.
"""

import csv
import io
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook

from accounts.models import Hospital, Role
from accounts.selectors import hospitals_visible_to
from accounts.typing import signed_in
from common.exports import export_row
from common.http import HtmxHttpRequest
from common.params import year_in_range, year_param

from . import charts, selectors, services
from .comparison import comparison_inputs, levels_from, memoized
from .models import Indicator, IndicatorSet, PeriodValue
from .presentation import UNIT_SUFFIX, comparison_shown, provenance_line
from .presentation import num as _num
from .presentation import shown as _shown
from .presentation import target_text as _target_text
from .presentation import to_float as _float

MONTHS = range(1, 13)
FIELDS = ("numerator", "denominator")


def _visible_hospital(request: HtmxHttpRequest, pk: int) -> Hospital:
    return get_object_or_404(hospitals_visible_to(request.user), pk=pk)


@login_required
@require_safe
def indicator_home(request: HtmxHttpRequest) -> HttpResponse:
    """A department goes to its own hospital's indicators; the QC centre and inspectors pick a hospital."""
    year = year_param(request.GET.get("year"))
    hospitals = list(hospitals_visible_to(request.user).order_by("level", "name"))
    role = getattr(request.user, "effective_role", None)
    if role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF) and len(hospitals) == 1:
        return redirect(reverse("indicator-hospital", args=[hospitals[0].pk]) + f"?year={year}")
    entered = selectors.indicators_entered(hospitals, year)
    context = {
        "year": year,
        "rows": [{"hospital": h, "entered": entered.get(h.pk, 0)} for h in hospitals],
        "total": selectors.indicators_list().count(),
        "can_compare": getattr(request.user, "is_qc_admin", False),
    }
    return render(request, "indicators/home.html", context)


@login_required
def hospital_indicators(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One hospital's year per indicator set: each indicator's year and quarter rates against its target."""
    hospital = _visible_hospital(request, pk)
    year = year_param(request.GET.get("year"))
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
    if not year_in_range(year):
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
                actor=signed_in(request.user), hospital=hospital, indicator=indicator, year=year, months=months
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


def _num_or_blank(value: Decimal | None) -> str:
    return "" if value is None else _num(value)


@login_required
def indicator_dashboard(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """One indicator's year at one hospital: the monthly trend against its target, with p-chart limits."""
    hospital = _visible_hospital(request, pk)
    indicator = get_object_or_404(Indicator.objects.select_related("indicator_set"), code=code)
    year = year_param(request.GET.get("year"))
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
        "provenance": provenance_line(indicator),
        "centre": f"{_num(chart.centre)}{suffix}" if chart.centre is not None else "",
        "months": months,
        "outside": [m for m in months if m["out"]],
        "has_limits": any(p.lower is not None for p in chart.points),
        "any_data": bool(counts),
        "chart": data,
        "back": reverse("indicator-hospital", args=[hospital.pk]) + f"?year={year}&set={indicator.indicator_set.code}",
    }
    return render(request, "indicators/dashboard.html", context)


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
            writer.writerow(["" if cell is None else cell for cell in export_row(row)])
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(year)
    sheet.append(EXPORT_HEADER)
    for row in rows:
        sheet.append(export_row(row))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
@require_safe
def comparison_home(request: HtmxHttpRequest) -> HttpResponse:
    """The QC centre's way into the city-wide comparisons: every indicator by set, each opening its funnel plots."""
    if not getattr(request.user, "is_qc_admin", False):
        raise PermissionDenied
    year = year_param(request.GET.get("year"))
    indicators = list(selectors.indicators_list())
    sets = [
        {
            "set": s,
            "rows": [{"indicator": i, "unit": i.get_unit_display()} for i in indicators if i.indicator_set_id == s.pk],
        }
        for s in IndicatorSet.objects.order_by("code")
    ]
    return render(request, "indicators/comparison_home.html", {"year": year, "sets": sets})


@login_required
def indicator_comparison(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """City-wide comparison of one indicator for the QC centre: rates, ranks and funnel plots per level."""
    if not getattr(request.user, "is_qc_admin", False):
        raise PermissionDenied
    indicator = get_object_or_404(Indicator.objects.all(), code=code)
    year = year_param(request.GET.get("year"))
    inputs = comparison_inputs(indicator, year)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(indicator, year, levels_from(inputs), fmt)

    def levels_html() -> str:
        # Up to 800 rows: rendered once per inputs and language, then memoized (never stale: see
        # comparison.ComparisonInputs). The fragment depends on nothing of the request but its language.
        shown = comparison_shown(indicator, levels_from(inputs))
        return render_to_string("indicators/partials/comparison_levels.html", {"levels": shown})

    context = {
        "indicator": indicator,
        "year": year,
        "unit": indicator.get_unit_display(),
        "direction": indicator.get_direction_display(),
        "levels_html": mark_safe(memoized(f"page:{get_language()}", inputs, levels_html)),  # noqa: S308 (rendered above)
    }
    return render(request, "indicators/comparison.html", context)
