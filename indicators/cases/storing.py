"""Storing cases through the ORM (SQLite, the embedded default), and the rollup and counts every path shares.

After any import, the rollup (`CaseRollup`) of the hospital-months it touched is recounted
(`rollup_refresh`; on PostgreSQL one hand-written statement from `postgres`), and the case-computed
monthly counts are rewritten from it (`period_values_recompute`, one grouped query: `case_counts`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from accounts.models import Hospital, User

from ..models import CASE_FACTS, Case, CaseRollup, Indicator, PeriodValue
from . import postgres
from .validating import CASE_COLUMNS

BATCH = 20_000

# ---------------------------------------------------------------- aggregate --


def cases_q(spec: dict[str, Any]) -> Q:
    """A `numerator_cases`/`denominator_cases` filter as a Q: fields AND together, a list matches any value."""
    q = Q()
    for key, value in spec.items():
        if key in ("anesthesia_type", "asa"):
            q &= Q(**{f"{key}__in": list(value)})
        else:
            q &= Q(**{key: bool(value)})
    return q


def _months_q(months: Iterable[tuple[int, int]]) -> Q:
    when = Q(pk__in=[])
    for year, month in sorted(set(months)):
        when |= Q(year=year, month=month)
    return when


def case_counts(
    *, hospital_ids: Iterable[int] | None = None, months: Iterable[tuple[int, int]] | None = None
) -> tuple[list[Indicator], QuerySet[Any, Any]]:
    """Every case-computed indicator's numerator and denominator by hospital and month: ONE set-based query.

    The query reads the rollup (`CaseRollup`: case counts by hospital, month, type, ASA and flags), not
    every case: each count is `SUM(n) FILTER (WHERE …)` over the rollup rows of a hospital-month.
    Returns (indicators, rows): rows are dicts with hospital_id, year, month and `n<pk>`/`d<pk>` counts.
    """
    indicators = list(
        Indicator.objects.filter(numerator_cases__isnull=False, denominator_cases__isnull=False).only(
            "pk", "numerator_cases", "denominator_cases"
        )
    )
    qs = CaseRollup.objects.all()
    if hospital_ids is not None:
        qs = qs.filter(hospital_id__in=list(hospital_ids))
    if months is not None:
        qs = qs.filter(_months_q(months))
    counts: dict[str, Any] = {}
    for indicator in indicators:
        for prefix, spec in (("n", indicator.numerator_cases), ("d", indicator.denominator_cases)):
            q = cases_q(spec or {})
            counts[f"{prefix}{indicator.pk}"] = Coalesce(Sum("n", filter=q) if q else Sum("n"), 0)
    rows: QuerySet[Any, Any] = qs.values("hospital_id", "year", "month").annotate(**counts).order_by()
    return indicators, rows


def rollup_refresh(*, hospital_id: int, months: Iterable[tuple[int, int]]) -> None:
    """Recount the rollup of `hospital_id` for `months` from its cases: one DELETE, one INSERT … SELECT."""
    months = set(months)
    if not months:
        return
    CaseRollup.objects.filter(_months_q(months), hospital_id=hospital_id).delete()
    if connection.vendor == "postgresql":
        postgres.rollup_insert(hospital_id=hospital_id, months=months)
        return
    when = Q(pk__in=[])
    for year, month in sorted(months):
        start = datetime.date(year, month, 1)
        end = datetime.date(year + month // 12, month % 12 + 1, 1)
        when |= Q(date__gte=start, date__lt=end)
    grouped = (
        Case.objects.filter(when, hospital_id=hospital_id)
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("hospital_id", "year", "month", *CASE_FACTS)
        .annotate(n=Count("*"))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    columns = ", ".join(connection.ops.quote_name(c) for c in ("hospital_id", "year", "month", "n", *CASE_FACTS))
    with connection.cursor() as cursor:
        # The table and column names are the model's own; the grouped query is Django's (S608).
        cursor.execute(
            f"INSERT INTO {CaseRollup._meta.db_table} ({columns}) SELECT {columns} FROM ({sql}) grouped",  # noqa: S608
            params,
        )


def period_values_recompute(
    *,
    hospital: Hospital,
    months: set[tuple[int, int]],
    actor: User | None = None,
    recount: bool = True,
    recount_months: set[tuple[int, int]] | None = None,
) -> int:
    """Rewrite the case-computed monthly counts of `hospital` for `months` from its stored cases.

    The rollup of those hospital-months is recounted first (unless the caller has just added to it,
    `recount=False`; only `recount_months` when the caller knows which months' cases changed: the recount
    reads every case of a month, the counts below read only the rollup), then the counts are read from it.

    Counts computed from cases replace whatever the month held (cases are the record); a month
    with no cases left loses its case-computed rows.
    """
    if not months:
        return 0
    if recount:
        rollup_refresh(hospital_id=hospital.pk, months=months if recount_months is None else recount_months)
    indicators, rows = case_counts(hospital_ids=[hospital.pk], months=months)
    values = []
    found: set[tuple[int, int]] = set()
    for row in rows:
        found.add((row["year"], row["month"]))
        for indicator in indicators:
            values.append(
                PeriodValue(
                    hospital_id=row["hospital_id"],
                    indicator_id=indicator.pk,
                    year=row["year"],
                    month=row["month"],
                    numerator=row[f"n{indicator.pk}"],
                    denominator=row[f"d{indicator.pk}"],
                    source=PeriodValue.Source.CASES,
                    entered_by=actor if getattr(actor, "pk", None) else None,
                )
            )
    PeriodValue.objects.bulk_create(
        values,
        update_conflicts=True,
        unique_fields=["hospital", "indicator", "year", "month"],
        update_fields=["numerator", "denominator", "source", "entered_by", "entered_at"],
        batch_size=1000,
    )
    gone = months - found
    if gone:
        stale = Q(pk__in=[])
        for year, month in gone:
            stale |= Q(year=year, month=month)
        PeriodValue.objects.filter(
            stale, hospital=hospital, source=PeriodValue.Source.CASES, indicator__in=indicators
        ).delete()
    return len(values)


# ------------------------------------------------------------- write (ORM) --


def _months_moved_sqlite(hospital: Hospital, batch: list[tuple[Any, ...]]) -> set[tuple[int, int]]:
    dates = {row[1]: row[2] for row in batch}
    moved = set()
    for case_id, old in Case.objects.filter(hospital=hospital, case_id__in=list(dates)).values_list("case_id", "date"):
        if old.isoformat() != dates[case_id]:
            moved.add((old.year, old.month))
    return moved


def store_orm(hospital: Hospital, rows: Iterator[tuple[Any, ...]]) -> set[tuple[int, int]]:
    """Upsert rows (CASE_COLUMNS order) through the ORM, a batch at a time; return the months cases moved out of."""
    moved: set[tuple[int, int]] = set()
    names = CASE_COLUMNS[1:]
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        moved.update(_months_moved_sqlite(hospital, batch))
        Case.objects.bulk_create(
            [Case(hospital_id=r[0], **dict(zip(names, r[1:], strict=True))) for r in batch],
            update_conflicts=True,
            unique_fields=["hospital", "case_id"],
            update_fields=list(CASE_COLUMNS[2:]),
            batch_size=500,
        )
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return moved
