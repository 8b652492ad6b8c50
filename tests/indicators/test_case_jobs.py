"""Case imports as jobs, in the test process: a large upload is stored and queued, the job's service imports it.

The job is run here by calling the service the task calls (`jobs.case_import_run`);
tests/indicators/test_case_worker.py runs it through a real Celery worker and Redis.
"""

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from indicators.cases import jobs, services
from indicators.models import Case, CaseImport, PeriodValue
from tests.conftest import Cast
from tests.reports.brokers import broker, free_port

pytestmark = pytest.mark.django_db

HEADER = "case_id,date,anesthesia_type,asa,emergency,block_failed,anesthesia_death\n"
GOOD = HEADER + "".join(f"j{i},2026-04-{i % 28 + 1:02d},general,2,0,0,{int(i == 7)}\n" for i in range(40))
BAD = HEADER + "ok,2026-05-01,general,2,0,0,0\nbad,2026-05-01,general,2,x,0,0\nworse,2026-02-30,laser,2,0,0,0\n"


def csv_file(text: str, name: str = "cases.csv") -> io.BytesIO:
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return f


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def small_inline_limit(settings: Any) -> None:
    # Every file of these tests is larger than this: each upload becomes a job.
    settings.CASE_IMPORT_INLINE_BYTES = 100


def stored_files(media_root: Path) -> list[Path]:
    folder = media_root / "case-imports"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_large_upload_is_stored_queued_and_audited_then_imported_by_the_job(
    cast: Cast, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        response = browser(cast.head_a).post(f"/hospitals/{cast.hospital_a.pk}/cases/", {"file": csv_file(GOOD)})
    job = CaseImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/case-imports/{job.pk}/"
    assert len(queued) == 1  # the task is handed to the broker once the upload's transaction commits
    assert (job.status, job.size, job.partial, job.attempts) == (CaseImport.Status.QUEUED, len(GOOD), False, 0)
    [stored] = stored_files(media_root)
    assert stored.read_text() == GOOD and stored.name.endswith(".csv") and "cases" not in stored.stem
    assert not Case.objects.exists()
    request_id = response["X-Request-ID"]
    assert AuditEvent.objects.filter(action="indicator.case_import_request", request_id=request_id).exists()

    page = browser(cast.staff_a).get(f"/case-imports/{job.pk}/")
    assert "排队中" in page.content.decode() and 'hx-trigger="every 2s"' in page.content.decode()

    outcome = jobs.case_import_run(job_id=job.pk, worker="test")
    assert outcome.status == CaseImport.Status.IMPORTED
    job.refresh_from_db()
    assert (job.rows, job.imported, job.rejected, job.rows_read, job.bytes_read) == (40, 40, 0, 40, len(GOOD))
    assert (job.attempts, job.file.name, job.lease_until) == (1, "", None) and job.finished is not None
    assert stored_files(media_root) == []  # removed when the job ended
    assert Case.objects.filter(hospital=cast.hospital_a).count() == 40
    deaths = PeriodValue.objects.get(hospital=cast.hospital_a, indicator__code="cq2011.anesthesia_mortality")
    assert (deaths.year, deaths.month, deaths.numerator, deaths.denominator) == (2026, 4, 1, 40)
    assert AuditEvent.objects.filter(action="indicator.case_import", object_id=str(job.pk)).count() == 1

    page = browser(cast.head_a).get(f"/case-imports/{job.pk}/", headers={"HX-Request": "true"})
    html = page.content.decode()
    assert "共 40 行，导入 40 行，拒绝 0 行。" in html and "hx-get" not in html  # finished: it stops polling


def test_the_api_answers_202_with_the_job_and_shows_its_progress_and_outcome(cast: Cast) -> None:
    client = cast.client("staff_a")
    response = client.post(
        f"/api/v1/hospitals/{cast.hospital_a.pk}/cases/", {"file": csv_file(GOOD)}, format="multipart"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["size"], body["rows_read"], body["percent"]) == ("queued", len(GOOD), 0, 0)
    assert body["url"] == f"http://testserver/api/v1/case-imports/{body['id']}/"
    assert client.get(body["url"]).json()["status"] == "queued"
    jobs.case_import_run(job_id=body["id"], worker="test")
    done = client.get(body["url"]).json()
    assert (done["status"], done["rows"], done["imported"], done["errors"]) == ("imported", 40, 40, [])
    assert (done["rows_read"], done["bytes_read"], done["percent"], done["attempts"]) == (40, len(GOOD), 100, 1)


def test_bad_input_in_a_job_is_named_by_row_and_column_and_nothing_is_stored(cast: Cast, media_root: Path) -> None:
    client = cast.client("head_a")
    url = f"/api/v1/hospitals/{cast.hospital_a.pk}/cases/"
    job_id = client.post(url, {"file": csv_file(BAD)}, format="multipart").json()["id"]
    assert jobs.case_import_run(job_id=job_id, worker="test").status == CaseImport.Status.REJECTED
    body = client.get(f"/api/v1/case-imports/{job_id}/").json()
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "emergency"), (4, "date"), (4, "anesthesia_type")]
    assert all(e["reason"] for e in body["errors"])
    assert (body["status"], body["rows"], body["imported"], body["rejected"]) == ("rejected", 3, 0, 2)
    assert not Case.objects.exists() and not PeriodValue.objects.exists()
    assert stored_files(media_root) == []
    page = browser(cast.head_a).get(f"/case-imports/{job_id}/").content.decode()
    assert "<td>3</td><td>emergency</td>" in page and "未导入任何病例" in page

    # Asked for the valid rows only, the same file imports them.
    job_id = client.post(url, {"file": csv_file(BAD), "partial": "true"}, format="multipart").json()["id"]
    assert jobs.case_import_run(job_id=job_id, worker="test").status == CaseImport.Status.PARTIAL
    assert list(Case.objects.values_list("case_id", flat=True)) == ["ok"]


