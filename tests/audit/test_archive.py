"""manage.py audit_archive: old events go to a verified file, then (and only then) out of the table."""

import datetime
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import archive
from audit.models import AuditArchive, AuditEvent
from tests.audit.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def aged(days: int, **fields) -> AuditEvent:
    return AuditEventFactory(
        created_at=timezone.now() - datetime.timedelta(days=days),
        action="rating.set",
        object_type="scoring.rating",
        object_id=str(days),
        after={"remark": f"{days} 天前"},
        ip="192.0.2.1",
        request_id=f"req-{days}",
        **fields,
    )


def test_old_events_are_archived_to_a_verified_file_and_removed(tmp_path: Path) -> None:
    old = [aged(400), aged(300), aged(200)]
    young = aged(100)
    out = tmp_path / "archive" / "audit-2025.jsonl.gz"

    call_command("audit_archive", "--older-than-days", "180", "--out", str(out))

    lines = archive.read_archive(out)
    assert [line["id"] for line in lines] == [e.pk for e in old]
    assert lines[0]["after"] == {"remark": "400 天前"} and lines[0]["ip"] == "192.0.2.1"
    assert lines[0]["created_at"].endswith("+00:00")
    manifest = json.loads((tmp_path / "archive" / "audit-2025.jsonl.gz.manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert (manifest["events"], manifest["first_id"], manifest["last_id"]) == (3, old[0].pk, old[-1].pk)
    record = AuditArchive.objects.get()
    assert (record.event_count, record.max_event_id, record.sha256) == (3, old[-1].pk, manifest["sha256"])
    # What stays: the young event, and the record of the archiving itself.
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"rating.set", "audit.archive"}
    assert AuditEvent.objects.get(action="rating.set").pk == young.pk
    done = AuditEvent.objects.get(action="audit.archive")
    assert done.after["events"] == 3 and done.after["sha256"] == record.sha256


def test_the_file_is_plain_gzip_json_lines_readable_without_anesqc(tmp_path: Path) -> None:
    aged(365)
    out = tmp_path / "a.jsonl.gz"

    call_command("audit_archive", "--before", "2020-01-01", "--out", str(out))  # nothing that old
    assert not out.exists()
    call_command("audit_archive", "--older-than-days", "200", "--out", str(out))

    with gzip.open(out, "rt", encoding="utf-8") as handle:
        (line,) = [json.loads(raw) for raw in handle]
    assert set(line) == set(archive.FIELDS)


@pytest.mark.parametrize(
    "args",
    [
        ["--older-than-days", "179"],
        ["--before", (datetime.date.today() - datetime.timedelta(days=100)).isoformat()],
        ["--before", "not-a-date"],
    ],
)
def test_events_younger_than_180_days_are_never_archived(tmp_path: Path, args: list[str]) -> None:
    aged(170)

    with pytest.raises(CommandError):
        call_command("audit_archive", *args, "--out", str(tmp_path / "x.jsonl.gz"))

    assert AuditEvent.objects.count() == 1 and not AuditArchive.objects.exists()
    assert not list(tmp_path.iterdir())


def test_an_existing_file_is_never_overwritten_and_nothing_is_removed(tmp_path: Path) -> None:
    aged(400)
    out = tmp_path / "a.jsonl.gz"
    out.write_bytes(b"earlier archive")

    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_archive", "--older-than-days", "365", "--out", str(out))

    assert out.read_bytes() == b"earlier archive"
    assert AuditEvent.objects.count() == 1 and not AuditArchive.objects.exists()


def test_a_dry_run_writes_and_removes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aged(400)
    aged(300)

    call_command("audit_archive", "--older-than-days", "365", "--out", str(tmp_path / "a.gz"), "--dry-run")

    assert "1 events" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 2 and not list(tmp_path.iterdir())


def test_the_same_events_give_the_same_file(tmp_path: Path) -> None:
    event = aged(400)
    first = tmp_path / "1.jsonl.gz"
    with first.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        handle.write(archive.event_line(event).encode())

    written = archive.write_archive([event], path=tmp_path / "2.jsonl.gz", before=timezone.now())

    assert written.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()


def test_without_the_command_old_events_still_cannot_be_deleted() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL guards deletes")
    old = aged(1000)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()
