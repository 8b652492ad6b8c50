"""Database guard: a finalized assessment and its ratings cannot change, whatever path writes.

Services answer 409 before reaching the database; these triggers catch every
other path (ORM save, queryset update/delete, raw SQL) on PostgreSQL, and
inserts and updates on SQLite.
"""

from django.db import migrations

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
    f"""CREATE TRIGGER scoring_rating_finalized_insert BEFORE INSERT ON scoring_rating
        WHEN {_SQLITE_FINALIZED.format(ref="NEW")}
        BEGIN SELECT RAISE(ABORT, 'assessment is finalized; its ratings cannot change'); END""",
    f"""CREATE TRIGGER scoring_rating_finalized_update BEFORE UPDATE ON scoring_rating
        WHEN {_SQLITE_FINALIZED.format(ref="OLD")} OR {_SQLITE_FINALIZED.format(ref="NEW")}
        BEGIN SELECT RAISE(ABORT, 'assessment is finalized; its ratings cannot change'); END""",
    """CREATE TRIGGER scoring_assessment_finalized_update BEFORE UPDATE ON scoring_assessment
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


def _run(statements_by_vendor: dict) -> object:
    def run(apps, schema_editor) -> None:  # noqa: ANN001, ARG001
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            return  # other backends rely on the service and admin guards
        if isinstance(statements, str):
            statements = [statements]
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
