"""Database guard: the audit trail is append-only, whatever path writes (ORM, admin, raw SQL).

On PostgreSQL a trigger refuses every UPDATE of an audit event, and every DELETE except the one
sanctioned path, archiving: a row may be deleted only if it is older than the retention floor
(180 days) and an `audit_auditarchive` row covers it (its id is at most the archive's
`max_event_id` and it was written before the archive's `before`). `manage.py audit_archive` writes
the file and its SHA-256 first, then that archive row, then deletes, in one transaction; the
archive rows themselves can be neither changed nor deleted. So nothing leaves the trail without a
permanent record of where it went, even for someone holding the application's database role.

TRUNCATE is not a row operation and is left to privileges: pytest-django empties tables with
TRUNCATE between transactional tests. In production the application's role is granted SELECT and
INSERT only on these tables (README, "Audit log"), and the archive command runs as the owner.

SQLite (the embedded development default) refuses UPDATE only: it has no TRUNCATE, so `flush`
must be able to DELETE, as for the finalized-assessment guard (scoring/db_guards.py).

`install_audit_guards` is idempotent. Migration 0004 installs the guards, and post_migrate
reinstalls them, because SQLite drops a table's triggers whenever a later migration rebuilds it.
"""

from typing import Any

from common.db_guards import execute_for_vendor

# The retention floor, also enforced by `audit_archive`: nothing younger is ever archived.
RETENTION_DAYS = 180

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.created_at < now() - interval '{RETENTION_DAYS} days'
       AND EXISTS (SELECT 1 FROM audit_auditarchive a
                   WHERE a.max_event_id >= OLD.id AND a.before > OLD.created_at) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Old events leave the trail only through manage.py audit_archive.';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE OR REPLACE FUNCTION audit_archive_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit archive records are append-only: % of archive % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_auditarchive;
CREATE TRIGGER audit_archive_append_only
    BEFORE UPDATE OR DELETE ON audit_auditarchive
    FOR EACH ROW EXECUTE FUNCTION audit_archive_append_only();
"""  # noqa: S608 - formatted from a constant, never from input

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_auditarchive;
DROP FUNCTION IF EXISTS audit_archive_append_only();
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_archive_no_update BEFORE UPDATE ON audit_auditarchive
        BEGIN SELECT RAISE(ABORT, 'audit archive records are append-only: UPDATE refused'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_archive_no_update",
]

FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
REVERSE = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}


def install_audit_guards(connection: Any) -> None:
    """Create (or re-create) the append-only triggers on this connection's database."""
    execute_for_vendor(connection, FORWARD)


def remove_audit_guards(connection: Any) -> None:
    """Drop the append-only triggers."""
    execute_for_vendor(connection, REVERSE)
