"""Signals audit sends. Apps above it (notifications) learn of what happened without the lower apps importing them.

`event_recorded` is sent by `audit_record` for every event, inside the transaction of the write that
recorded it, so what a receiver writes commits or rolls back with the change itself.
"""

from django.dispatch import Signal

# Sent with `event` (the AuditEvent just written); sender is the AuditEvent class.
event_recorded = Signal()
