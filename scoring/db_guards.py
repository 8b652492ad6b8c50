"""Database guard: a finalized assessment and its ratings cannot change, whatever path writes.
Also the standard's revision number, bumped by any change to its parts (see Standard.revision), and each
assessment's ratings revision, bumped by any change to its ratings (see Assessment.ratings_revision).

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
    -- Locked by id alone: if a transaction is finalizing the assessment (it holds the row), wait
    -- for it and read the status it committed. A plain read would see the status before the
    -- finalization and let a write through that commits after it. FOR NO KEY UPDATE, not FOR SHARE:
    -- the write goes on to give the assessment a new ratings revision (an UPDATE of its row, below),
    -- and two writers that both held a share lock would deadlock on that upgrade.
    SELECT status = 'finalized' INTO finalized FROM scoring_assessment WHERE id = aid FOR NO KEY UPDATE;
    IF TG_OP = 'UPDATE' AND OLD.assessment_id IS DISTINCT FROM aid THEN
        SELECT status = 'finalized' INTO old_finalized FROM scoring_assessment WHERE id = OLD.assessment_id
            FOR NO KEY UPDATE;
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

# An assessment's ratings revision: any insert, update or delete of its ratings, by whatever path (services,
# bulk_create, queryset update, raw SQL, the admin), gives it a new number in the same transaction. PostgreSQL
# takes it from a sequence (never rewound by a rollback, so a number never stands for two sets of ratings) in
# statement-level triggers that update each assessment a statement touched once. A write of the assessment row
# that would put an older number back (a full save() of an instance loaded before a rating changed) keeps the
# stored one: revisions only grow. Cached results are keyed by it (scoring.selectors.assessment_result).
POSTGRES_RATINGS_REVISION = """
CREATE SEQUENCE IF NOT EXISTS scoring_ratings_revision_seq;
CREATE OR REPLACE FUNCTION scoring_ratings_revise() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE scoring_assessment SET ratings_revision = nextval('scoring_ratings_revision_seq')
            WHERE id IN (SELECT assessment_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE scoring_assessment SET ratings_revision = nextval('scoring_ratings_revision_seq')
            WHERE id IN (SELECT assessment_id FROM old_rows);
    ELSE
        UPDATE scoring_assessment SET ratings_revision = nextval('scoring_ratings_revision_seq')
            WHERE id IN (SELECT assessment_id FROM old_rows UNION SELECT assessment_id FROM new_rows);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_rating_revise_insert ON scoring_rating;
CREATE TRIGGER scoring_rating_revise_insert AFTER INSERT ON scoring_rating
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_ratings_revise();
DROP TRIGGER IF EXISTS scoring_rating_revise_update ON scoring_rating;
CREATE TRIGGER scoring_rating_revise_update AFTER UPDATE ON scoring_rating
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_ratings_revise();
DROP TRIGGER IF EXISTS scoring_rating_revise_delete ON scoring_rating;
CREATE TRIGGER scoring_rating_revise_delete AFTER DELETE ON scoring_rating
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_ratings_revise();

CREATE OR REPLACE FUNCTION scoring_ratings_revision_keep() RETURNS trigger AS $$
BEGIN
    IF NEW.ratings_revision < OLD.ratings_revision THEN
        NEW.ratings_revision := OLD.ratings_revision;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_assessment_ratings_revision_keep ON scoring_assessment;
CREATE TRIGGER scoring_assessment_ratings_revision_keep BEFORE UPDATE ON scoring_assessment
    FOR EACH ROW EXECUTE FUNCTION scoring_ratings_revision_keep();
"""
POSTGRES_RATINGS_REVISION_REVERSE = """
DROP TRIGGER IF EXISTS scoring_assessment_ratings_revision_keep ON scoring_assessment;
DROP FUNCTION IF EXISTS scoring_ratings_revision_keep();
DROP TRIGGER IF EXISTS scoring_rating_revise_insert ON scoring_rating;
DROP TRIGGER IF EXISTS scoring_rating_revise_update ON scoring_rating;
DROP TRIGGER IF EXISTS scoring_rating_revise_delete ON scoring_rating;
DROP FUNCTION IF EXISTS scoring_ratings_revise();
DROP SEQUENCE IF EXISTS scoring_ratings_revision_seq;
"""
# SQLite (the embedded default, one writer at a time): the next number is the later of the stored one + 1 and
# the clock in microseconds, so a number a rolled-back transaction used is not handed out again.
_SQLITE_NEXT = "max(ratings_revision + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))"
SQLITE_RATINGS_REVISION = [
    # NEXT is the constant above, never input.
    """CREATE TRIGGER IF NOT EXISTS scoring_rating_revise_insert AFTER INSERT ON scoring_rating
        BEGIN UPDATE scoring_assessment SET ratings_revision = NEXT WHERE id = NEW.assessment_id; END""".replace(
        "NEXT", _SQLITE_NEXT
    ),
    """CREATE TRIGGER IF NOT EXISTS scoring_rating_revise_update AFTER UPDATE ON scoring_rating
        BEGIN UPDATE scoring_assessment SET ratings_revision = NEXT
            WHERE id IN (OLD.assessment_id, NEW.assessment_id); END""".replace("NEXT", _SQLITE_NEXT),
    """CREATE TRIGGER IF NOT EXISTS scoring_rating_revise_delete AFTER DELETE ON scoring_rating
        BEGIN UPDATE scoring_assessment SET ratings_revision = NEXT WHERE id = OLD.assessment_id; END""".replace(
        "NEXT", _SQLITE_NEXT
    ),
    """CREATE TRIGGER IF NOT EXISTS scoring_assessment_ratings_revision_keep AFTER UPDATE ON scoring_assessment
        WHEN NEW.ratings_revision < OLD.ratings_revision
        BEGIN UPDATE scoring_assessment SET ratings_revision = OLD.ratings_revision WHERE id = NEW.id; END""",
]
SQLITE_RATINGS_REVISION_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "scoring_rating_revise_insert",
        "scoring_rating_revise_update",
        "scoring_rating_revise_delete",
        "scoring_assessment_ratings_revision_keep",
    )
]

FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
REVERSE = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}
REVISION_FORWARD = {"postgresql": [POSTGRES_REVISION], "sqlite": SQLITE_REVISION}
REVISION_REVERSE = {"postgresql": [POSTGRES_REVISION_REVERSE], "sqlite": SQLITE_REVISION_REVERSE}
RATINGS_REVISION_FORWARD = {"postgresql": [POSTGRES_RATINGS_REVISION], "sqlite": SQLITE_RATINGS_REVISION}
RATINGS_REVISION_REVERSE = {
    "postgresql": [POSTGRES_RATINGS_REVISION_REVERSE],
    "sqlite": SQLITE_RATINGS_REVISION_REVERSE,
}


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


def install_ratings_revision_triggers(connection: Any) -> None:
    """Create (or re-create) the triggers that give an assessment a new ratings revision when a rating changes."""
    execute_for_vendor(connection, RATINGS_REVISION_FORWARD)


def remove_ratings_revision_triggers(connection: Any) -> None:
    execute_for_vendor(connection, RATINGS_REVISION_REVERSE)