def test_an_unreadable_file_in_a_job_is_refused_whole(cast: Cast) -> None:
    job = jobs.case_import_request(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        upload=csv_file("病例号,when,麻醉方式\n" + "x,2026-01-01,general\n" * 9),
    )
    jobs.case_import_run(job_id=job.pk, worker="test")
    job.refresh_from_db()
    assert job.status == CaseImport.Status.REJECTED
    assert {(e["row"], e["column"]) for e in job.errors} == {(1, "when"), (1, "date")}


def test_a_second_delivery_of_the_task_does_nothing(cast: Cast) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    assert jobs.case_import_run(job_id=job.pk, worker="first").status == CaseImport.Status.IMPORTED
    assert jobs.case_import_run(job_id=job.pk, worker="second").status == "finished"
    job.refresh_from_db()
    assert (job.attempts, job.worker) == (1, "first")
    assert AuditEvent.objects.filter(action="indicator.case_import").count() == 1


def test_a_delivery_while_another_holds_the_claim_waits_for_it(cast: Cast) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    assert jobs.case_import_claim(job_id=job.pk, worker="first") is not None
    outcome = jobs.case_import_run(job_id=job.pk, worker="second")
    assert outcome.status == "busy" and outcome.retry_in is not None and outcome.retry_in > 1000
    assert not Case.objects.exists()


def test_an_attempt_that_lost_its_claim_stores_nothing(cast: Cast) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    claimed = jobs.case_import_claim(job_id=job.pk, worker="slow")
    assert claimed is not None
    # Its claim ran out and another attempt took the job meanwhile.
    CaseImport.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
    with pytest.raises(services.ClaimLost), claimed.file.open("rb") as handle:
        services.import_file(job=claimed, file=handle, actor=cast.head_a, save=jobs._save_claimed)
    assert not Case.objects.exists() and not PeriodValue.objects.exists()
    assert CaseImport.objects.get(pk=job.pk).status == CaseImport.Status.RUNNING


