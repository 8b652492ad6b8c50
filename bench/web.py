"""HTTP figures with gunicorn serving on PostgreSQL: throughput as a ratio to a minimal JSON view served by
the same server and middleware, and an open-loop locust run of simulated inspectors saving ratings.

    scripts/with-services -- .venv/bin/python bench/web.py [--seconds 10] [--users 200] [--minutes 2]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Row, bench_environment

bench_environment()

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(inspectors: int) -> dict[str, Any]:
    """A fully rated assessment to read, and one inspection per hospital for the inspectors to rate."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from accounts.models import Hospital, InspectorAssignment, Level, Role, User
    from scoring.models import AppliesTo, Assessment, AssessmentKind, Criterion, Rating, Standard

    call_command("migrate", verbosity=0)
    standard = Standard.objects.get(code="cq2011")
    hospitals = Hospital.objects.bulk_create(
        Hospital(name=f"基准医院{i:03d}", level=Level.L3A if i % 2 else Level.L2A) for i in range(50)
    )
    read = Assessment.objects.create(hospital=hospitals[0], standard=standard, kind=AssessmentKind.SELF, year=2026)
    criteria = list(Criterion.objects.filter(standard=standard, applies_to=AppliesTo.ALL))
    Rating.objects.bulk_create(Rating(assessment=read, criterion=c, rating="met", score=c.max_points) for c in criteria)
    inspections = Assessment.objects.bulk_create(
        Assessment(hospital=h, standard=standard, kind=AssessmentKind.INSPECTION, year=2026) for h in hospitals
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"bench-inspector-{i}", role=Role.INSPECTOR, password=unusable) for i in range(inspectors)
    )
    InspectorAssignment.objects.bulk_create(
        InspectorAssignment(inspector=u, hospital=hospitals[i % len(hospitals)]) for i, u in enumerate(users)
    )
    tokens = Token.objects.bulk_create(Token(user=u, key=Token.generate_key()) for u in users)
    head = User.objects.create(
        username="bench-head", role=Role.DEPARTMENT_HEAD, hospital=hospitals[0], password=unusable
    )
    return {
        "read": read.pk,
        "head_token": Token.objects.create(user=head).key,
        "inspector_token": tokens[0].key,
        "rate": inspections[0].pk,
        "users": [[t.key, inspections[i % len(inspections)].pk] for i, t in enumerate(tokens)],
        "codes": [c.code for c in criteria],
    }


