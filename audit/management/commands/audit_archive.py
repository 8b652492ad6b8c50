"""manage.py audit_archive --before YYYY-MM-DD | --older-than-days N --out FILE: move old audit events to a file.

Events are kept for at least 180 days (`RETENTION_DAYS`); older ones may be moved to a
gzip-compressed JSON-lines file with a manifest (``FILE.manifest.json``: SHA-256, count, id range),
and only then removed from the database, through the one path its guard allows.
"""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.archive import ArchiveError
from audit.db_guards import RETENTION_DAYS
from audit.models import AuditEvent
from audit.services import archive_cutoff_allowed, audit_archive


def _date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"--before {raw!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        f"Archive audit events older than a date (at least {RETENTION_DAYS} days ago) to a compressed "
        "JSON-lines file with a SHA-256 manifest, then remove them from the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--before", type=_date, help="archive events written before this UTC date (YYYY-MM-DD)")
        when.add_argument(
            "--older-than-days", type=int, help=f"archive events older than N days (N ≥ {RETENTION_DAYS})"
        )
        parser.add_argument(
            "--out", required=True, type=Path, help="the archive file to write, e.g. audit-2025.jsonl.gz"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count the events that would be archived; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["before"] is not None:
            before = datetime.datetime.combine(options["before"], datetime.time.min, tzinfo=datetime.UTC)
        else:
            days = options["older_than_days"]
            if days < RETENTION_DAYS:
                raise CommandError(f"--older-than-days must be at least {RETENTION_DAYS}.")
            before = timezone.now() - datetime.timedelta(days=days)
        if not archive_cutoff_allowed(before):
            raise CommandError(
                f"Audit events are kept for at least {RETENTION_DAYS} days: {before.date().isoformat()} is too recent."
            )
        out: Path = options["out"]
        if options["dry_run"]:
            count = AuditEvent.objects.filter(created_at__lt=before).count()
            self.stdout.write(f"{count} events written before {before.isoformat()} would be archived to {out}.")
            return
        try:
            result = audit_archive(before=before, out=out)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        if result.file is None:
            self.stdout.write(f"No audit events written before {before.isoformat()}; nothing archived.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Archived {result.count} events (ids {result.file.first_id}–{result.file.last_id}) to {result.file.path}\n"
                f"sha256 {result.file.sha256}\nmanifest {result.file.manifest_path}"
            )
        )