def test_a_job_whose_file_is_gone_fails_with_a_message(cast: Cast, media_root: Path) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    for path in stored_files(media_root):
        path.unlink()
    assert jobs.case_import_run(job_id=job.pk, worker="test").status == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == (CaseImport.Status.FAILED, "待导入的文件已不存在，请重新上传。")
    page = browser(cast.head_a).get(f"/case-imports/{job.pk}/").content.decode()
    assert "待导入的文件已不存在" in page


def test_a_job_whose_file_changed_after_upload_is_not_imported(cast: Cast, media_root: Path) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    [stored] = stored_files(media_root)
    stored.write_text(GOOD.replace("general", "spinal"))
    assert jobs.case_import_run(job_id=job.pk, worker="test").status == "failed"
    assert not Case.objects.exists() and stored_files(media_root) == []


def test_an_upload_made_while_the_broker_is_down_waits_for_the_sweep(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True):
            response = cast.client("head_a").post(
                f"/api/v1/hospitals/{cast.hospital_a.pk}/cases/", {"file": csv_file(GOOD)}, format="multipart"
            )
        assert response.status_code == 202  # the request succeeds, the job waits
        job = CaseImport.objects.get()
        assert (job.status, job.queued) == (CaseImport.Status.QUEUED, None)
        # Once it is older than a request takes, the sweep hands it over again (here: the broker is still down).
        CaseImport.objects.filter(pk=job.pk).update(created=timezone.now() - datetime.timedelta(minutes=1))
        assert jobs.case_import_sweep() == {"requeued": 0, "failed": 0}
    assert CaseImport.objects.get().status == CaseImport.Status.QUEUED


def test_the_sweep_fails_a_job_that_used_up_its_attempts(cast: Cast, media_root: Path) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    CaseImport.objects.filter(pk=job.pk).update(
        status=CaseImport.Status.RUNNING,
        attempts=jobs.MAX_ATTEMPTS,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert jobs.case_import_sweep() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == CaseImport.Status.FAILED and "多次尝试" in job.error
    assert stored_files(media_root) == []


# ------------------------------------------------------------- visibility --


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("qc_admin", 200),
        ("inspector", 200),
        ("inspector_unassigned", 404),
        ("head_a", 200),
        ("staff_a", 200),
        ("head_b", 404),
    ],
)
def test_only_who_sees_the_hospital_sees_its_imports(cast: Cast, who: str, expected: int) -> None:
    job = jobs.case_import_request(actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD))
    user = cast.users[who]
    assert browser(user).get(f"/case-imports/{job.pk}/").status_code == expected
    assert cast.client(who).get(f"/api/v1/case-imports/{job.pk}/").status_code == expected


# ------------------------------------------------------------ query counts --


def _imports(cast: Cast, n: int) -> None:
    for i in range(n):
        jobs.case_import_request(
            actor=cast.head_a, hospital=cast.hospital_a, upload=csv_file(GOOD, name=f"cases-{i}.csv")
        )


@pytest.mark.parametrize("n", [3, 6])
def test_the_upload_page_lists_recent_imports_in_a_fixed_number_of_queries(
    cast: Cast, n: int, django_assert_max_num_queries: Any
) -> None:
    _imports(cast, n)
    client = browser(cast.head_a)
    with django_assert_max_num_queries(6):
        response = client.get(f"/hospitals/{cast.hospital_a.pk}/cases/")
    assert response.content.decode().count("/case-imports/") == n


@pytest.mark.parametrize("n", [3, 6])
def test_a_job_page_its_fragment_and_its_api_take_a_fixed_number_of_queries(
    cast: Cast, n: int, django_assert_max_num_queries: Any
) -> None:
    _imports(cast, n)
    job = CaseImport.objects.order_by("pk").first()
    assert job is not None
    page, api = browser(cast.staff_a), cast.client("staff_a")
    with django_assert_max_num_queries(6):
        assert page.get(f"/case-imports/{job.pk}/").status_code == 200
    with django_assert_max_num_queries(5):
        assert page.get(f"/case-imports/{job.pk}/", headers={"HX-Request": "true"}).status_code == 200
    with django_assert_max_num_queries(4):
        assert api.get(f"/api/v1/case-imports/{job.pk}/").status_code == 200
