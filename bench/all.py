"""`make bench`: every benchmark on PostgreSQL, each in a fresh database, gathered into one table and JSON.

    scripts/with-services --redis -- .venv/bin/python bench/all.py [--quick | --smoke] [--out PATH] [--only web.py]

Each figure is a ratio against a floor measured in the same run (see bench/README.md). The table is printed
and written to var/bench/results.json (or --out), each row with its goal and whether it was met; the peak
memory of each bench process is a row of its own.

Sizes: the full run is what the goals are stated for; --quick is a short run of the same figures; --smoke
runs every script at its smallest size (seconds, not figures to quote) so tests/test_bench.py can check in
`make test` that `make bench` still works.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, Row, bench_environment, load, print_table, write_json

TEMPLATE = "bench_template"


@dataclass(frozen=True)
class Step:
    """One bench script and its arguments at each size. Rows come from the script; scripts are listed here only."""

    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    smoke: tuple[str, ...] = ()
    needs_redis: bool = False


# The one place that lists what `make bench` runs, in order.
STEPS: tuple[Step, ...] = (
    Step("run.py", smoke=("--smoke",)),
    Step(
        "web.py",
        quick=("--minutes", "0.5", "--seconds", "5"),
        smoke=("--minutes", "0", "--seconds", "0.5", "--users", "4", "--workers", "1", "--concurrency", "2"),
    ),
    Step("cases.py", full=("--rows", "1000000"), quick=("--rows", "100000"), smoke=("--rows", "2000", "--repeat", "1")),
    Step(
        "summary.py",
        full=("--hospitals", "1000"),
        quick=("--hospitals", "200"),
        smoke=("--hospitals", "5", "--repeat", "1"),
    ),
    Step("province.py", quick=("--quick",), smoke=("--smoke",)),
    Step("reports.py", quick=("--quick",), smoke=("--smoke",), needs_redis=True),
)


def _admin_url() -> str:
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))


def _admin(sql: str) -> None:
    import psycopg2

    admin = psycopg2.connect(_admin_url())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql)
    finally:
        admin.close()


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def migrated_template() -> None:
    """Migrate one database once; every step's fresh database is a copy of it (CREATE DATABASE … TEMPLATE)."""
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
    _admin(f'CREATE DATABASE "{TEMPLATE}"')
    env = {**os.environ, "DATABASE_URL": database_url(TEMPLATE)}
    subprocess.run(  # noqa: S603 - this virtualenv's Python, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], check=True, env=env, cwd=ROOT
    )


def fresh_database(name: str) -> str:
    """Create database `name` from the migrated template (dropping an old one); return its URL."""
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return database_url(name)


def step(script: str, *args: str) -> list[Row]:
    """Run one script in a fresh database; its rows, and a row for its peak memory."""
    out = Path(tempfile.mkdtemp(prefix="anesqc-bench-")) / "rows.json"
    env = {**bench_environment(), "DATABASE_URL": fresh_database(f"bench_{Path(script).stem}")}
    print(f"\n== {script} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - a bench script of this repository, fixed arguments
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(out)], env=env, cwd=ROOT
    )
    # wait4: this child's own resource usage (its peak RSS), not the running maximum over every child.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench/{script} failed (exit {process.returncode})")
    rows = load(str(out))
    rows.append(
        Row(
            f"memory: bench/{script} process, peak RSS",
            usage.ru_maxrss / 1024,
            "MiB",
            notes=f"{time.perf_counter() - start:.0f} s",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller runs (100,000 cases, 30 s of load)")
    size.add_argument("--smoke", action="store_true", help="the smallest sizes: checks that every script runs")
    parser.add_argument("--out", type=Path, default=RESULTS / "results.json", help="the table as JSON")
    parser.add_argument("--only", action="append", help="run only this script (repeatable), e.g. --only web.py")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/all.py runs on PostgreSQL: scripts/with-services --redis -- .venv/bin/python bench/all.py")
    bench_environment()
    migrated_template()
    rows: list[Row] = []
    for s in STEPS:
        if args.only and s.script not in args.only:
            continue
        if not (ROOT / "bench" / s.script).exists():
            continue
        if s.needs_redis and not os.environ.get("REDIS_URL") and not args.smoke:
            print(f"\n== {s.script}: skipped, needs Redis (scripts/with-services --redis)")
            continue
        rows += step(s.script, *(s.smoke if args.smoke else s.quick if args.quick else s.full))
    print()
    size_name = "smoke" if args.smoke else "quick" if args.quick else "full"
    print_table(rows, f"anesqc benchmarks (PostgreSQL, {size_name} run); ratio = measured / floor in the same run")
    print(f"\nwritten to {write_json(rows, args.out)}")


if __name__ == "__main__":
    main()
