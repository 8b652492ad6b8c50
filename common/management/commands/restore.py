"""`manage.py restore --from DIR [--force]`: check a backup's hashes, then restore the database and media."""

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from common.backup import BackupError, Database, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into the configured database and media storage, after checking "
        "every hash in its manifest. Refuses a database or storage that is not empty unless --force."
    )
    requires_system_checks: list[str] = []  # the database may be empty: nothing to check yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, type=Path, help="the backup directory")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a database that has tables (they are replaced) and over media files with the same names",
        )
        parser.add_argument("--skip-media", action="store_true", help="restore the database only")
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        database = Database(connections[alias].settings_dict)
        connections[alias].close()  # pg_restore works in its own session; hold nothing meanwhile
        storage = None if options["skip_media"] else default_storage
        try:
            restore(
                options["source"], database=database, storage=storage, force=options["force"], log=self.stdout.write
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"restored {options['source']} into {database.name!r}"))