class Server:
    """gunicorn serving anesqc on a free port, in production mode, against the bench database."""

    def __init__(self, workers: int) -> None:
        self.port = free_port()
        # Plain HTTP on loopback: bench_environment() turned the production redirect and secure cookies off.
        env = {**os.environ, "DEBUG": "false"}
        self.log = tempfile.NamedTemporaryFile(prefix="anesqc-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                str(VENV_BIN / "gunicorn"),
                "anesqc.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--worker-class=sync",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request("GET", self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn did not answer /healthz; see {self.log.name}")

    def peak_rss_mib(self) -> float:
        """The largest peak RSS (VmHWM) among gunicorn's worker processes, in MiB (Linux; 0 elsewhere)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return 0.0
        peaks = [0]
        for pid in children:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
        return max(peaks) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def request(method: str, port: int, path: str, body: Any = None, token: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1"}
    payload = None
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def throughput(port: int, calls: list[tuple[str, str, Any, str | None]], seconds: float, concurrency: int) -> float:
    """Requests per second of a closed loop of `concurrency` clients cycling through `calls` for `seconds`."""
    done = [0] * concurrency
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def client(slot: int) -> None:
        i = slot
        while time.monotonic() < stop:
            method, path, body, token = calls[i % len(calls)]
            status, content = request(method, port, path, body, token)
            if status != 200:
                failures.append(f"{method} {path}: {status} {content[:200]!r}")
                return
            done[slot] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("bench/web.py: " + failures[0])
    return sum(done) / (time.monotonic() - start)


def locust(port: int, data: dict[str, Any], users: int, minutes: float) -> dict[str, Any]:
    """An open-loop locust run; returns the aggregated counts and percentiles (milliseconds)."""
    out = Path(tempfile.mkdtemp(prefix="anesqc-locust-")) / "run"
    env = {
        **os.environ,
        "ANESQC_BENCH_USERS": json.dumps(data["users"]),
        "ANESQC_BENCH_CODES": json.dumps(data["codes"]),
    }
    subprocess.run(  # noqa: S603 - our own locust run, fixed arguments
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            f"--users={users}",
            f"--spawn-rate={max(1, users // 10)}",
            f"--run-time={int(minutes * 60)}s",
            f"--host=http://127.0.0.1:{port}",
            f"--csv={out}",
            "--only-summary",
            "--loglevel=WARNING",
        ],
        check=False,  # locust exits 1 when any request failed: the failures are reported, not fatal
        env=env,
        cwd=ROOT,
    )
    with open(f"{out}_stats.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
    }


def per_call_us(fn: Any, calls: int) -> float:
    for _ in range(max(1, calls // 10)):  # warm up: connection, caches, code paths
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def result_pieces(data: dict[str, Any], calls: int) -> list[Row]:
    """Where a `GET …/result/` goes, piece by piece in this process: each ORM lookup against its own SQL through
    a cursor (the ratio is what Django adds: building, compiling, hydrating), and the cached result with its JSON."""
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.api.tokens import ExpiringTokenAuthentication
    from common.renderers import JSONRenderer
    from scoring import selectors

    key = data["head_token"]
    user, _ = ExpiringTokenAuthentication().authenticate_credentials(key)

    def token_orm() -> object:
        return ExpiringTokenAuthentication().authenticate_credentials(key)

    def assessment_orm() -> object:
        return selectors.assessments_visible_to(user).get(pk=data["read"])

    def through_cursor(sql: str, params: Any) -> Any:
        def run() -> object:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        return run

    token_sql = Token.objects.select_related("user").filter(key=key).query.sql_with_params()
    assessment_sql = selectors.assessments_visible_to(user).filter(pk=data["read"]).query.sql_with_params()
    assessment = selectors.assessments_visible_to(user).get(pk=data["read"])
    renderer = JSONRenderer()

    def cached_result() -> object:
        return renderer.render(
            selectors.assessment_result_data(assessment, ratings_revision=assessment.ratings_revision)
        )

    select_one = per_call_us(through_cursor("SELECT 1", None), calls)
    token_floor = per_call_us(through_cursor(*token_sql), calls)
    assessment_floor = per_call_us(through_cursor(*assessment_sql), calls)
    return [
        Row("result piece: SELECT 1 via a cursor (as /healthz)", select_one, "µs"),
        Row(
            "result piece: token + user via ORM (floor: its SQL)",
            per_call_us(token_orm, calls),
            "µs",
            floor=token_floor,
            notes="floor: the same SQL through a cursor",
        ),
        Row(
            "result piece: compiling the token query",
            per_call_us(lambda: Token.objects.select_related("user").filter(key=key).query.sql_with_params(), calls),
            "µs",
        ),
        Row(
            "result piece: assessment via scope (floor: its SQL)",
            per_call_us(assessment_orm, calls),
            "µs",
            floor=assessment_floor,
            notes="floor: the same SQL through a cursor",
        ),
        Row("result piece: cached result + its JSON", per_call_us(cached_result, calls), "µs"),
    ]


def measure(
    *, seconds: float = 10, concurrency: int = 6, workers: int = 3, users: int = 200, minutes: float = 2
) -> list[Row]:
    from django.db import connection

    data = seed(users)
    if connection.vendor != "postgresql":
        sys.exit("bench/web.py needs PostgreSQL: scripts/with-services -- .venv/bin/python bench/web.py")
    pieces = result_pieces(data, calls=max(100, int(seconds * 300)))
    connection.close()  # gunicorn's workers hold their own connections
    server = Server(workers)
    try:
        floor = throughput(server.port, [("GET", "/healthz", None, None)], seconds, concurrency)
        result = throughput(
            server.port,
            [("GET", f"/api/v1/assessments/{data['read']}/result/", None, data["head_token"])],
            seconds,
            concurrency,
        )
        url = f"/api/v1/assessments/{data['rate']}/ratings/"
        saves = [
            (
                "PUT",
                f"{url}{code}/",
                {"rating": "met"} if n % 2 else {"rating": "unmet", "remark": "核查"},
                data["inspector_token"],
            )
            for n, code in enumerate(data["codes"])
        ]
        put = throughput(server.port, saves, seconds, concurrency)
        load = locust(server.port, data, users, minutes) if minutes > 0 else None
        worker_rss = server.peak_rss_mib()
    finally:
        server.stop()
    rows = [
        Row("GET /healthz, throughput (floor)", floor, "req/s"),
        Row("GET …/result/ (102 criteria), throughput", result, "req/s", floor=floor, goal="≥ 0.5", higher=True),
        Row("PUT …/ratings/{code}/, throughput", put, "req/s", floor=floor, goal="≥ 0.4", higher=True),
        Row("memory: a gunicorn worker, peak RSS", worker_rss, "MiB"),
        *pieces,
    ]
    if load is not None:
        rows += [
            Row(
                f"locust: {users} inspectors × 1 save / 5 s, {minutes:g} min, errors",
                load["failures"],
                "errors",
                goal="= 0",
                limit=0,
            ),
            Row(f"locust: {load['requests']} saves, p50", load["p50"], "ms"),
            Row("locust: p95", load["p95"], "ms"),
            Row("locust: p99", load["p99"], "ms"),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--json", help="also write the rows to this file")
    args = vars(parser.parse_args())
    out = args.pop("json")
    from bench.common import dump, print_table

    rows = measure(**args)
    print_table(rows)
    if out:
        dump(rows, out)


if __name__ == "__main__":
    main()
