"""Case imports as jobs: a large upload is stored, its `CaseImport` row queued, and a worker imports it.

The row is the source of truth, as for report jobs (`reports.services`). The task
(`indicators.tasks.run_case_import`) receives only the row's id and calls `case_import_run`, which
claims the row with one conditional UPDATE (queued → running, or running whose claim ran out), so a
task delivered twice imports once. The cases and the row's outcome are written in one transaction,
and the outcome only while the claim stands, so an attempt that lost its claim leaves nothing. A
claim lasts the task's hard time limit (CASE_IMPORT_TIME_LIMIT) plus a margin: after that the
attempt holding it has been killed, and the row may be claimed again. The stored upload is removed
when the job ends, however it ends.

While it runs, the import tells its progress (rows and bytes read) now and then; on PostgreSQL it is
written on a connection of its own, so the page and the API see it while the import's own transaction
is still open. SQLite (development) shows the counters once the job has ended.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connection,
    connections,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Hospital, User
from audit.services import audit_record
from common.jobs import JUST_CREATED, LEASE_MARGIN, TRANSIENT_ERRORS, RunOutcome

from ..models import CaseImport
from . import postgres
from .reading import file_sha256
from .services import ClaimLost, case_import, file_size, import_file, may_import

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A job still queued this long after it was handed to the broker is handed over again (a duplicate is harmless).
REQUEUE_AFTER = timedelta(minutes=5)
# Seconds between two writes of a running job's progress.
PROGRESS_EVERY = 0.5


# --- requesting --------------------------------------------------------------------------------------


def case_import_request(
    *, actor: User, hospital: Hospital, upload: Any, name: str = "", partial: bool = False, language: str = ""
) -> CaseImport:
    """Import an uploaded case file: at once if it is small (`CASE_IMPORT_INLINE_BYTES`), else as a job.

    A small file is imported inside the request and its finished row returned, as `case_import` does.
    A larger one is stored, and its row returned queued; the task is handed to the broker once the
    transaction commits. If the broker is down the request still succeeds: the sweep queues the job later.
    """
    may_import(actor, hospital)
    size = file_size(upload)
    if size <= settings.CASE_IMPORT_INLINE_BYTES:
        return case_import(actor=actor, hospital=hospital, file=upload, name=name, partial=partial)
    sha256 = file_sha256(upload)
    job = CaseImport(
        hospital=hospital,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        file_name=(name or getattr(upload, "name", "") or "")[:255],
        sha256=sha256,
        size=size,
        partial=partial,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        status=CaseImport.Status.QUEUED,
    )
    head = upload.read(4)
    upload.seek(0)
    # The stored name says what the bytes are (the import sniffs them again), never what the user called them.
    content = upload if isinstance(upload, File) else File(upload)
    job.file.save("cases.xlsx" if head == b"PK\x03\x04" else "cases.csv", content, save=False)
    try:
        with transaction.atomic():
            job.save()
            audit_record(
                actor=actor,
                action="indicator.case_import_request",
                obj=job,
                after={"file": job.file_name, "sha256": sha256, "size": size, "partial": partial},
            )
            job_id = job.pk
            transaction.on_commit(lambda: enqueue([job_id]))
    except BaseException:
        _remove_file(job.file.name)
        raise
    return job


def enqueue(job_ids: Iterable[int]) -> int:
    """Hand jobs to the broker and note when; returns how many went. A broker that is down is logged, not raised."""
    from ..tasks import run_case_import  # the task module imports these services

    ids = list(job_ids)
    queued: list[int] = []
    for job_id in ids:
        try:
            run_case_import.delay(job_id)
        except BrokerError as exc:
            # The rows stay queued with no `queued` time; the sweep hands them over once the broker answers.
            logger.warning("case imports %s not queued, broker unavailable: %s", ids, exc)
            break
        queued.append(job_id)
    if queued:
        CaseImport.objects.filter(pk__in=queued, status=CaseImport.Status.QUEUED).update(queued=timezone.now())
    return len(queued)


# --- running -----------------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.CASE_IMPORT_TIME_LIMIT) + LEASE_MARGIN


def _claimable(now: Any) -> Q:
    return Q(status=CaseImport.Status.QUEUED) | Q(status=CaseImport.Status.RUNNING, lease_until__lt=now)


def case_import_claim(*, job_id: int, worker: str) -> CaseImport | None:
    """Take the job for one import attempt, or None if it is not free to take (one conditional UPDATE decides)."""
    now = timezone.now()
    claimed = CaseImport.objects.filter(_claimable(now), pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
        status=CaseImport.Status.RUNNING,
        attempts=F("attempts") + 1,
        worker=worker[:200],
        lease_until=now + _lease(),
        started=now,
        error="",
        rows_read=0,
        bytes_read=0,
    )
    if not claimed:
        return None
    return CaseImport.objects.select_related("hospital", "uploaded_by").get(pk=job_id)


def _mine(job: CaseImport) -> Any:
    """The job's row while this attempt's claim stands."""
    return CaseImport.objects.filter(pk=job.pk, status=CaseImport.Status.RUNNING, attempts=job.attempts)


def _save_claimed(job: CaseImport) -> bool:
    """Save a claimed job's outcome, and let go of its file, only while its claim stands."""
    return bool(
        _mine(job).update(
            status=job.status,
            rows=job.rows,
            imported=job.imported,
            rejected=job.rejected,
            errors=job.errors,
            rows_read=job.rows_read,
            bytes_read=job.bytes_read,
            finished=job.finished,
            lease_until=None,
            file="",
        )
    )


