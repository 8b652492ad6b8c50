from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from .db_guards import install_audit_guards
    from .models import AuditArchive, AuditEvent

    # A partial `migrate other_app` must not fail because the audit tables are not there yet.
    connection = connections[using]
    tables = connection.introspection.table_names()
    if AuditEvent._meta.db_table in tables and AuditArchive._meta.db_table in tables:
        install_audit_guards(connection)


class AuditConfig(AppConfig):
    """The append-only record of who changed what, who signed in, and who was refused."""

    name = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from . import celery, receivers
        from .admin import audit_third_party_admins

        # After every `migrate`: the append-only guards (SQLite drops triggers when it rebuilds a table).
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="audit.guards")
        receivers.connect()
        celery.connect()
        audit_third_party_admins()
