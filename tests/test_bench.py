"""`make bench` keeps working: every bench script runs at its smallest size (bench/all.py --smoke).

No timing is checked here (timings stay out of the tests); the run must finish, speak plain HTTP with DEBUG
off (the production HTTPS redirect once answered every bench request 301), and write the table with a goal
and a verdict on the rows that have one.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_make_bench_smoke_run_writes_the_table(tmp_path: Path) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        message = "the bench runs on PostgreSQL: run this under scripts/with-services (make test)"
        if os.environ.get("ANESQC_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    out = tmp_path / "results.json"
    # As `make bench` on a fresh clone: production mode, and a redirect to HTTPS the harness must turn off.
    env = {**os.environ, "DEBUG": "false", "SECURE_SSL_REDIRECT": "true", "SESSION_COOKIE_SECURE": "true"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "all.py"), "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"written to {out}" in done.stdout
    rows = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    # Every script ran and reported its peak memory.
    for script in ("run.py", "web.py", "cases.py", "summary.py", "province.py", "reports.py"):
        if (ROOT / "bench" / script).exists():
            assert rows[f"memory: bench/{script} process, peak RSS"]["measured"] > 0
    # The HTTP figures were served (a 301 would have stopped the run) and carry their goals and verdicts.
    result = rows["GET …/result/ (102 criteria), throughput"]
    assert result["measured"] > 0 and result["goal"] == "≥ 0.5" and result["met"] in (True, False)
    assert rows["PUT …/ratings/{code}/, throughput"]["goal"] == "≥ 0.4"
    # Where a result's time goes: each lookup through the ORM beside its own SQL through a cursor.
    pieces = {name: r for name, r in rows.items() if name.startswith("result piece: ")}
    assert len(pieces) == 5 and all(r["measured"] > 0 for r in pieces.values()), pieces
    assert sum(1 for r in pieces.values() if r["floor"]) == 2
    # Query counts are not timings: they hold at any size.
    assert rows["result/ query count (without authentication)"]["met"] is True
    assert rows["round summary queries"]["met"] is True
    province = [r for name, r in rows.items() if name.startswith("province: ") and name.endswith(" vs 8")]
    assert len(province) == 3 and all(r["met"] is True for r in province), province  # page, API, board: constant
    # The table was printed with its verdict column.
    assert "met" in done.stdout and ("yes" in done.stdout or "NO" in done.stdout)
