"""Writing audit events. Called by other services inside their transactions."""

from typing import Any

from django.db import models

from .models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    assessment: models.Model | None = None,
    criterion: Any = None,
) -> AuditEvent:
    """Append one audit event for a change to `obj`, filed under its assessment and criterion if any."""
    return AuditEvent.objects.create(
        assessment_id=assessment.pk if assessment is not None else None,
        criterion_code=getattr(criterion, "code", "") or "",
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=before,
        after=after,
        reason=reason,
    )
