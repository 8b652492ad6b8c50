"""Backup and restore (anesqc/backup.py): back up, restore into a fresh database, compare rows and file hashes.

The PostgreSQL test backs up pytest-django's test database with `manage.py backup`, restores it with
`manage.py restore` in a subprocess pointed (DATABASE_URL, MEDIA_ROOT) at a new database created on
the same server and an empty media folder, and compares every table's rows and every file's SHA-256.
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import psycopg2
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection

from common.backup import BackupError, Database, backup, pg_connect, restore
from common.backup import table_counts as counts_of
from evidence.models import Evidence
from rectification.models import RectificationEvidence
from rectification.services import rectification_answer
from scoring.models import Assessment, AssessmentStatus, Rating
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES, PNG_BYTES, attach, upload_file
from tests.factories import AssessmentFactory
from tests.rectification.conftest import plan

ROOT = Path(__file__).resolve().parents[1]
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore")


def file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def database_url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{quote(name)}"


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def fresh_databases() -> Iterator[Any]:
    """Make empty databases on the test server (as many as asked for); dropped afterwards."""
    made: list[str] = []

    def make() -> Database:
        name = f"anesqc_restore_{uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return Database({**connection.settings_dict, "NAME": name})

    yield make
    with connection.cursor() as cursor:
        for name in made:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def some_of_everything(cast: Cast) -> None:
    """Ratings, evidence files, a finalized inspection with its rectification plan and follow-up files, audit rows."""
    draft = AssessmentFactory(hospital=cast.hospital_a)
    attach(cast.head_a, draft, upload_file("制度.pdf", PDF_BYTES), upload_file("照片.png", PNG_BYTES))
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改", files=[upload_file("发文.pdf", PDF_BYTES)])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_and_files(
    cast: Cast, media_root: Path, tmp_path: Path, fresh_databases: Any
) -> None:
    some_of_everything(cast)
    out = tmp_path / "backup"
    call_command("backup", out=out, stdout=io.StringIO())

    manifest = json.loads((out / "manifest.json").read_text())
    source_counts = counts_of(Database(connection.settings_dict))
    assert manifest["tables"] == source_counts
    assert manifest["tables"]["public.scoring_rating"] == Rating.objects.count() > 0
    assert manifest["tables"]["public.audit_auditevent"] > 0
    assert manifest["media"] == {
        name: {"sha256": digest, "size": (media_root / name).stat().st_size}
        for name, digest in file_hashes(media_root).items()
    }
    for stored in [*Evidence.objects.all(), *RectificationEvidence.objects.all()]:
        assert manifest["media"][stored.file.name]["sha256"] == stored.sha256
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert sorted(line.split("  ")[1] for line in sums) == ["database.dump", "manifest.json", "media.tar"]
    assert oct(out.stat().st_mode & 0o777) == "0o700"

    # Restore with the real command, in a process of its own configured for the new database and media.
    target = fresh_databases()
    restored_media = tmp_path / "restored-media"
    env = {**os.environ, "DATABASE_URL": database_url(target.name), "MEDIA_ROOT": str(restored_media)}
    env.setdefault("SECRET_KEY", "restore-test")
    command = [sys.executable, "manage.py", "restore", "--from", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    assert "every SHA-256 checked" in result.stdout

    assert counts_of(target) == source_counts  # every table, every row
    assert file_hashes(restored_media) == file_hashes(media_root)  # every file, byte for byte
    # The database guards came back with the data: a finalized rating still cannot change.
    finalized = Assessment.objects.get(status=AssessmentStatus.FINALIZED)
    restored = pg_connect(target)
    try:
        with restored.cursor() as cursor:
            cursor.execute("SELECT final_result FROM scoring_assessment WHERE id = %s", [finalized.pk])
            assert cursor.fetchone()[0] == finalized.final_result
            with pytest.raises(psycopg2.errors.IntegrityConstraintViolation):
                cursor.execute("UPDATE scoring_rating SET score = 0 WHERE assessment_id = %s", [finalized.pk])
    finally:
        restored.rollback()
        restored.close()

    # A second restore into the same, now full, database is refused unless forced.
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode != 0 and "is not empty" in again.stderr
    forced = subprocess.run(
        [*command, "--force"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert forced.returncode == 0, forced.stderr
    assert counts_of(target) == source_counts


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", ["database.dump", "media.tar", "manifest.json"])
def test_a_damaged_backup_is_refused_before_anything_is_changed(
    damage: str, cast: Cast, media_root: Path, tmp_path: Path, fresh_databases: Any
) -> None:
    some_of_everything(cast)
    out = tmp_path / "backup"
    backup(out, database=Database(connection.settings_dict), storage=FileSystemStorage(media_root), log=str)
    path = out / damage
    data = bytearray(path.read_bytes())
    if damage == "manifest.json":  # a file's hash changed in the manifest itself
        manifest = json.loads(data)
        name = next(iter(manifest["media"]))
        manifest["media"][name]["sha256"] = "0" * 64
        data = bytearray(json.dumps(manifest).encode())
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    target = fresh_databases()
    restored_media = tmp_path / "restored-media"
    with pytest.raises(BackupError, match="SHA-256"):
        restore(out, database=target, storage=FileSystemStorage(restored_media), log=str)
    assert counts_of(target) == {}  # no table was created
    assert not restored_media.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_media_are_not_restored_over_existing_files_unless_forced(
    cast: Cast, media_root: Path, tmp_path: Path, fresh_databases: Any
) -> None:
    some_of_everything(cast)
    out = tmp_path / "backup"
    backup(out, database=Database(connection.settings_dict), storage=FileSystemStorage(media_root), log=str)
    restored_media = tmp_path / "restored-media"
    (restored_media / "stray").mkdir(parents=True)
    (restored_media / "stray" / "file.txt").write_text("already here")
    target = fresh_databases()
    with pytest.raises(BackupError, match="media storage already holds files"):
        restore(out, database=target, storage=FileSystemStorage(restored_media), log=str)
    assert counts_of(target) == {}
    restore(out, database=target, storage=FileSystemStorage(restored_media), force=True, log=str)
    assert file_hashes(restored_media) == {
        **file_hashes(media_root),
        "stray/file.txt": file_hashes(restored_media)["stray/file.txt"],
    }


def test_sqlite_is_backed_up_and_restored_too(tmp_path: Path) -> None:
    source = tmp_path / "db.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE scoring_rating (id INTEGER PRIMARY KEY, rating TEXT)")
        db.executemany("INSERT INTO scoring_rating (rating) VALUES (?)", [("met",), ("unmet",), ("partial",)])
        db.execute('CREATE TABLE "odd ""name""" (x)')
    media = FileSystemStorage(tmp_path / "media")
    media.save("evidence/1/a.pdf", io.BytesIO(PDF_BYTES))
    engine = "django.db.backends.sqlite3"
    out = tmp_path / "backup"
    manifest = backup(out, database=Database({"ENGINE": engine, "NAME": str(source)}), storage=media, log=str)
    assert manifest["tables"] == {"scoring_rating": 3, 'odd "name"': 0}
    assert (out / "database.sqlite3").is_file()

    target = Database({"ENGINE": engine, "NAME": str(tmp_path / "restored.sqlite3")})
    restored_media = FileSystemStorage(tmp_path / "restored-media")
    restore(out, database=target, storage=restored_media, log=str)
    with sqlite3.connect(target.name) as db:
        assert db.execute("SELECT rating FROM scoring_rating ORDER BY id").fetchall() == [
            ("met",),
            ("unmet",),
            ("partial",),
        ]
    assert file_hashes(tmp_path / "restored-media") == file_hashes(tmp_path / "media")
    with pytest.raises(BackupError, match="is not empty"):
        restore(out, database=target, storage=None, log=str)
    restore(out, database=target, storage=None, force=True, log=str)


@pytest.mark.parametrize("name", [":memory:", "file:memorydb_default?mode=memory&cache=shared"])
def test_an_in_memory_sqlite_database_is_refused_clearly(name: str, tmp_path: Path) -> None:
    database = Database({"ENGINE": "django.db.backends.sqlite3", "NAME": name})
    with pytest.raises(BackupError, match="in-memory SQLite"):
        backup(tmp_path / "backup", database=database, storage=None, log=str)


def test_other_databases_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="PostgreSQL and SQLite"):
        backup(tmp_path / "b", database=Database({"ENGINE": "django.db.backends.mysql", "NAME": "x"}), storage=None)


def test_a_backup_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    database = Database({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")})
    with pytest.raises(BackupError, match="not empty"):
        backup(tmp_path / "old", database=database, storage=None, log=str)
