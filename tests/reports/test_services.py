"""Report jobs as a state machine: claims, duplicates, lost workers, transient errors, the sweep, a dead broker.

The worker is played by calling `report_run` (what the task does); tests/reports/test_worker.py
runs the same paths through a real Celery worker and Redis. Where a test needs to see what was
handed to the broker without one, `queued` records the task's `delay` calls.
"""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reports import services, tasks
from reports.models import JobStatus, ReportJob, ReportKind
from tests.conftest import Cast
from tests.factories import AssessmentFactory

from .brokers import broker, free_port
from .conftest import finalized_inspection, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(tasks.render_report, "delay", lambda job_id: sent.append(job_id))
    return sent


@pytest.fixture
def job(cast: Cast) -> ReportJob:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    return services.report_request(actor=cast.head_a, kind=ReportKind.ASSESSMENT, assessment=assessment)


def files_of(media_root: Path, job: ReportJob) -> list[Path]:
    folder = media_root / "reports" / str(job.pk)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_request_is_queued_after_commit_and_audited(
    cast: Cast, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(actor=cast.staff_a, kind=ReportKind.ASSESSMENT, assessment=assessment)
        assert queued == []  # nothing leaves before the transaction commits
    assert queued == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.queued_at is not None
    event = AuditEvent.objects.get(action="report.request")
    assert (event.actor, event.object_id) == (cast.staff_a, str(job.pk))


def test_a_report_already_on_its_way_is_not_requested_twice_but_handed_over_again(
    cast: Cast, job: ReportJob, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        again = services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=job.assessment)
    assert again.pk == job.pk
    assert queued == [job.pk]  # it may have been asked for while the broker was down
    assert ReportJob.objects.count() == 1
    assert AuditEvent.objects.filter(action="report.request").count() == 2


def test_a_job_delivered_twice_renders_once_and_leaves_one_file(job: ReportJob, media_root: Path) -> None:
    assert services.report_run(job_id=job.pk, worker="w1").status == "done"
    assert services.report_run(job_id=job.pk, worker="w2").status == "finished"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == (JobStatus.DONE, 1, "w1")
    assert [p.name for p in files_of(media_root, job)] == ["1.pdf"]


def test_a_duplicate_arriving_while_the_job_renders_waits_for_the_claim_to_run_out(job: ReportJob) -> None:
    assert services.report_claim(job_id=job.pk, worker="w1") is not None
    outcome = services.report_run(job_id=job.pk, worker="w2")
    assert outcome.status == "busy"
    assert outcome.retry_in is not None and 0 < outcome.retry_in <= services._lease().total_seconds() + 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == (JobStatus.RUNNING, 1, "w1")


def test_a_job_whose_worker_died_is_claimed_again_and_its_orphan_file_removed(job: ReportJob, media_root: Path) -> None:
    # Attempt 1 claimed the job, wrote its file, and died before recording it.
    services.report_claim(job_id=job.pk, worker="dead:1")
    orphan = media_root / "reports" / str(job.pk) / "1.pdf"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF-half")
    ReportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert services.report_run(job_id=job.pk, worker="w2").status == "done"
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert [p.name for p in files_of(media_root, job)] == ["2.pdf"]


def test_a_render_that_lost_its_claim_stores_nothing(
    job: ReportJob, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = services._render_pdf

    def overtaken(claimed: ReportJob) -> tuple[bytes, str]:
        result = real(claimed)
        # Meanwhile the claim ran out and another worker took the job.
        ReportJob.objects.filter(pk=claimed.pk).update(attempts=claimed.attempts + 1)
        return result

    monkeypatch.setattr(services, "_render_pdf", overtaken)
    assert services.report_run(job_id=job.pk, worker="slow").status == "lost"
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and not job.file
    assert files_of(media_root, job) == []


def test_a_transient_error_gives_the_job_back_for_the_retry(job: ReportJob, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(claimed: ReportJob) -> tuple[bytes, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "_render_pdf", disk_full)
    with pytest.raises(OSError):
        services.report_run(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until) == (JobStatus.PENDING, 1, None)
    assert "No space left" in job.error
    monkeypatch.undo()
    assert services.report_run(job_id=job.pk, worker="w1").status == "done"  # the retry
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.DONE, 2, "")


def test_transient_errors_stop_after_the_last_attempt(
    job: ReportJob, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.REPORT_MAX_ATTEMPTS = 2
    monkeypatch.setattr(services, "_render_pdf", lambda claimed: (_ for _ in ()).throw(OSError("disk gone")))
    for _ in range(2):
        with pytest.raises(OSError):
            services.report_run(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "disk gone" in job.error
    assert services.report_run(job_id=job.pk, worker="w1").status == "finished"


def test_an_unexpected_error_fails_the_job_with_its_message(job: ReportJob, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(claimed: ReportJob) -> tuple[bytes, str]:
        raise KeyError("summary")

    monkeypatch.setattr(services, "_render_pdf", broken)
    with pytest.raises(KeyError):
        services.report_run(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "KeyError" in job.error and job.finished_at is not None


def test_the_sweep_queues_what_never_reached_the_broker_and_what_a_lost_worker_held(
    cast: Cast, job: ReportJob, queued: list[int], settings: Any
) -> None:
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    fresh = services.report_request(
        actor=cast.head_a, kind=ReportKind.ASSESSMENT, assessment=AssessmentFactory(hospital=cast.hospital_a, year=2025)
    )
    lost = services.report_request(
        actor=cast.head_a, kind=ReportKind.ASSESSMENT, assessment=AssessmentFactory(hospital=cast.hospital_a, year=2024)
    )
    services.report_claim(job_id=lost.pk, worker="dead:1")
    busy = services.report_request(
        actor=cast.head_a, kind=ReportKind.ASSESSMENT, assessment=AssessmentFactory(hospital=cast.hospital_a, year=2023)
    )
    services.report_claim(job_id=busy.pk, worker="alive:1")
    ReportJob.objects.filter(pk=job.pk).update(created_at=long_ago)  # never queued: the broker was down
    ReportJob.objects.filter(pk=lost.pk).update(lease_until=long_ago)  # its worker died an hour ago
    # `fresh` was just created: its on_commit hook may still be on its way to the broker.
    assert services.report_sweep() == {"requeued": 2, "failed": 0}
    assert sorted(queued) == sorted([job.pk, lost.pk])
    assert fresh.pk not in queued and busy.pk not in queued
    # Queued once, a job waits REPORT_REQUEUE_AFTER before the sweep sends it again.
    queued.clear()
    assert services.report_sweep()["requeued"] == 0
    ReportJob.objects.filter(pk=job.pk).update(queued_at=long_ago)
    assert services.report_sweep()["requeued"] == 1 and queued == [job.pk]


def test_the_sweep_fails_a_job_that_used_up_its_attempts(job: ReportJob, queued: list[int], settings: Any) -> None:
    settings.REPORT_MAX_ATTEMPTS = 1
    services.report_claim(job_id=job.pk, worker="dead:1")
    ReportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert services.report_sweep() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "多次尝试" in job.error
    assert queued == []


def test_a_request_while_the_broker_is_down_succeeds_and_stays_pending(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    with broker(f"redis://127.0.0.1:{free_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(actor=cast.head_a, kind=ReportKind.ASSESSMENT, assessment=assessment)
    job.refresh_from_db()
    assert (job.status, job.queued_at) == (JobStatus.PENDING, None)


def test_a_bulk_job_is_queued_when_its_last_child_finishes(
    cast: Cast, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    rnd = make_round(cast, cast.hospital_a)
    with django_capture_on_commit_callbacks(execute=True):
        parent = services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_BULK, rnd=rnd)
    children = list(parent.children.order_by("id"))
    assert queued == [c.pk for c in children]  # the children go first; the bulk job waits
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run(job_id=children[0].pk, worker="w1")
    assert queued == []
    parent.refresh_from_db()
    assert parent.progress == 47
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run(job_id=children[1].pk, worker="w1")
    assert queued == [parent.pk]


def test_a_bulk_job_fails_when_a_child_failed(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = make_round(cast, cast.hospital_a)
    parent = services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_BULK, rnd=rnd)
    summary, inspection = parent.children.order_by("id")
    services.report_run(job_id=summary.pk, worker="w1")
    monkeypatch.setattr(services, "_render_pdf", lambda claimed: (_ for _ in ()).throw(KeyError("x")))
    with pytest.raises(KeyError):
        services.report_run(job_id=inspection.pk, worker="w1")
    assert services.report_run(job_id=parent.pk, worker="w1").status == "failed"
    parent.refresh_from_db()
    assert parent.status == JobStatus.FAILED and f"#{inspection.pk}" in parent.error


def test_an_inspection_finalized_with_a_veto_still_renders(cast: Cast) -> None:
    inspection = finalized_inspection(cast, cast.hospital_b, unmet=("1.1-1-1",))
    job = services.report_request(actor=cast.head_b, kind=ReportKind.ASSESSMENT, assessment=inspection)
    assert services.report_run(job_id=job.pk, worker="w1").status == "done"
