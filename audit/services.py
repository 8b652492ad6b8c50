"""Writing audit events. Called by other services inside their transactions, and by the audit hooks.

Every event carries the request id and client IP of the current request (`audit.context`), so
no service has to pass them along.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from common import uploads

from . import archive, context
from .db_guards import RETENTION_DAYS
from .models import AuditArchive, AuditEvent
from .signals import event_recorded


def _hospital_id(obj: Any, assessment: Any, hospital: Any) -> int | None:
    # The hospital an event belongs to, for the log's hospital filter: given, else the assessment's or the object's.
    if hospital is not None:
        return hospital.pk
    for candidate in (assessment, obj):
        hospital_id = getattr(candidate, "hospital_id", None)
        if isinstance(hospital_id, int):
            return hospital_id
    if obj is not None and obj._meta.label_lower == "accounts.hospital":
        return obj.pk
    return None


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    assessment: models.Model | None = None,
    criterion: Any = None,
    hospital: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one audit event for a change to `obj` (or to what object_type/object_id name), filed under
    its assessment, criterion and hospital if any, with the current request's id and IP."""
    origin = context.current()
    user = actor if getattr(actor, "pk", None) else None
    event = AuditEvent.objects.create(
        assessment_id=assessment.pk if assessment is not None else None,
        criterion_code=getattr(criterion, "code", "") or "",
        hospital_id=_hospital_id(obj, assessment, hospital),
        actor_id=user.pk if user is not None else None,  # by id: audit cannot name accounts' User model
        actor_username=user.get_username() if user is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type[:64],
        object_id=str(obj.pk) if obj is not None else object_id[:64],
        object_repr=(str(obj) if obj is not None else object_repr)[:255],
        before=before,
        after=after,
        reason=reason,
        ip=origin.ip,
        request_id=origin.request_id,
    )
    # Who must hear of it is decided above audit (notifications subscribes); not robust on purpose:
    # a notification that cannot be written rolls back the change rather than vanish silently.
    event_recorded.send(sender=AuditEvent, event=event)
    return event


def audit_request_refused(
    *, actor: AbstractBaseUser | AnonymousUser | None, action: str, method: str, path: str, view: str, status: int
) -> AuditEvent:
    """Record a refused request (403, or 404 on an object URL): who asked for what."""
    return audit_record(
        actor=actor,
        action=action,
        object_type="url",
        object_id=view or path,
        object_repr=path,
        after={"method": method, "path": path, "view": view, "status": status},
    )


def uploads_checked(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    files: Any,
    assessment: models.Model | None = None,
    criterion: Any = None,
    hospital: models.Model | None = None,
) -> list[uploads.CheckedFile]:
    """`common.uploads.check_files`, with a refusal recorded in the trail before it is raised."""
    files = list(files)
    try:
        return uploads.check_files(files)
    except ValidationError as exc:
        audit_upload_refused(
            actor=actor, files=files, error=exc, assessment=assessment, criterion=criterion, hospital=hospital
        )
        raise


def audit_upload_refused(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    files: Any,
    error: ValidationError,
    assessment: models.Model | None = None,
    criterion: Any = None,
    hospital: models.Model | None = None,
) -> AuditEvent:
    """Record an upload refused by the file checks: which files, and why (the messages the user saw)."""
    return audit_record(
        actor=actor,
        action="upload.refused",
        object_type="upload",
        object_repr="、".join(str(getattr(f, "name", "") or "") for f in files)[:200],
        after={
            "files": [str(getattr(f, "name", "") or "") for f in files][:20],
            "reasons": [str(m) for m in error.messages][:20],
        },
        assessment=assessment,
        criterion=criterion,
        hospital=hospital,
    )


@dataclass(frozen=True)
class ArchiveResult:
    """What `audit_archive` did."""

    record: AuditArchive | None
    file: archive.ArchiveFile | None
    count: int


def archive_cutoff_allowed(before: datetime.datetime, *, now: datetime.datetime | None = None) -> bool:
    """Whether events older than `before` may leave the trail: never younger than the retention floor."""
    now = now or timezone.now()
    return before <= now - datetime.timedelta(days=RETENTION_DAYS)


def audit_archive(*, before: datetime.datetime, out: Path, actor: AbstractBaseUser | None = None) -> ArchiveResult:
    """Move the events written before `before` (at least RETENTION_DAYS old) to an archive file, then out of the table.

    The file is written and verified first; then, in one transaction, the archive row (file name and
    SHA-256) is stored, which is what lets the database guard accept the deletion, the events are
    deleted, and the archiving is itself recorded. Nothing to archive: no file, no row.
    """
    if not archive_cutoff_allowed(before):
        raise ValueError(f"Events younger than {RETENTION_DAYS} days are kept; {before.isoformat()} is too recent.")
    old = AuditEvent.objects.filter(created_at__lt=before)
    max_id = old.aggregate(m=Max("id"))["m"]
    if max_id is None:
        return ArchiveResult(record=None, file=None, count=0)
    selected = old.filter(id__lte=max_id).order_by("id")
    written = archive.write_archive(selected.iterator(chunk_size=2000), path=out, before=before)
    with transaction.atomic():
        record = AuditArchive.objects.create(
            before=before,
            max_event_id=max_id,
            event_count=written.count,
            file_name=str(out.resolve()),
            sha256=written.sha256,
        )
        deleted, _ = selected.delete()
        if deleted != written.count:
            # Rolled back: the file stays as a copy, the events stay in the table.
            raise archive.ArchiveError(f"{deleted} events deleted but {written.count} archived; nothing removed.")
        audit_record(
            actor=actor,
            action="audit.archive",
            obj=record,
            after={
                "before": before.isoformat(),
                "events": written.count,
                "first_id": written.first_id,
                "last_id": written.last_id,
                "file": record.file_name,
                "sha256": written.sha256,
            },
        )
    return ArchiveResult(record=record, file=written, count=written.count)
