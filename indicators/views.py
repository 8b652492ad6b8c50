"""Browser pages of indicators: a hospital's year of rates per indicator set, and the one-year entry grid.

Views are thin: visibility comes from `hospitals_visible_to` (foreign → 404), the right to
enter from `services.can_enter` (→ 403), writes from `period_values_set`, rates from `selectors`.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Hospital
from accounts.selectors import hospitals_visible_to
from anesqc.http import HtmxHttpRequest

from . import rates, selectors, services
from .models import Indicator, IndicatorSet

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
