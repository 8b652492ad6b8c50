"""Reports through a real Celery worker and a real Redis, both started by these tests.

The worker is `celery -A anesqc worker` in a subprocess, pointed at pytest-django's test
database (its name is `test_<name>`, read from the live connection) and at the Redis of the
run (REDIS_URL, from scripts/with-services) or at one a test starts itself. The tests are
transactional, so what they write is committed and the worker sees it; each worker is stopped
before the test's tables are flushed. Needs PostgreSQL and Redis (`make test` provides both).
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import pytest
from django.db import connection

from anesqc.celery import app
from reports.models import JobStatus, ReportJob
from reports.tasks import render_report
from tests.conftest import Cast
from tests.reports.factories import ReportJobFactory

from .brokers import broker, free_port
from .conftest import ROOT, finalized_inspection, page_count, pdffonts, pdftotext, save_pngs

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 90  # seconds: generous upper bounds for a loaded 2-core machine, never a measurement


def wait_for(
    what: str, predicate: Callable[[], Any], *, timeout: float = WAIT, log: Callable[[], str] | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}" + (f"\n--- worker log ---\n{log()[-6000:]}" if log else ""))


def test_database_url() -> str:
    """The URL of the database this test runs against: pytest-django's test database, not the configured one."""
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


class Worker:
    """A `celery worker` subprocess in its own process group, with its log in a file."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish or give back what it holds
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the worker's own group: its pool children
                self.process.wait(timeout=10)


class RedisServer:
    """A throwaway redis-server on a given port, no persistence."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def start_worker(media_root: Path, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    redis_url = os.environ.get("REDIS_URL", "")
    if connection.vendor != "postgresql" or not redis_url:
        message = "worker tests need PostgreSQL and Redis: run them under scripts/with-services --redis (make test)"
        if os.environ.get("ANESQC_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    app.control.purge()  # messages other tests left for jobs that no longer exist
    workers: list[Worker] = []

    def start(
        *,
        broker_url: str = redis_url,
        concurrency: int = 1,
        beat: bool = False,
        pause_file: Path | None = None,
        hooks: str = "tests.reports.worker_hooks",
        env: dict[str, str] | None = None,
    ) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker_url,
            "MEDIA_ROOT": str(media_root),
            "SECRET_KEY": "worker-test-only-not-secret-but-long-enough-for-the-strength-check",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            # Short limits so a lost worker's claim runs out within the test (the lease is the limit + 5 s).
            "REPORT_TIME_LIMIT": "10",
            "REPORT_SWEEP_EVERY": "1",
            "PYTHONPATH": str(ROOT),
            "ANESQC_TEST_PAUSE_FILE": str(pause_file or ""),
            **(env or {}),
        }
        args = [
            sys.executable, "-m", "celery", "-A", "anesqc", "worker",
            "-n", f"reports-test-{uuid4().hex[:8]}@%h",
            "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-I", hooks,
        ]  # fmt: skip
        if beat:
            args += ["-B", "-s", str(tmp_path / f"beat-{len(workers)}")]
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(process, log)
        workers.append(worker)
        wait_for(
            "the worker to be ready", lambda: " ready." in worker.text() or process.poll() is not None, log=worker.text
        )
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{worker.text()[-6000:]}")
        return worker

    yield start
    for worker in workers:
        worker.stop()


def job_status(job_id: int) -> str:
    return ReportJob.objects.values_list("status", flat=True).get(pk=job_id)


