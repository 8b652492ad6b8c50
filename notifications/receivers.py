"""Hearing of events: audit announces every recorded event (`audit.signals.event_recorded`), and the
events someone must hear of become notifications, in the transaction of the write itself."""

from typing import Any

from audit.models import AuditEvent
from audit.signals import event_recorded

from .recipients import HANDLERS, notices_for
from .services import notices_deliver


def _event_recorded(sender: Any, event: AuditEvent, **kwargs: Any) -> None:
    if event.action not in HANDLERS:
        return  # most events (sign-ins, ratings, refusals): no query at all
    notices_deliver(notices_for(event))


def connect() -> None:
    """Subscribe to audit's event signal (once)."""
    event_recorded.connect(_event_recorded, sender=AuditEvent, dispatch_uid="notifications.event_recorded")
