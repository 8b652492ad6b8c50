"""The round summary over many hospitals as a ratio to a plain SQL aggregate over the same ratings.

scripts/with-services -- .venv/bin/python bench/summary.py [--hospitals 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_environment

bench_environment()

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import Row, dump, print_table


def seed(hospitals: int) -> int:
    """A round of `hospitals` hospitals, each with a finalized inspection of every applicable criterion."""
    import datetime

    from accounts.models import Hospital, Level
    from rounds.models import InspectionRound, RoundHospital
    from scoring import engine, selectors
    from scoring.models import AppliesTo, Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating, Standard

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)  # noqa: S311 - reproducible bench data
    standard = Standard.objects.get(code="cq2011")
    levels = [Level.L3A, Level.L3B, Level.L2A, Level.L2B]
    created = Hospital.objects.bulk_create(
        Hospital(name=f"汇总医院{i:04d}", level=levels[i % 4], key_specialty=i % 5 == 0) for i in range(hospitals)
    )
    inspections = Assessment.objects.bulk_create(
        Assessment(hospital=h, standard=standard, kind=AssessmentKind.INSPECTION, year=2026) for h in created
    )
    criteria = list(Criterion.objects.filter(standard=standard))
    ratings = []
    for assessment, hospital in zip(inspections, created, strict=True):
        for c in criteria:
            if c.applies_to == AppliesTo.KEY_SPECIALTY and not hospital.key_specialty:
                continue
            roll = rng.random()
            rating, score = (
                ("met", c.max_points)
                if roll < 0.85
                else (("partial", c.max_points / 2) if roll < 0.95 else ("unmet", 0))
            )
            ratings.append(Rating(assessment=assessment, criterion=c, rating=rating, score=score))
    Rating.objects.bulk_create(ratings, batch_size=5000)
    now = timezone.now()
    for assessment, hospital in zip(inspections, created, strict=True):
        assessment.hospital = hospital
        result = engine.result_as_dict(selectors.assessment_result(assessment))
        Assessment.objects.filter(pk=assessment.pk).update(
            status=AssessmentStatus.FINALIZED, finalized_at=now, final_result=result
        )
    rnd = InspectionRound.objects.create(
        name="基准轮次",
        year=2026,
        standard=standard,
        self_assessment_deadline=datetime.date(2026, 5, 1),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    RoundHospital.objects.bulk_create(
        RoundHospital(round=rnd, hospital=h, inspection=a) for h, a in zip(created, inspections, strict=True)
    )
    return rnd.pk


def median(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hospitals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/summary.py needs PostgreSQL: scripts/with-services -- .venv/bin/python bench/summary.py")
    from reports.content import round_summary
    from rounds.models import InspectionRound

    start = time.perf_counter()
    rnd_id = seed(args.hospitals)
    print(f"seeded {args.hospitals} finalized inspections in {time.perf_counter() - start:.0f} s")

    def floor() -> None:
        # The plain aggregate a hand-written report would start from: every hospital's total and
        # per-chapter sums of its ratings.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.hospital_id, i.chapter_id, sum(r.score), count(*) FILTER (WHERE r.rating = 'unmet') "
                "FROM scoring_rating r JOIN scoring_assessment a ON a.id = r.assessment_id "
                "JOIN scoring_criterion c ON c.id = r.criterion_id JOIN scoring_item i ON i.id = c.item_id "
                "JOIN rounds_roundhospital e ON e.inspection_id = a.id WHERE e.round_id = %s "
                "GROUP BY a.hospital_id, i.chapter_id",
                [rnd_id],
            )
            cursor.fetchall()

    def summary() -> None:
        rnd = InspectionRound.objects.select_related("standard").get(pk=rnd_id)
        data = round_summary(rnd, job_id=0, generated_at=timezone.now())
        assert data["finalized"] == args.hospitals, data["finalized"]

    floor_s = median(floor, args.repeat)
    summary_s = median(summary, args.repeat)
    with CaptureQueriesContext(connection) as queries:
        summary()
    n = f"{args.hospitals:,}"
    rows = [
        Row(f"round summary floor: SQL aggregate over {n} × ~100 ratings", floor_s * 1e3, "ms"),
        Row(
            f"round summary of {n} hospitals (reports.content)", summary_s * 1e3, "ms", floor=floor_s * 1e3, goal="≤ 3"
        ),
        Row("round summary queries", len(queries), "queries", goal="≤ 10", limit=10),
    ]
    print_table(rows)
    if args.json:
        dump(rows, args.json)


if __name__ == "__main__":
    main()