def files_of(media_root: Path, job_id: int) -> list[str]:
    folder = media_root / "reports" / str(job_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_report_requested_through_the_api_is_rendered_by_a_real_worker(
    cast: Cast, start_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    worker = start_worker()
    inspection = finalized_inspection(cast, cast.hospital_a, unmet=("1.1-1-1",))
    client = cast.client("head_a")
    created = client.post(f"/api/v1/assessments/{inspection.pk}/reports/")
    assert created.status_code == 202
    url = created.json()["url"]
    seen: set[str] = set()

    def finished() -> dict[str, Any] | None:
        body = client.get(url).json()
        seen.add(body["status"])
        return body if body["status"] in ("done", "failed") else None

    body = wait_for("the report", finished, log=worker.text)
    assert body["status"] == "done", body["error"]
    assert body["progress"] == 100 and body["attempts"] == 1
    download = client.get(body["download_url"])
    assert download.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(b"".join(download.streaming_content))
    flat = "".join(pdftotext(path).split())
    assert "凡开展手术治疗的二级以上医院均建立独立的麻醉科" in flat  # the standard's wording
    assert f"{inspection.final_result['total']}/1000" in flat  # the total
    assert "未达标" in flat and "★1.1-1-1" in flat  # the outcome, failed by a veto item
    fonts = pdffonts(path)
    assert any("Noto-Sans-CJK-SC" in f["name"] for f in fonts)
    assert all((f["emb"], f["sub"]) == ("yes", "yes") for f in fonts)
    assert 5 <= page_count(path) <= 40
    save_pngs(path, "worker-assessment-report", pages=2)


def test_a_task_delivered_twice_leaves_one_file(
    cast: Cast, start_worker: Callable[..., Worker], media_root: Path
) -> None:
    worker = start_worker(concurrency=2)
    job = ReportJobFactory(assessment=finalized_inspection(cast, cast.hospital_b))
    render_report.delay(job.pk)
    render_report.delay(job.pk)  # the same task again, as a broker may redeliver it

    def both_deliveries_done() -> list[str]:
        results = re.findall(r"render_report\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", worker.text())
        return results if len(results) == 2 else []

    results = wait_for("both deliveries", both_deliveries_done, log=worker.text)
    assert sorted(results) == ["done", "finished"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert files_of(media_root, job.pk) == ["1.pdf"]


def test_a_worker_killed_mid_render_is_retried_and_the_job_completed(
    cast: Cast, start_worker: Callable[..., Worker], media_root: Path, tmp_path: Path
) -> None:
    pause = tmp_path / "hold-renders"
    pause.touch()
    worker = start_worker(pause_file=pause)
    inspection = finalized_inspection(cast, cast.hospital_a)
    created = cast.client("qc_admin").post(f"/api/v1/assessments/{inspection.pk}/reports/")
    job_id = created.json()["id"]
    # The render is laid out and waits to write its PDF: kill the pool process doing it.
    job = wait_for(
        "the render to be under way",
        lambda: ReportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, progress__gte=70).first(),
        log=worker.text,
    )
    os.kill(int(job.worker.rsplit(":", 1)[1]), signal.SIGKILL)
    pause.unlink()
    wait_for("the job to finish", lambda: job_status(job_id) in (JobStatus.DONE, JobStatus.FAILED), log=worker.text)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2  # the killed attempt and the one that completed
    assert files_of(media_root, job_id) == ["2.pdf"]
    assert "SIGKILL" in worker.text() or "WorkerLostError" in worker.text()


def test_a_report_requested_while_redis_is_down_is_not_lost(
    cast: Cast, start_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    inspection = finalized_inspection(cast, cast.hospital_a)
    port = free_port()
    with broker(f"redis://127.0.0.1:{port}/0"):  # nothing listens there yet
        created = cast.client("head_a").post(f"/api/v1/assessments/{inspection.pk}/reports/")
    assert created.status_code == 202
    job_id = created.json()["id"]
    job = ReportJob.objects.get(pk=job_id)
    assert (job.status, job.queued_at) == (JobStatus.PENDING, None)
    # Redis comes back; a worker with its beat starts, and the periodic sweep hands the job over.
    redis = RedisServer(port, tmp_path)
    try:
        worker = start_worker(broker_url=redis.url, beat=True)
        wait_for("the job to finish", lambda: job_status(job_id) in (JobStatus.DONE, JobStatus.FAILED), log=worker.text)
        job.refresh_from_db()
        assert job.status == JobStatus.DONE, job.error
        assert "report sweep: 1 queued again" in worker.text()
        worker.stop()
    finally:
        redis.stop()
