"""The case import service: one file for one hospital, through the streaming or the checking path, audited."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Hospital
from audit.services import audit_record

from ..models import CaseImport
from ..services import can_enter
from . import postgres, storing
from .reading import CaseFileError, file_sha256, read_rows
from .validating import MAX_STORED_ERRORS, Validated, validate_rows


class _Rejected(Exception):
    """The file has errors and a partial import was not asked for: roll back."""


def case_import(
    *, actor: Any, hospital: Hospital, file: IO[bytes], name: str = "", partial: bool = False
) -> CaseImport:
    """Import a case file for `hospital`: every row validated, all or nothing unless `partial`; audited.

    Returns the saved CaseImport (status imported, partial or rejected) with the first 1000 errors.
    `actor=None` is a console import (manage.py import_cases) and is not permission-checked.
    """
    # actor None is the operator at the console (manage.py import_cases), who needs no role.
    if actor is not None and not can_enter(actor, hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以导入病例。"))
    job = CaseImport(
        hospital=hospital,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        file_name=(name or getattr(file, "name", "") or "")[:255],
        sha256=file_sha256(file),
    )
    out = Validated()
    on_postgres = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            moved: set[tuple[int, int]] = set()
            recount = True
            streamed = None
            if on_postgres:
                postgres.lock_hospital(hospital)
                streamed = postgres.stream(hospital, file, out)
            if streamed is not None:
                recount, moved = streamed
            else:
                file.seek(0)
                rows = validate_rows(read_rows(file), hospital.pk, out)
                if on_postgres:
                    with connection.cursor() as cursor:
                        # Staging first: the whole file is validated before anything reaches indicators_case.
                        postgres.stage(cursor, rows)
                        if out.error_count and not partial:
                            raise _Rejected
                        moved = postgres.merge(cursor, hospital)
                else:
                    # No staging table here: validate the whole file first, then store.
                    accepted = list(rows)
                    if out.error_count and not partial:
                        raise _Rejected
                    moved = storing.store_orm(hospital, iter(accepted))
            storing.period_values_recompute(hospital=hospital, months=out.months | moved, actor=actor, recount=recount)
            job.status = CaseImport.Status.PARTIAL if out.error_count else CaseImport.Status.IMPORTED
            job.imported = out.accepted
            _finish(job, out)
    except CaseFileError as exc:
        out.errors, out.error_count = exc.errors[:MAX_STORED_ERRORS], len(exc.errors)
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        _finish(job, out)
    except _Rejected:
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        _finish(job, out)
    return job


def _finish(job: CaseImport, out: Validated) -> None:
    job.rows, job.rejected = out.rows, out.rejected
    job.errors = out.errors
    job.finished = timezone.now()
    job.save()
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
