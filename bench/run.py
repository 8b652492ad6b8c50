"""Benchmarks as ratios against a floor measured in the same run (see bench/README.md)."""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="anesqc-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")

from bench.common import bench_environment

bench_environment()  # DEBUG off as in production, but plain HTTP: no HTTPS redirect (it answered 301)

import django

django.setup()

from django.core.management import call_command
from django.test.utils import setup_test_environment
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Hospital, Level, Role, User
from bench.common import Row, dump, print_table
from scoring import engine, selectors
from scoring.models import Assessment, AssessmentKind, Criterion, Rating, Standard

# --smoke: every figure from a couple of calls, to check the script runs (tests/test_bench.py), not to quote.
SMOKE = {"on": False}


def median_seconds(fn: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Median over `repeat` runs of the time per call, each run making `number` calls."""
    fn()  # warm up
    if SMOKE["on"]:
        number, repeat = min(number, 2), 1
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def interleaved_medians(
    first: Callable[[], object], second: Callable[[], object], *, number: int, repeat: int = 7
) -> tuple[float, float]:
    """Median time per call of each of two functions, timed in turns (a passing load weighs on both alike)."""
    first()
    second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - start) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


def measure() -> list[Row]:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    standard = Standard.objects.get(code="cq2011")
    hospital = Hospital.objects.create(name="基准医院", level=Level.L3A, key_specialty=True)
    head = User.objects.create_user(
        "bench-head", password="bench-password-1", role=Role.DEPARTMENT_HEAD, hospital=hospital
    )
    assessment = Assessment.objects.create(hospital=hospital, standard=standard, kind=AssessmentKind.SELF, year=2026)
    Rating.objects.bulk_create(
        Rating(assessment=assessment, criterion=c, rating="met", score=c.max_points)
        for c in Criterion.objects.filter(standard=standard)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=head).key}")

    specs = selectors.criterion_specs(standard.pk)
    ratings = {s.code: engine.RatingInput(engine.MET, s.max_points) for s in specs}
    thresholds = selectors.thresholds_of(standard.pk)
    values = [s.max_points for s in specs]

    def floor_engine() -> Decimal:
        total = Decimal(0)
        for v in values:
            total += v
        return total

    def run_engine() -> engine.Result:
        return engine.evaluate(criteria=specs, ratings=ratings, key_specialty=True, level="3A", thresholds=thresholds)

    def get(url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        return call

    flip = {"n": 0}

    def put_rating() -> object:
        flip["n"] += 1
        body = {"rating": "partial", "score": "7.5"} if flip["n"] % 2 else {"rating": "met"}
        response = client.put(f"/api/v1/assessments/{assessment.pk}/ratings/3.1-3/", body, format="json")
        assert response.status_code == 200, response.content
        return response

    rows = []
    engine_floor = median_seconds(floor_engine, number=2000)
    rows.append(("engine.evaluate (102 criteria)", median_seconds(run_engine, number=200), engine_floor))
    http_floor = median_seconds(get("/healthz"), number=50)
    rows.append(
        ("GET result/", median_seconds(get(f"/api/v1/assessments/{assessment.pk}/result/"), number=20), http_floor)
    )
    rows.append(("GET standards/cq2011/", median_seconds(get("/api/v1/standards/cq2011/"), number=20), http_floor))
    rows.append(("PUT ratings/3.1-3/", median_seconds(put_rating, number=20), http_floor))
    chapter_page = get(f"/assessments/{assessment.pk}/chapters/3/")
    client.force_login(head)
    rows.append(("GET form page, chapter 3 (28 rated)", median_seconds(chapter_page, number=10), http_floor))
    # Issue 13: the whole workspace (102 criteria, one line each, details fetched when opened) against the
    # chapter-3 page as it was (28 criteria with their details), measured in turns so a load affects both.
    workspace_page = get(f"/assessments/{assessment.pk}/")
    workspace, chapter_3 = interleaved_medians(workspace_page, chapter_page, number=5)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        get(f"/api/v1/assessments/{assessment.pk}/result/")()
    # Authentication (the token and its user, the session) is not the result's cost.
    auth = sum(1 for q in queries if any(t in q["sql"] for t in ("authtoken_token", "django_session", "accounts_user")))
    table = [
        Row(name, measured * 1e3, "ms", floor * 1e3, goal="< 5" if name.startswith("engine") else "")
        for name, measured, floor in rows
    ]
    # The engine's goal is absolute (< 5 ms), the other rows are ratios to their floor.
    table[0].limit = 5.0
    table.append(
        Row("GET workspace, all 102 criteria (floor: chapter 3)", workspace * 1e3, "ms", chapter_3 * 1e3, "≤ 2")
    )
    table.append(
        Row("result/ query count (without authentication)", len(queries) - auth, "queries", goal="≤ 5", limit=5)
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--smoke", action="store_true", help="a call or two per figure: checks the script runs")
    args = parser.parse_args()
    SMOKE["on"] = args.smoke
    table = measure()
    vendor = django.db.connection.vendor
    print_table(table, f"anesqc benchmarks ({vendor}); ratio = measured / floor in this run")
    if args.json:
        dump(table, args.json)


if __name__ == "__main__":
    main()
