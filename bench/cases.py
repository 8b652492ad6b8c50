"""Case import and aggregation as ratios against raw COPY and count(*) in the same run (PostgreSQL only).

scripts/with-services -- .venv/bin/python bench/cases.py --rows 1000000
"""

import argparse
import statistics
import sys
import tempfile
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

from accounts.models import Hospital, Level
from bench.common import Row, dump, print_table
from indicators.cases import BOOL_FIELDS, case_counts, case_import


def timed(fn, repeat: int = 1, setup=None) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/cases.py needs PostgreSQL: scripts/with-services -- .venv/bin/python bench/cases.py")
    call_command("migrate", verbosity=0)
    hospital = Hospital.objects.create(name="基准医院", level=Level.L3A)
    path = Path(tempfile.mkdtemp(prefix="anesqc-bench-")) / "cases.csv"
    start = time.perf_counter()
    call_command("generate_cases", f"--hospital-id={hospital.pk}", f"--rows={args.rows}", f"--out={path}")
    print(f"generated {args.rows} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s")

    flags = ", ".join(f"{f} boolean NOT NULL" for f in BOOL_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_copy (case_id varchar(64) NOT NULL, date date NOT NULL, "
            f"anesthesia_type varchar(24) NOT NULL, asa smallint, {flags})"
        )
        cursor.execute("CREATE TABLE bench_keyed (LIKE bench_copy, PRIMARY KEY (case_id))")

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_copy, bench_keyed, indicators_case, indicators_caserollup")
            cursor.execute("CHECKPOINT")  # each figure starts from the same WAL state

    def raw_copy() -> None:
        with connection.cursor() as cursor, open(path, encoding="utf-8") as f:
            cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", f)

    def keyed_copy() -> None:
        with connection.cursor() as cursor, open(path, encoding="utf-8") as f:
            cursor.copy_expert("COPY bench_keyed FROM STDIN WITH (FORMAT csv, HEADER true)", f)

    def full_import() -> None:
        with open(path, "rb") as f:
            job = case_import(actor=None, hospital=hospital, file=f, name=path.name)
        assert job.imported == args.rows, (job.status, job.errors[:5])

    copy_s = timed(raw_copy, args.repeat, empty)
    keyed_s = timed(keyed_copy, args.repeat, empty)
    import_s = timed(full_import, args.repeat, empty)
    reupload_s = timed(full_import)  # every case stored already: streamed into staging, upserted
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE indicators_case")

    def count_all() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM indicators_case")
            assert cursor.fetchone()[0] == args.rows

    def aggregate() -> None:
        with CaptureQueriesContext(connection) as queries:
            _, rows = case_counts()
            assert len(list(rows)) == 12
        assert len(queries) == 2, "the indicator definitions, then ONE aggregation query"

    count_all()
    aggregate()  # warm the cache for both
    count_s = timed(count_all, repeat=5)
    agg_s = timed(aggregate, repeat=5)
    n = f"{args.rows:,}"
    rows = [
        Row(f"case import: raw COPY of {n} rows (floor)", copy_s, "s"),
        Row("case import: raw COPY into a table keyed by case_id", keyed_s, "s", floor=copy_s),
        Row(f"case import: {n} new cases (streamed)", import_s, "s", floor=copy_s, goal="≤ 2"),
        Row(f"case import: the same {n} again (staged upsert)", reupload_s, "s", floor=copy_s, goal="≤ 3"),
        Row("case aggregation: SELECT count(*) (floor)", count_s, "s"),
        Row("case aggregation: every indicator by hospital and month", agg_s, "s", floor=count_s, goal="≤ 1.5"),
    ]
    print_table(rows, f"medians of {args.repeat}; the aggregation is one SUM(n) FILTER (…) query over the rollup")
    if args.json:
        dump(rows, args.json)


if __name__ == "__main__":
    main()