class _Progress:
    """Tells a running job's progress: rows read, and how far into its file, at most every PROGRESS_EVERY seconds.

    PostgreSQL only: the write goes through a connection of its own (`postgres.progress_write`), since
    the import's transaction, which holds every other write, commits only at the end. A write that
    fails is logged and the import goes on: progress is a courtesy, the outcome is what counts.
    """

    def __init__(self, job: CaseImport, file: IO[bytes]) -> None:
        self.job = job
        self.file = file
        self.last = -math.inf
        self.side: Any = None

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        try:
            position = min(self.file.tell(), self.job.size)
        except (OSError, ValueError):
            position = 0
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            postgres.progress_write(
                self.side, job_id=self.job.pk, attempt=self.job.attempts, rows=rows, bytes_read=position
            )
        except DatabaseError as exc:
            logger.warning("case import %s: progress not written: %s", self.job.pk, exc)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _remove_file(name: str | None) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError as exc:
            logger.warning("case import file %s not removed: %s", name, exc)


def case_import_fail(*, job: CaseImport, error: str) -> bool:
    """Mark a claimed job failed with a message for people, remove its file; False if the claim was lost meanwhile."""
    name = job.file.name
    with transaction.atomic():
        failed = _mine(job).update(
            status=CaseImport.Status.FAILED,
            error=error[:2000],
            finished=timezone.now(),
            lease_until=None,
            file="",
        )
        if failed:
            audit_record(
                actor=job.uploaded_by,
                action="indicator.case_import",
                obj=job,
                after={"file": job.file_name, "sha256": job.sha256, "status": CaseImport.Status.FAILED, "error": error},
            )
    if failed:
        _remove_file(name)
    return bool(failed)


def case_import_release(*, job: CaseImport, error: str) -> None:
    """Give a claimed job back after a transient error, so the retry can claim it; fail it on the last attempt."""
    if job.attempts >= MAX_ATTEMPTS:
        case_import_fail(job=job, error=_("多次尝试均失败：%(error)s") % {"error": error})
        return
    _mine(job).update(status=CaseImport.Status.QUEUED, lease_until=None, error=error[:2000], queued=timezone.now())


def case_import_give_up(*, job: CaseImport) -> bool:
    """Fail a job that used up its attempts without finishing (its workers were lost or timed out)."""
    now = timezone.now()
    error = _("多次尝试均未完成（工作进程中断或超时），已停止重试。")
    with transaction.atomic():
        failed = CaseImport.objects.filter(_claimable(now), pk=job.pk, attempts__gte=MAX_ATTEMPTS).update(
            status=CaseImport.Status.FAILED, error=error, finished=now, lease_until=None, file=""
        )
        if failed:
            audit_record(
                actor=job.uploaded_by,
                action="indicator.case_import",
                obj=job,
                after={"file": job.file_name, "sha256": job.sha256, "status": CaseImport.Status.FAILED, "error": error},
            )
    if failed:
        _remove_file(job.file.name)
    return bool(failed)


