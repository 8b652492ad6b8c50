"""Province scale (issue 16): Chongqing has several hundred hospitals with anaesthesia departments and over a
million anaesthesias a year. With 800 hospitals:

- indicator aggregation over every case (20,000,000 in the full run) against `SELECT count(*)`;
- the city comparison of one indicator, page and API, against the same SQL aggregate of its monthly values,
  and their query counts against those with a handful of hospitals (constant: ratio 1); served again with
  unchanged inputs (memoized, the goal's row) and as the first request after a change (computed);
- the round board of 800 hospitals, its query count likewise;
- the peak memory of this process.

    scripts/with-services -- .venv/bin/python bench/province.py [--hospitals 800] [--cases 20000000] [--quick|--smoke]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_environment

bench_environment()

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from bench.common import Row, dump, peak_rss_mib, print_table

FEW = 8  # the handful of hospitals the query counts are compared against
INDICATOR = "cq2011.anesthesia_mortality"
TYPES = ["general", "neuraxial", "epidural", "spinal", "combined_spinal_epidural", "nerve_block", "other"]


def median(fn: Callable[[], object], repeat: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def hospitals(n: int, start: int) -> list[Any]:
    from accounts.models import Hospital, Level

    levels = [Level.L3A, Level.L3B, Level.L2A, Level.L2B]
    return Hospital.objects.bulk_create(
        Hospital(name=f"全市医院{i:04d}", level=levels[i % 4], key_specialty=i % 5 == 0, district="渝中区")
        for i in range(start, start + n)
    )


def add_cases(hospital_ids: list[int], per_hospital: int) -> None:
    """`per_hospital` cases for each hospital over 2026, generated in the database, and their rollup."""
    from indicators.cases import BOOL_FIELDS
    from indicators.cases.postgres import rollup_insert

    flags = ", ".join(BOOL_FIELDS)
    values = ", ".join(f"(g * {i + 3} + h.id) %% {97 + i * 6} = 0" for i in range(len(BOOL_FIELDS)))
    types = "ARRAY[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO indicators_case (hospital_id, case_id, date, anesthesia_type, asa, {flags}) "  # noqa: S608
            f"SELECT h.id, 'C' || g, DATE '2026-01-01' + ((g * 7 + h.id) %% 365)::int, "  # (%% : a modulo, with params)
            f"({types})[1 + (g + h.id) %% {len(TYPES)}], 1 + (g + h.id) %% 5, {values} "
            "FROM accounts_hospital h CROSS JOIN generate_series(1, %s) g WHERE h.id = ANY(%s)",
            [per_hospital, hospital_ids],
        )
    months = {(2026, m) for m in range(1, 13)}
    for hospital_id in hospital_ids:
        rollup_insert(hospital_id=hospital_id, months=months)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE indicators_case")
        cursor.execute("VACUUM ANALYZE indicators_caserollup")


def add_period_values(hospital_ids: list[int]) -> None:
    """Every case-computed indicator's monthly counts of these hospitals, from the rollup (as an import writes)."""
    from indicators.cases import case_counts
    from indicators.models import PeriodValue

    indicators, rows = case_counts(hospital_ids=hospital_ids)
    PeriodValue.objects.bulk_create(
        (
            PeriodValue(
                hospital_id=row["hospital_id"],
                indicator_id=indicator.pk,
                year=row["year"],
                month=row["month"],
                numerator=row[f"n{indicator.pk}"],
                denominator=row[f"d{indicator.pk}"],
                source=PeriodValue.Source.CASES,
            )
            for row in rows
            for indicator in indicators
        ),
        batch_size=5000,
    )


def add_to_round(rnd: Any, created: list[Any]) -> None:
    from rounds.models import RoundHospital
    from scoring.models import Assessment, AssessmentKind

    selves = Assessment.objects.bulk_create(
        Assessment(hospital=h, standard=rnd.standard, kind=AssessmentKind.SELF, year=rnd.year) for h in created
    )
    inspections = Assessment.objects.bulk_create(
        Assessment(hospital=h, standard=rnd.standard, kind=AssessmentKind.INSPECTION, year=rnd.year) for h in created
    )
    RoundHospital.objects.bulk_create(
        RoundHospital(round=rnd, hospital=h, self_assessment=s, inspection=i)
        for h, s, i in zip(created, selves, inspections, strict=True)
    )


