"""factory_boy factories of audit: events of the trail, as test data for the log and its archive.

Tests of the database guard itself (test_guard.py) insert their rows directly: the guard is what they test.
"""

from factory.django import DjangoModelFactory

from audit.models import AuditEvent


class AuditEventFactory(DjangoModelFactory):
    """One event; every field but the action is the model's default (blank, or now for `created_at`)."""

    class Meta:
        model = AuditEvent

    action = "rating.set"
