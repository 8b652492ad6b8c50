"""Case imports through a real Celery worker, a real Redis and PostgreSQL (the reports' worker machinery).

The worker is started by `tests/reports/test_worker.py`'s `start_worker` fixture, with this app's
hooks (`tests/indicators/worker_hooks.py`: a pause after a progress write, while a file exists). The
tests are transactional: the upload request commits, the task goes to Redis once it has, and the
worker imports into the test database. Needs PostgreSQL and Redis (`make test` provides both).
"""

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from indicators.cases import jobs
from indicators.models import Case, CaseImport, PeriodValue
from indicators.tasks import run_case_import
from tests.conftest import Cast
from tests.reports.brokers import broker, free_port
from tests.reports.test_worker import Worker, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
HOOKS = "tests.indicators.worker_hooks"
HEADER = "case_id,date,anesthesia_type,asa,emergency,block_failed,anesthesia_death\n"

__all__ = ["start_worker"]  # the fixture, shared with the report worker tests


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    # The worker gets the same MEDIA_ROOT (start_worker passes it on): it reads the stored upload there.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASE_IMPORT_INLINE_BYTES = 100  # every upload of these tests becomes a job
    return settings.MEDIA_ROOT


def stored_files(media_root: Path) -> list[Path]:
    folder = media_root / "case-imports"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def upload(client: Any, hospital_id: int, data: bytes, *, name: str = "cases.csv", partial: bool = False) -> Any:
    handle = io.BytesIO(data)
    handle.name = name
    body = {"file": handle, **({"partial": "true"} if partial else {})}
    response = client.post(f"/api/v1/hospitals/{hospital_id}/cases/", body, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()


def finished(client: Any, url: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        body = client.get(url).json()
        return body if body["status"] not in ("queued", "running") else None

    return check


def test_a_large_import_runs_in_a_real_worker_and_shows_its_progress_on_the_way(
    cast: Cast, start_worker: Callable[..., Worker], media_root: Path, tmp_path: Path
) -> None:
    rows = 40_000  # about 3 MB: the streaming path tells its progress a megabyte at a time
    path = tmp_path / "cases.csv"
    call_command("generate_cases", "--hospital-id=1", f"--rows={rows}", f"--out={path}", "--year=2026", "--seed=3")
    data = path.read_bytes()
    pause = tmp_path / "hold-imports"
    pause.touch()
    worker = start_worker(hooks=HOOKS, pause_file=pause)
    client = cast.client("head_a")
    job = upload(client, cast.hospital_a.pk, data)

    def mid_way() -> dict[str, Any] | None:
        body = client.get(job["url"]).json()
        return body if body["status"] == "running" and body["rows_read"] > 0 else None

    # Mid-way: the worker holds the import open after its first progress write.
    running = wait_for("progress mid-way", mid_way, log=worker.text)
    assert 0 < running["rows_read"] < rows and 0 < running["bytes_read"] < len(data)
    assert 0 < running["percent"] < 100
    assert not Case.objects.exists()  # nothing is visible before the import commits
    page = Client()
    page.force_login(cast.staff_a)
    fragment = page.get(f"/case-imports/{job['id']}/", headers={"HX-Request": "true"}).content.decode()  # as htmx polls
    assert f"已读取 {running['rows_read']} 行" in fragment and 'hx-trigger="every 2s"' in fragment

    pause.unlink()
    body = wait_for("the import", finished(client, job["url"]), log=worker.text)
    assert body["status"] == "imported", (body["error"], worker.text()[-3000:])
    assert (body["rows"], body["imported"], body["rejected"], body["errors"]) == (rows, rows, 0, [])
    assert (body["rows_read"], body["bytes_read"], body["percent"], body["attempts"]) == (rows, len(data), 100, 1)
    assert Case.objects.filter(hospital=cast.hospital_a).count() == rows
    deaths = PeriodValue.objects.filter(hospital=cast.hospital_a, indicator__code="cq2011.anesthesia_mortality")
    assert sum(deaths.values_list("denominator", flat=True)) == rows
    assert stored_files(media_root) == []  # the upload is removed once the job has ended


def test_a_second_delivery_of_the_same_task_does_nothing(
    cast: Cast, start_worker: Callable[..., Worker], media_root: Path
) -> None:
    # A short time limit, so that a delivery finding the job busy looks again within the test.
    worker = start_worker(hooks=HOOKS, concurrency=2, env={"CASE_IMPORT_TIME_LIMIT": "10"})
    data = (HEADER + "".join(f"d{i},2026-06-{i % 28 + 1:02d},spinal,1,0,0,0\n" for i in range(500))).encode()
    with broker(f"redis://127.0.0.1:{free_port()}/0"):  # the upload's own hand-over fails: no third delivery
        job = upload(cast.client("head_a"), cast.hospital_a.pk, data)
    run_case_import.delay(job["id"])
    run_case_import.delay(job["id"])  # the same task again, as a broker may redeliver it

    def both_deliveries_done() -> list[str]:
        results = re.findall(r"run_case_import\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", worker.text())
        return results if len(results) == 2 else []

    results = wait_for("both deliveries", both_deliveries_done, log=worker.text)
    assert sorted(results) == ["finished", "imported"]
    row = CaseImport.objects.get(pk=job["id"])
    assert (row.status, row.attempts, row.imported) == (CaseImport.Status.IMPORTED, 1, 500)
    assert Case.objects.count() == 500
    assert stored_files(media_root) == []


def test_bad_input_in_a_worker_names_row_and_column_and_stores_nothing(
    cast: Cast, start_worker: Callable[..., Worker], media_root: Path
) -> None:
    worker = start_worker(hooks=HOOKS)
    good = "".join(f"g{i},2026-07-01,general,2,0,0,0\n" for i in range(50))
    data = (HEADER + good + "bad,2026-07-01,general,2,x,0,0\nworse,2026-02-30,laser,9,0,0,0\n").encode()
    client = cast.client("head_a")
    job = upload(client, cast.hospital_a.pk, data)
    body = wait_for("the import", finished(client, job["url"]), log=worker.text)
    assert body["status"] == "rejected", body["error"]
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (52, "emergency"),
        (53, "date"),
        (53, "anesthesia_type"),
        (53, "asa"),
    ]
    assert all(e["reason"] for e in body["errors"])
    assert "YYYY-MM-DD" in body["errors"][1]["reason"]  # the checking path's own message, in the uploader's language
    assert (body["rows"], body["imported"], body["rejected"]) == (52, 0, 2)
    assert not Case.objects.exists() and not PeriodValue.objects.exists()
    assert stored_files(media_root) == []

    job = upload(client, cast.hospital_a.pk, data, partial=True)
    body = wait_for("the partial import", finished(client, job["url"]), log=worker.text)
    assert (body["status"], body["imported"], body["rejected"]) == ("partial", 50, 2)
    assert Case.objects.count() == 50


def test_an_import_queued_while_redis_was_down_is_handed_over_by_the_sweep(
    cast: Cast, start_worker: Callable[..., Worker]
) -> None:
    data = (HEADER + "".join(f"s{i},2026-08-01,epidural,3,1,0,0\n" for i in range(20))).encode()
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        job = upload(cast.client("head_a"), cast.hospital_a.pk, data)
    assert CaseImport.objects.get(pk=job["id"]).queued is None
    worker = start_worker(hooks=HOOKS)
    CaseImport.objects.filter(pk=job["id"]).update(created=timezone.now() - jobs.JUST_CREATED * 2)
    assert jobs.case_import_sweep() == {"requeued": 1, "failed": 0}
    body = wait_for("the import", finished(cast.client("head_a"), job["url"]), log=worker.text)
    assert (body["status"], body["imported"]) == ("imported", 20)