def count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def measure(*, n_hospitals: int, n_cases: int, repeat: int) -> list[Row]:
    from accounts.models import Role, User
    from indicators.cases import case_counts
    from indicators.comparison import memo_clear
    from indicators.models import Indicator
    from rounds.models import InspectionRound
    from scoring.models import Standard

    # No setup_test_environment(): it instruments every template render for the test client's
    # `response.context`, a cost production never pays (the page renders three templates, one of 800 rows).
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("bench-qc", password="bench-password-1", role=Role.QC_ADMIN)
    page = Client()
    page.force_login(admin)
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    indicator = Indicator.objects.get(code=INDICATOR)
    rnd = InspectionRound.objects.create(
        name="全市轮次",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 1),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    per_hospital = max(1, n_cases // n_hospitals)

    def get(client: Client, url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    comparison_page = get(page, f"/indicators/{indicator.code}/comparison/?year=2026")
    comparison_api = get(api, f"/api/v1/indicators/{indicator.code}/comparison/?year=2026")
    board = get(page, f"/rounds/{rnd.pk}/")

    # A handful of hospitals first: the query counts every later figure is compared with.
    few = hospitals(FEW, 0)
    add_cases([h.pk for h in few], per_hospital)
    add_period_values([h.pk for h in few])
    add_to_round(rnd, few)
    few_queries = {name: count_queries(fn) for name, fn in (("page", comparison_page), ("api", comparison_api))}
    few_queries["board"] = count_queries(board)

    start = time.perf_counter()
    rest = hospitals(n_hospitals - FEW, FEW)
    ids = [h.pk for h in rest]
    for i in range(0, len(ids), 100):  # a hundred hospitals a statement: bounded memory and WAL per statement
        add_cases(ids[i : i + 100], per_hospital)
    add_period_values(ids)
    add_to_round(rnd, rest)
    total = per_hospital * n_hospitals
    print(f"seeded {n_hospitals} hospitals, {total:,} cases in {time.perf_counter() - start:.0f} s", flush=True)

    def count_all() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM indicators_case")
            assert cursor.fetchone()[0] == total

    def aggregate() -> None:
        _, rows = case_counts()
        assert len(list(rows)) == 12 * n_hospitals

    def floor_comparison() -> None:
        # The aggregate the comparison starts from: the indicator's year by hospital, in plain SQL.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT hospital_id, sum(numerator), sum(denominator) FROM indicators_periodvalue "
                "WHERE indicator_id = %s AND year = %s GROUP BY hospital_id",
                [indicator.pk, 2026],
            )
            assert len(cursor.fetchall()) == n_hospitals

    count_s = median(count_all, repeat)
    aggregate_s = median(aggregate, repeat)
    floor_s = median(floor_comparison, repeat)
    page_s = median(comparison_page, repeat)
    api_s = median(comparison_api, repeat)

    def computed(fn: Callable[[], object]) -> Callable[[], object]:
        # The first request after any change of counts, hospitals or targets: nothing memoized to serve.
        def call() -> object:
            memo_clear()
            return fn()

        return call

    page_computed_s = median(computed(comparison_page), repeat)
    api_computed_s = median(computed(comparison_api), repeat)
    board_s = median(board, repeat)
    many_queries = {
        "page": count_queries(comparison_page),
        "api": count_queries(comparison_api),
        "board": count_queries(board),
    }
    n, c = f"{n_hospitals:,}", f"{total:,}"
    rows = [
        Row(f"province: SELECT count(*) of {c} cases (floor)", count_s, "s"),
        Row(
            f"province: every indicator by hospital and month, {n} hospitals",
            aggregate_s,
            "s",
            floor=count_s,
            goal="≤ 1.5",
        ),
        Row("province: SQL aggregate, one indicator by hospital (floor)", floor_s * 1e3, "ms"),
        Row(
            f"province: comparison page, one indicator, {n} hospitals",
            page_s * 1e3,
            "ms",
            floor=floor_s * 1e3,
            goal="≤ 3",
        ),
        Row(
            f"province: comparison API, one indicator, {n} hospitals",
            api_s * 1e3,
            "ms",
            floor=floor_s * 1e3,
            goal="≤ 3",
        ),
        Row(
            f"province: comparison page, first request after a change, {n} hospitals",
            page_computed_s * 1e3,
            "ms",
            floor=floor_s * 1e3,
            notes="computed and rendered, nothing memoized",
        ),
        Row(
            f"province: comparison API, first request after a change, {n} hospitals",
            api_computed_s * 1e3,
            "ms",
            floor=floor_s * 1e3,
            notes="computed, nothing memoized",
        ),
        Row(f"province: round board of {n} hospitals", board_s * 1e3, "ms"),
    ]
    for key, label in (("page", "comparison page"), ("api", "comparison API"), ("board", "round board")):
        rows.append(
            Row(
                f"province: {label} queries, {n} hospitals vs {FEW}",
                many_queries[key],
                "queries",
                floor=few_queries[key],
                goal="≤ 1",
                notes=f"{few_queries[key]} with {FEW}",
            )
        )
    rows.append(Row("memory: province bench, peak RSS (in process)", peak_rss_mib(), "MiB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hospitals", type=int, default=800)
    parser.add_argument("--cases", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="800 hospitals, 2,000,000 cases, 3 repeats")
    parser.add_argument("--smoke", action="store_true", help="16 hospitals, a few cases each, one repeat")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.repeat = 2_000_000, 3
    if args.smoke:
        args.hospitals, args.cases, args.repeat = 2 * FEW, 2 * FEW * 50, 1
    if connection.vendor != "postgresql":
        sys.exit("bench/province.py needs PostgreSQL: scripts/with-services -- .venv/bin/python bench/province.py")
    rows = measure(n_hospitals=args.hospitals, n_cases=args.cases, repeat=args.repeat)
    print_table(rows, "province scale; ratio = measured / floor in this run")
    if args.json:
        dump(rows, args.json)


if __name__ == "__main__":
    main()
