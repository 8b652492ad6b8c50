"""The archive file of old audit events: gzip-compressed JSON lines, one event a line, with a JSON manifest.

The file is written under a temporary name, flushed to disk, read back and checked (every line
parses, the ids are the expected ones) before it takes its final name; only then may the events
be removed from the database (`services.audit_archive`).
"""

import datetime
import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditEvent

FORMAT = "anesqc-audit-jsonl-gzip/1"
FIELDS = [
    "id",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "hospital_id",
    "assessment_id",
    "criterion_code",
    "ip",
    "request_id",
    "before",
    "after",
    "reason",
]


class ArchiveError(Exception):
    """The archive file could not be written or did not read back as written."""


@dataclass(frozen=True)
class ArchiveFile:
    """A written and verified archive file."""

    path: Path
    manifest_path: Path
    sha256: str
    count: int
    first_id: int | None
    last_id: int | None


def event_line(event: AuditEvent) -> str:
    """One event as a line of JSON (UTC time, keys sorted)."""
    row: dict[str, Any] = {name: getattr(event, name) for name in FIELDS}
    row["created_at"] = event.created_at.astimezone(datetime.UTC).isoformat()
    return json.dumps(row, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder) + "\n"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path_for(path: Path) -> Path:
    """Where the manifest of an archive file goes: beside it, ``FILE.manifest.json``."""
    return path.with_name(path.name + ".manifest.json")


def write_archive(events: Iterable[AuditEvent], *, path: Path, before: datetime.datetime) -> ArchiveFile:
    """Write `events` (ordered by id) to `path` and its manifest; refuse to overwrite; verify by reading back."""
    manifest_path = manifest_path_for(path)
    for target in (path, manifest_path):
        if target.exists():
            raise ArchiveError(f"{target} exists already; archives are never overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    ids: list[int] = []
    try:
        with partial.open("wb") as raw:
            # mtime=0: the same events give the same bytes, so the same checksum.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed:
                for event in events:
                    compressed.write(event_line(event).encode("utf-8"))
                    ids.append(event.pk)
            raw.flush()
            os.fsync(raw.fileno())
        read_back = _read_ids(partial)
        if read_back != ids:
            raise ArchiveError(f"{partial} did not read back as written ({len(read_back)} of {len(ids)} events).")
        digest = sha256_of(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    first_id, last_id = (ids[0], ids[-1]) if ids else (None, None)
    manifest = {
        "format": FORMAT,
        "file": path.name,
        "sha256": digest,
        "events": len(ids),
        "first_id": first_id,
        "last_id": last_id,
        "before": before.astimezone(datetime.UTC).isoformat(),
        "written_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "fields": FIELDS,
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return ArchiveFile(
        path=path,
        manifest_path=manifest_path,
        sha256=digest,
        count=len(ids),
        first_id=first_id,
        last_id=last_id,
    )


def _read_ids(path: Path) -> list[int]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [int(json.loads(line)["id"]) for line in handle]
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ArchiveError(f"{path} cannot be read back: {exc}") from exc


def read_archive(path: Path) -> list[dict[str, Any]]:
    """Every event of an archive file, as dicts (for checks and restores by hand)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
