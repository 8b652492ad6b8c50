"""The case import service: one file for one hospital, through the streaming or the checking path, audited.

`case_import` imports a file at once (the upload request of a small file, `manage.py import_cases`);
`import_file` is the part it shares with a queued job (`indicators.cases.jobs`), which hands in its
own way of saving the finished row (only while its claim stands) and of telling its progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Hospital, User
from accounts.typing import AnyUser
from audit.services import audit_record

from ..models import CaseImport
from ..services import can_enter
from . import postgres, storing
from .reading import CaseFileError, file_sha256, read_rows
from .validating import MAX_STORED_ERRORS, Validated, validate_rows


class _Rejected(Exception):
    """The file has errors and a partial import was not asked for: roll back."""


class ClaimLost(Exception):
    """The job's claim ran out before its outcome could be saved: the import is rolled back, nothing is saved."""


def may_import(actor: AnyUser | None, hospital: Hospital) -> None:
    """403 unless `actor` may import cases for `hospital`; None is the operator at the console, who needs no role."""
    if actor is not None and not can_enter(actor, hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以导入病例。"))


def file_size(file: IO[bytes]) -> int:
    """The size of an upload (or any seekable file) in bytes, leaving it at its start."""
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def case_import(
    *, actor: User | None, hospital: Hospital, file: IO[bytes], name: str = "", partial: bool = False
) -> CaseImport:
    """Import a case file for `hospital`: every row validated, all or nothing unless `partial`; audited.

    Returns the saved CaseImport (status imported, partial or rejected) with the first 1000 errors.
    `actor=None` is a console import (manage.py import_cases) and is not permission-checked.
    """
    may_import(actor, hospital)
    job = CaseImport(
        hospital=hospital,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        file_name=(name or getattr(file, "name", "") or "")[:255],
        sha256=file_sha256(file),
        size=file_size(file),
        partial=partial,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=CaseImport.Status.RUNNING,
        attempts=1,
        started=timezone.now(),
    )
    return import_file(job=job, file=file, actor=actor)


def _save(job: CaseImport) -> bool:
    job.save()
    return True


def import_file(
    *,
    job: CaseImport,
    file: IO[bytes],
    actor: User | None,
    progress: Callable[[int], None] | None = None,
    save: Callable[[CaseImport], bool] = _save,
) -> CaseImport:
    """Import `file` into `job.hospital` as `job` asks (partial or not), and save the job's outcome with `save`.

    The cases and the job's outcome are written in one transaction; `save` returning False (a claim
    that ran out) rolls the cases back and raises `ClaimLost`. `progress` is told the rows read so far.
    """
    hospital, partial = job.hospital, job.partial
    out = Validated(progress=progress)
    on_postgres = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            moved: set[tuple[int, int]] = set()
            recount = True
            # The months whose rollup is counted again from the cases (None: every month the file has, and
            # those cases moved out of). A merge on PostgreSQL names only those whose cases it wrote.
            recount_months: set[tuple[int, int]] | None = None
            streamed = None
            if on_postgres:
                postgres.lock_hospital(hospital)
                streamed = postgres.stream(hospital, file, out)
            if streamed is not None:
                recount, recount_months = streamed
            else:
                file.seek(0)
                rows = validate_rows(read_rows(file), hospital.pk, out)
                if on_postgres:
                    with connection.cursor() as cursor:
                        # Staging first: the whole file is validated before anything reaches indicators_case.
                        postgres.stage(cursor, rows)
                        if out.error_count and not partial:
                            raise _Rejected
                        recount_months = postgres.merge(cursor, hospital)
                else:
                    # No staging table here: validate the whole file first, then store.
                    accepted = list(rows)
                    if out.error_count and not partial:
                        raise _Rejected
                    moved = storing.store_orm(hospital, iter(accepted))
            months = out.months | moved | (recount_months or set())
            storing.period_values_recompute(
                hospital=hospital, months=months, actor=actor, recount=recount, recount_months=recount_months
            )
            job.status = CaseImport.Status.PARTIAL if out.error_count else CaseImport.Status.IMPORTED
            job.imported = out.accepted
            _finish(job, out, save)
    except CaseFileError as exc:
        out.errors, out.error_count = exc.errors[:MAX_STORED_ERRORS], len(exc.errors)
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        with transaction.atomic():
            _finish(job, out, save)
    except _Rejected:
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        with transaction.atomic():
            _finish(job, out, save)
    return job


def _finish(job: CaseImport, out: Validated, save: Callable[[CaseImport], bool]) -> None:
    job.rows, job.rejected = out.rows, out.rejected
    job.errors = out.errors
    job.rows_read, job.bytes_read = out.rows, job.size
    job.finished = timezone.now()
    if not save(job):
        raise ClaimLost
    audit_record(
        actor=job.uploaded_by,
        action="indicator.case_import",
        obj=job,
        after={
            "file": job.file_name,
            "sha256": job.sha256,
            "status": job.status,
            "rows": job.rows,
            "imported": job.imported,
            "rejected": job.rejected,
            "errors": out.error_count,
        },
    )
