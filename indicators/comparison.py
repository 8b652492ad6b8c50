"""City-wide comparison of one indicator: per level, each hospital's rate, rank, percentile and funnel band."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

import orjson
from django.db import connection
from django.db.models import Sum

from accounts.models import Hospital, Level
from common.memo import ProcessLRU

from . import charts, rates, selectors
from .models import Indicator, PeriodValue


class HospitalRow(NamedTuple):
    """What a comparison shows of a hospital: 800 of them are read as plain rows, not model instances."""

    pk: int
    name: str
    level: str


# Every hospital with the indicator's counts over a year (NULL: no value that year), in one query: the year's
# monthly values summed by hospital (what the bench's floor runs), then joined to the hospitals. Summing before the
# join keeps the hospitals' names out of the 12 × 800 rows hashed. Plain SQL that PostgreSQL and SQLite both run:
# at 800 hospitals the ORM's per-value converters cost as much as the query itself.
_INPUTS_SQL = (  # table names from the models, values as parameters
    "SELECT h.id, h.name, h.level, s.numerator, s.denominator "  # noqa: S608
    f"FROM {Hospital._meta.db_table} h LEFT JOIN ("
    f"SELECT hospital_id, SUM(numerator) AS numerator, SUM(denominator) AS denominator FROM {PeriodValue._meta.db_table} "
    "WHERE indicator_id = %s AND year = %s GROUP BY hospital_id"
    ") s ON s.hospital_id = h.id ORDER BY h.name, h.id"
)


@dataclass(frozen=True)
class ComparisonInputs:
    """Everything a comparison is computed from, read from the database on every request.

    `key` digests all of it: the indicator's fields that judge a rate, the year, every hospital (pk, name,
    level, in order) with its year's counts, and last year's counts for a declining target. A comparison is a
    pure function of these inputs and this process's code, so a value memoized under the key is never stale:
    any change to a count, a hospital or a target gives another key.
    """

    indicator: Indicator
    year: int
    rows: list[tuple[int, str, str, int | None, int | None]]  # pk, name, level, numerator, denominator
    last_year: dict[int, tuple[int, int]]
    key: bytes


def comparison_inputs(indicator: Indicator, year: int) -> ComparisonInputs:
    """The comparison's inputs: one query (two for a declining target) whatever the number of hospitals."""
    with connection.cursor() as cursor:
        cursor.execute(_INPUTS_SQL, [indicator.pk, year])
        rows = cursor.fetchall()
    # A "declining year on year" target compares each hospital's year with its year before: one more query.
    last_year = _year_sums(indicator, year - 1) if indicator.target_kind == rates.DECLINING else {}
    judged_by = [
        indicator.pk,
        indicator.unit,
        indicator.direction,
        indicator.target_kind,
        indicator.target_comparator,
        str(indicator.target_value),
        indicator.level_targets,
        indicator.min_denominator,
    ]
    digest = hashlib.blake2b(
        orjson.dumps(
            [judged_by, year, rows, sorted(last_year.items())],
            option=orjson.OPT_SORT_KEYS,
            default=str,  # a Decimal in a level's target, if one is ever stored as such
        ),
        digest_size=20,
    ).digest()
    return ComparisonInputs(indicator, year, rows, last_year, digest)


def levels_from(inputs: ComparisonInputs) -> list[dict[str, Any]]:
    """The comparison computed from its inputs (no query).

    Numbers only, for the API, the exports and the page; `presentation.comparison_shown` adds the page's text.
    """
    indicator, last_year = inputs.indicator, inputs.last_year
    by_level: dict[str, list[HospitalRow]] = {}
    sums: dict[int, tuple[int, int]] = {}
    for pk, name, level, numerator, denominator in inputs.rows:
        by_level.setdefault(level, []).append(HospitalRow(pk, name, level))
        if numerator is not None and denominator is not None:  # NULL: no value that year
            sums[pk] = (numerator, denominator)
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


# Values built from comparison inputs (the API's body, the page's rendered tables), per process, keyed by the
# inputs' digest and what else the value depends on (the page's language). An entry is never stale (see
# ComparisonInputs): it just stops being asked for and ages out. A deploy restarts the processes, so a
# template or code change never meets an old entry. Values are shared by every caller: never change them.
_T = TypeVar("_T")
# A page of 800 hospitals is about 0.4 MB, its API body about 1 MB of objects: under 20 MB per process.
_MEMO: ProcessLRU[tuple[str, bytes], Any] = ProcessLRU(16)


def memoized(namespace: str, inputs: ComparisonInputs, build: Callable[[], _T]) -> _T:
    """`build()`, or the value it gave for the same namespace and inputs in this process (never None)."""
    key = (namespace, inputs.key)
    value = _MEMO.get(key)
    if value is None:
        value = build()
        _MEMO.put(key, value)
    return value


def memo_clear() -> None:
    """Forget every memoized comparison of this process (tests; never needed for correctness)."""
    _MEMO.clear()