def _why_not_claimed(job_id: int) -> RunOutcome:
    job = CaseImport.objects.filter(pk=job_id).first()
    if job is None:
        return RunOutcome("missing")
    if job.is_finished:
        return RunOutcome("finished")  # e.g. a duplicate delivery: nothing left to do
    now = timezone.now()
    if job.status == CaseImport.Status.RUNNING and job.lease_until is not None and job.lease_until >= now:
        # Another attempt holds it: look again once its claim has run out (it has finished or died by then).
        return RunOutcome("busy", retry_in=math.ceil((job.lease_until - now).total_seconds()) + 1)
    if job.attempts >= MAX_ATTEMPTS:
        case_import_give_up(job=job)
        return RunOutcome("failed")
    return RunOutcome("busy", retry_in=5)


def case_import_run(*, job_id: int, worker: str) -> RunOutcome:
    """One delivery of the import task: claim the job, import its file, save the outcome; idempotent."""
    job = case_import_claim(job_id=job_id, worker=worker)
    if job is None:
        return _why_not_claimed(job_id)
    name = job.file.name or ""
    if not name or not default_storage.exists(name):
        case_import_fail(job=job, error=_("待导入的文件已不存在，请重新上传。"))
        return RunOutcome("failed")
    try:
        with translation.override(job.language), default_storage.open(name, "rb") as handle:
            if file_sha256(handle) != job.sha256:
                case_import_fail(job=job, error=_("待导入的文件与上传时的校验值不符，请重新上传。"))
                return RunOutcome("failed")
            progress = _Progress(job, handle) if connection.vendor == "postgresql" else None
            try:
                import_file(job=job, file=handle, actor=job.uploaded_by, progress=progress, save=_save_claimed)
            finally:
                if progress is not None:
                    progress.close()
    except ClaimLost:
        return RunOutcome("lost")
    except TRANSIENT_ERRORS as exc:
        try:
            case_import_release(job=job, error=f"{type(exc).__name__}: {exc}")
        except TRANSIENT_ERRORS:
            logger.warning("case import %s not released; its claim runs out by itself", job.pk)
        raise
    except Exception as exc:
        # The job boundary: whatever went wrong (a bug, the soft time limit) is written on the row for the
        # person waiting, then re-raised for Celery's log and result.
        case_import_fail(job=job, error=_("导入失败：%(error)s") % {"error": f"{type(exc).__name__}: {exc}"})
        raise
    _remove_file(name)
    return RunOutcome(str(job.status))


# --- the sweep ---------------------------------------------------------------------------------------


def case_import_sweep() -> dict[str, int]:
    """Queue again what was lost on the way: jobs never handed to the broker, queued too long, or whose claim ran out.

    Jobs that used up their attempts are failed instead. Run periodically (celery beat).
    """
    now = timezone.now()
    queued = CaseImport.Status.QUEUED
    never_queued = Q(status=queued, queued__isnull=True, created__lt=now - JUST_CREATED)
    waited_too_long = Q(status=queued, queued__lt=now - REQUEUE_AFTER)
    claim_ran_out = Q(status=CaseImport.Status.RUNNING, lease_until__lt=now)
    candidates = list(
        CaseImport.objects.filter(never_queued | waited_too_long | claim_ran_out)
        .select_related("uploaded_by")
        .order_by("created", "id")
    )
    failed = sum(case_import_give_up(job=j) for j in candidates if j.attempts >= MAX_ATTEMPTS)
    retry = [j.pk for j in candidates if j.attempts < MAX_ATTEMPTS]
    # A claim that ran out goes back to queued, so the job is sent once per REQUEUE_AFTER, not every sweep.
    CaseImport.objects.filter(claim_ran_out, pk__in=retry).update(status=queued, lease_until=None)
    requeued = enqueue(retry)
    if candidates:
        logger.info("case import sweep: %s queued again, %s given up", requeued, failed)
    return {"requeued": requeued, "failed": failed}
