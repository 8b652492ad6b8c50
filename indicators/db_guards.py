"""Database guard for the case table: every case belongs to an existing hospital, checked once per statement.

`indicators_case` has no foreign-key constraint on purpose. PostgreSQL checks a foreign key with one
lookup per inserted row, which tripled the time of a 1,000,000-row COPY (bench/cases.py). These triggers
keep the same promise set-wise:

- after any INSERT or UPDATE statement on cases, the distinct hospital ids of the table (read from the
  primary key's leading column, one index probe per hospital, not per case) must all exist;
- deleting a hospital deletes its cases (the ORM's CASCADE does the same first).

SQLite, the embedded default, checks row by row (its imports are small). `install_case_guards` is
idempotent; migration 0004 installs the guards and post_migrate reinstalls them, because SQLite drops a
table's triggers whenever a later migration rebuilds the table.
"""

from typing import Any

from common.db_guards import execute_for_vendor

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION indicators_case_hospital_guard() RETURNS trigger AS $$
DECLARE
    orphan bigint;
BEGIN
    WITH RECURSIVE hospitals AS (
        (SELECT hospital_id FROM indicators_case ORDER BY hospital_id LIMIT 1)
        UNION ALL
        SELECT (SELECT c.hospital_id FROM indicators_case c WHERE c.hospital_id > h.hospital_id
                ORDER BY c.hospital_id LIMIT 1)
        FROM hospitals h WHERE h.hospital_id IS NOT NULL
    )
    SELECT h.hospital_id INTO orphan FROM hospitals h
    WHERE h.hospital_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM accounts_hospital a WHERE a.id = h.hospital_id)
    LIMIT 1;
    IF orphan IS NOT NULL THEN
        RAISE EXCEPTION 'indicators_case refers to hospital %, which does not exist', orphan
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS indicators_case_hospital_guard ON indicators_case;
CREATE TRIGGER indicators_case_hospital_guard
    AFTER INSERT OR UPDATE OF hospital_id ON indicators_case
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_case_hospital_guard();

CREATE OR REPLACE FUNCTION indicators_hospital_delete_cases() RETURNS trigger AS $$
BEGIN
    DELETE FROM indicators_case WHERE hospital_id = OLD.id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS indicators_hospital_delete_cases ON accounts_hospital;
CREATE TRIGGER indicators_hospital_delete_cases
    BEFORE DELETE ON accounts_hospital
    FOR EACH ROW EXECUTE FUNCTION indicators_hospital_delete_cases();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS indicators_hospital_delete_cases ON accounts_hospital;
DROP FUNCTION IF EXISTS indicators_hospital_delete_cases();
DROP TRIGGER IF EXISTS indicators_case_hospital_guard ON indicators_case;
DROP FUNCTION IF EXISTS indicators_case_hospital_guard();
"""

_SQLITE_ORPHAN = "NOT EXISTS (SELECT 1 FROM accounts_hospital WHERE id = NEW.hospital_id)"
_SQLITE_MESSAGE = "indicators_case refers to a hospital that does not exist"
SQLITE_FORWARD = [
    f"""CREATE TRIGGER IF NOT EXISTS indicators_case_hospital_insert BEFORE INSERT ON indicators_case
        WHEN {_SQLITE_ORPHAN} BEGIN SELECT RAISE(ABORT, '{_SQLITE_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS indicators_case_hospital_update BEFORE UPDATE OF hospital_id
        ON indicators_case WHEN {_SQLITE_ORPHAN} BEGIN SELECT RAISE(ABORT, '{_SQLITE_MESSAGE}'); END""",
    """CREATE TRIGGER IF NOT EXISTS indicators_hospital_delete_cases BEFORE DELETE ON accounts_hospital
        BEGIN DELETE FROM indicators_case WHERE hospital_id = OLD.id; END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "indicators_case_hospital_insert",
        "indicators_case_hospital_update",
        "indicators_hospital_delete_cases",
    )
]

FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
REVERSE = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}


def install_case_guards(connection: Any) -> None:
    """Create (or re-create) the case guards on this connection's database."""
    execute_for_vendor(connection, FORWARD)


def remove_case_guards(connection: Any) -> None:
    """Drop the case guards."""
    execute_for_vendor(connection, REVERSE)
