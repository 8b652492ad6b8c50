"""Database guard: a finalized assessment and its ratings cannot change, whatever path writes.

Services answer 409 before reaching the database; these triggers catch every
other path (ORM save, queryset update/delete, raw SQL) on PostgreSQL, and
inserts and updates on SQLite.

`install_finalized_guards` is idempotent. Migration 0002 installs the guards, and
post_migrate reinstalls them, because SQLite drops a table's triggers whenever
a later migration rebuilds the table.
"""

from typing import Any

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION scoring_guard_finalized_rating() RETURNS trigger AS $$
DECLARE
    aid bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN aid := OLD.assessment_id; ELSE aid := NEW.assessment_id; END IF;
    IF EXISTS (SELECT 1 FROM scoring_assessment WHERE id = aid AND status = 'finalized')
       OR (TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM scoring_assessment WHERE id = OLD.assessment_id AND status = 'finalized')) THEN
        RAISE EXCEPTION 'assessment % is finalized; its ratings cannot change', aid
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS scoring_rating_finalized_guard ON scoring_rating;
CREATE TRIGGER scoring_rating_finalized_guard
    BEFORE INSERT OR UPDATE OR DELETE ON scoring_rating
    FOR EACH ROW EXECUTE FUNCTION scoring_guard_finalized_rating();

CREATE OR REPLACE FUNCTION scoring_guard_finalized_assessment() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'finalized' THEN
        RAISE EXCEPTION 'assessment % is finalized and cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS scoring_assessment_finalized_guard ON scoring_assessment;
CREATE TRIGGER scoring_assessment_finalized_guard
    BEFORE UPDATE OR DELETE ON scoring_assessment
    FOR EACH ROW EXECUTE FUNCTION scoring_guard_finalized_assessment();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS scoring_assessment_finalized_guard ON scoring_assessment;
DROP FUNCTION IF EXISTS scoring_guard_finalized_assessment();
DROP TRIGGER IF EXISTS scoring_rating_finalized_guard ON scoring_rating;
DROP FUNCTION IF EXISTS scoring_guard_finalized_rating();
"""

# SQLite (the embedded default) guards inserts and updates only: it has no TRUNCATE,
# so `flush` (tests, `manage.py flush`) must be able to DELETE finalized rows.
_SQLITE_FINALIZED = "(SELECT status FROM scoring_assessment WHERE id = {ref}.assessment_id) = 'finalized'"
SQLITE_FORWARD = [
    f"""CREATE TRIGGER IF NOT EXISTS scoring_rating_finalized_insert BEFORE INSERT ON scoring_rating
        WHEN {_SQLITE_FINALIZED.format(ref="NEW")}
        BEGIN SELECT RAISE(ABORT, 'assessment is finalized; its ratings cannot change'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS scoring_rating_finalized_update BEFORE UPDATE ON scoring_rating
        WHEN {_SQLITE_FINALIZED.format(ref="OLD")} OR {_SQLITE_FINALIZED.format(ref="NEW")}
        BEGIN SELECT RAISE(ABORT, 'assessment is finalized; its ratings cannot change'); END""",
    """CREATE TRIGGER IF NOT EXISTS scoring_assessment_finalized_update BEFORE UPDATE ON scoring_assessment
        WHEN OLD.status = 'finalized'
        BEGIN SELECT RAISE(ABORT, 'assessment is finalized and cannot change'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "scoring_rating_finalized_insert",
        "scoring_rating_finalized_update",
        "scoring_rating_finalized_delete",
        "scoring_assessment_finalized_update",
        "scoring_assessment_finalized_delete",
    )
]


FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
REVERSE = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}


def _execute(connection: Any, statements: dict[str, list[str]]) -> None:
    # Other backends rely on the service and admin guards.
    with connection.cursor() as cursor:
        for sql in statements.get(connection.vendor, []):
            cursor.execute(sql)


def install_finalized_guards(connection: Any) -> None:
    """Create (or re-create) the triggers on this connection's database."""
    _execute(connection, FORWARD)


def remove_finalized_guards(connection: Any) -> None:
    """Drop the triggers."""
    _execute(connection, REVERSE)
