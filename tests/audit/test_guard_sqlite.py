"""The embedded development database (SQLite) refuses UPDATEs of the audit tables too."""

import sqlite3

import pytest

from audit import db_guards


def test_the_sqlite_guard_refuses_updates() -> None:
    # SQLite is the embedded development database; check its triggers on a scratch database.
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE audit_auditevent (id INTEGER PRIMARY KEY, reason TEXT)")
    db.execute("CREATE TABLE audit_auditarchive (id INTEGER PRIMARY KEY, sha256 TEXT)")
    for sql in db_guards.SQLITE_FORWARD:
        db.execute(sql)
    db.execute("INSERT INTO audit_auditevent (reason) VALUES ('')")
    db.execute("INSERT INTO audit_auditarchive (sha256) VALUES ('')")

    for table, column in (("audit_auditevent", "reason"), ("audit_auditarchive", "sha256")):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(f"UPDATE {table} SET {column} = 'x'")  # noqa: S608
    for sql in db_guards.SQLITE_REVERSE:
        db.execute(sql)
    db.execute("UPDATE audit_auditevent SET reason = 'x'")
