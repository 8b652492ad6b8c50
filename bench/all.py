"""`make bench`: every benchmark on PostgreSQL, each in a fresh database, gathered into one table and JSON.

    scripts/with-services --redis -- .venv/bin/python bench/all.py [--quick]

Each figure is a ratio against a floor measured in the same run (see bench/README.md). The table is printed
and written to var/bench/results.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Row, load, print_table, write_json


def fresh_database(name: str) -> str:
    """Create database `name` on the server of DATABASE_URL (dropping an old one); return its URL."""
    import psycopg2

    url = urlsplit(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunsplit(url._replace(path=f"/{name}"))


def step(script: str, *args: str) -> list[Row]:
    out = Path(tempfile.mkdtemp(prefix="anesqc-bench-")) / "rows.json"
    env = {**os.environ, "DATABASE_URL": fresh_database(f"bench_{Path(script).stem}"), "DEBUG": "false"}
    print(f"\n== {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / script), *args, "--json", str(out)], check=True, env=env)  # noqa: S603
    return load(str(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller runs (100,000 cases, 30 s of load)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/all.py runs on PostgreSQL: scripts/with-services --redis -- .venv/bin/python bench/all.py")
    rows: list[Row] = []
    rows += step("run.py")
    rows += step("web.py", *(["--minutes", "0.5", "--seconds", "5"] if args.quick else []))
    rows += step("cases.py", "--rows", "100000" if args.quick else "1000000")
    rows += step("summary.py", "--hospitals", "200" if args.quick else "1000")
    extra = ROOT / "bench" / "reports.py"
    if extra.exists():
        rows += step("reports.py", *(["--quick"] if args.quick else []))
    print()
    print_table(rows, "anesqc benchmarks (PostgreSQL); ratio = measured / floor in the same run")
    print(f"\nwritten to {write_json(rows)}")


if __name__ == "__main__":
    main()
