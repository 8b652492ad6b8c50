"""The audit trail is append-only in the database itself: UPDATE and DELETE fail whatever path sends them."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import db_guards
from audit.models import AuditArchive, AuditEvent
from audit.services import audit_record
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def event(**fields) -> AuditEvent:
    return AuditEvent.objects.create(action="rating.set", object_type="scoring.rating", object_id="1", **fields)


def refused(sql: str, params: list) -> str:
    """Run raw SQL as the application's database role; return the database's refusal."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the full guard is PostgreSQL's (SQLite refuses UPDATE only; see test_the_sqlite_guard_…)")


def test_an_update_of_an_audit_row_as_the_app_role_fails(cast: Cast) -> None:
    row = audit_record(actor=cast.head_a, action="rating.set", obj=cast.hospital_a, after={"rating": "met"})

    message = refused('UPDATE audit_auditevent SET after = \'{"rating": "unmet"}\' WHERE id = %s', [row.pk])

    assert "append-only" in message and "UPDATE" in message
    row.refresh_from_db()
    assert row.after == {"rating": "met"}


def test_a_delete_of_an_audit_row_as_the_app_role_fails(cast: Cast) -> None:
    row = audit_record(actor=cast.head_a, action="rating.set", obj=cast.hospital_a)

    message = refused("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])

    assert "append-only" in message and "DELETE" in message
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_the_orm_is_refused_too_save_update_and_delete() -> None:
    row = event()
    row.reason = "改写"
    with pytest.raises(DatabaseError), transaction.atomic():
        row.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(reason="改写")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    assert AuditEvent.objects.get(pk=row.pk).reason == ""


def test_the_actor_column_is_not_rewritten_when_a_user_is_deleted(cast: Cast) -> None:
    # No SET NULL cascade (it would be an UPDATE): the row keeps the id and the name it had.
    row = audit_record(actor=cast.staff_a, action="rating.set", obj=cast.hospital_a)
    staff_id = cast.staff_a.pk

    cast.staff_a.delete()

    row = AuditEvent.objects.get(pk=row.pk)
    assert (row.actor_id, row.actor_username) == (staff_id, "staff_a")


def test_an_old_row_cannot_be_deleted_without_an_archive_record_covering_it() -> None:
    old = event(created_at=timezone.now() - datetime.timedelta(days=400))

    assert "append-only" in refused("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])


def test_an_archive_record_does_not_let_a_row_younger_than_180_days_go() -> None:
    young = event(created_at=timezone.now() - datetime.timedelta(days=179))
    AuditArchive.objects.create(
        before=timezone.now(), max_event_id=young.pk, event_count=1, file_name="x.jsonl.gz", sha256="0" * 64
    )

    assert "append-only" in refused("DELETE FROM audit_auditevent WHERE id = %s", [young.pk])


def test_a_row_covered_by_an_archive_record_and_old_enough_may_be_deleted() -> None:
    old = event(created_at=timezone.now() - datetime.timedelta(days=200))
    later = event(created_at=timezone.now() - datetime.timedelta(days=200))
    AuditArchive.objects.create(
        before=timezone.now() - datetime.timedelta(days=190),
        max_event_id=old.pk,
        event_count=1,
        file_name="x.jsonl.gz",
        sha256="0" * 64,
    )

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])
    # An id above the archive's range stays, however old.
    assert "append-only" in refused("DELETE FROM audit_auditevent WHERE id = %s", [later.pk])
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [later.pk]


def test_archive_records_can_be_neither_changed_nor_deleted() -> None:
    record = AuditArchive.objects.create(
        before=timezone.now(), max_event_id=1, event_count=1, file_name="x.jsonl.gz", sha256="0" * 64
    )

    assert "append-only" in refused("UPDATE audit_auditarchive SET sha256 = %s WHERE id = %s", ["1" * 64, record.pk])
    assert "append-only" in refused("DELETE FROM audit_auditarchive WHERE id = %s", [record.pk])


def test_the_guards_are_reinstalled_idempotently() -> None:
    db_guards.install_audit_guards(connection)
    db_guards.install_audit_guards(connection)
    row = event()

    assert "append-only" in refused("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [row.pk])


def test_a_role_granted_what_the_readme_says_cannot_update_delete_or_truncate() -> None:
    # Production: the app's role gets SELECT and INSERT on the audit tables, nothing more (README).
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE anesqc_audit_app_test NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO anesqc_audit_app_test")
        cursor.execute("GRANT SELECT, INSERT ON audit_auditevent, audit_auditarchive TO anesqc_audit_app_test")
        cursor.execute("GRANT USAGE ON SEQUENCE audit_auditevent_id_seq TO anesqc_audit_app_test")
    row = event()
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE anesqc_audit_app_test")
    try:
        for sql in (
            "UPDATE audit_auditevent SET reason = 'x' WHERE id = %s",
            "DELETE FROM audit_auditevent WHERE id = %s",
            "TRUNCATE audit_auditevent",
        ):
            message = refused(sql, [row.pk] if "%s" in sql else [])
            assert "permission denied" in message or "append-only" in message, sql
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (created_at, action, object_type, object_id, object_repr, reason, "
                "criterion_code, actor_username, request_id) VALUES (now(), 'x', '', '', '', '', '', '', '')"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(pk=row.pk).exists()
