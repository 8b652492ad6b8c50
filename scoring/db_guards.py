"""Database guard: a finalized assessment and its ratings cannot change, whatever path writes.
Also the standard's revision number, bumped by any change to its parts (see Standard.revision).

Services answer 409 before reaching the database; these triggers catch every
other path (ORM save, queryset update/delete, raw SQL) on PostgreSQL, and
inserts and updates on SQLite.

`install_finalized_guards` is idempotent. Migration 0002 installs the guards, and
post_migrate reinstalls them, because SQLite drops a table's triggers whenever
a later migration rebuilds the table (and so a changed guard reaches existing
PostgreSQL databases at the next `migrate`).

On PostgreSQL the rating guard locks the assessment row (FOR SHARE), so a rating
write racing a finalization waits for it and is then refused, never committed
after it (tests/scoring/test_concurrency.py).
"""

from typing import Any

from common.db_guards import execute_for_vendor

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION scoring_guard_finalized_rating() RETURNS trigger AS $$
DECLARE
    aid bigint;
    finalized boolean;
    old_finalized boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN aid := OLD.assessment_id; ELSE aid := NEW.assessment_id; END IF;
    -- FOR SHARE, by id alone: if a transaction is finalizing the assessment (it holds the row), wait
    -- for it and read the status it committed. A plain read would see the status before the
    -- finalization and let a write through that commits after it.
    SELECT status = 'finalized' INTO finalized FROM scoring_assessment WHERE id = aid FOR SHARE;
    IF TG_OP = 'UPDATE' AND OLD.assessment_id IS DISTINCT FROM aid THEN
        SELECT status = 'finalized' INTO old_finalized FROM scoring_assessment WHERE id = OLD.assessment_id FOR SHARE;
    END IF;
    IF finalized OR old_finalized THEN
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


# The standard's revision: any write to its parts gives every standard a new revision number. PostgreSQL
# takes it from a sequence, which a rollback does not rewind, so a number never stands for two contents.
_PARTS = ("scoring_chapter", "scoring_item", "scoring_criterion", "scoring_gradethreshold")
_REVISION_FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS scoring_standard_revision_seq;
CREATE OR REPLACE FUNCTION scoring_standard_revise() RETURNS trigger AS $$
BEGIN
    UPDATE scoring_standard SET revision = nextval('scoring_standard_revision_seq');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
_REVISION_TRIGGER = """
DROP TRIGGER IF EXISTS TABLE_revise ON TABLE;
CREATE TRIGGER TABLE_revise AFTER INSERT OR UPDATE OR DELETE ON TABLE
    FOR EACH STATEMENT EXECUTE FUNCTION scoring_standard_revise();
"""
# Table names are the constants above, never input.
POSTGRES_REVISION = _REVISION_FUNCTION + "".join(_REVISION_TRIGGER.replace("TABLE", t) for t in _PARTS)
POSTGRES_REVISION_REVERSE = "".join(
    "DROP TRIGGER IF EXISTS TABLE_revise ON TABLE;".replace("TABLE", t) for t in _PARTS
) + ("DROP FUNCTION IF EXISTS scoring_standard_revise(); DROP SEQUENCE IF EXISTS scoring_standard_revision_seq;")
_SQLITE_REVISION = """CREATE TRIGGER IF NOT EXISTS TABLE_revise_OP AFTER OP ON TABLE
        BEGIN UPDATE scoring_standard SET revision = abs(random()); END"""
SQLITE_REVISION = [
    _SQLITE_REVISION.replace("TABLE", t).replace("OP", op) for t in _PARTS for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_REVISION_REVERSE = [
    f"DROP TRIGGER IF EXISTS {t}_revise_{op}" for t in _PARTS for op in ("INSERT", "UPDATE", "DELETE")
]

FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
REVERSE = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}
REVISION_FORWARD = {"postgresql": [POSTGRES_REVISION], "sqlite": SQLITE_REVISION}
REVISION_REVERSE = {"postgresql": [POSTGRES_REVISION_REVERSE], "sqlite": SQLITE_REVISION_REVERSE}


def install_finalized_guards(connection: Any) -> None:
    """Create (or re-create) the triggers on this connection's database."""
    execute_for_vendor(connection, FORWARD)


def remove_finalized_guards(connection: Any) -> None:
    """Drop the triggers."""
    execute_for_vendor(connection, REVERSE)


def install_revision_triggers(connection: Any) -> None:
    """Create (or re-create) the triggers that give the standards a new revision when a part changes."""
    execute_for_vendor(connection, REVISION_FORWARD)


def remove_revision_triggers(connection: Any) -> None:
    execute_for_vendor(connection, REVISION_REVERSE)
