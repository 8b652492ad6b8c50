"""Backing up and restoring the whole application: the database and the media files, with a manifest of hashes.

A backup is a directory (`manage.py backup --out DIR`):

    manifest.json     format, time, database vendor and server version, the rows of every table,
                      and the SHA-256 and size of every file: the two below, and each media file
    database.dump     PostgreSQL: `pg_dump --format=custom` (SQLite: database.sqlite3, a copy)
    media.tar         every file of the media storage (evidence, rectification and profile files, reports)
    SHA256SUMS        the same hashes for `sha256sum -c`, manifest.json included

On PostgreSQL the row counts and the dump come from one snapshot: the backup opens a
repeatable-read transaction, exports its snapshot, counts every table in it and has pg_dump
read that same snapshot, so the counts describe exactly the dump, whatever is written meanwhile.

`manage.py restore --from DIR` checks everything before it changes anything: every hash in the
manifest (and every media file inside the tar), then that the target database has no tables and
the media storage no files (unless --force). It then restores the database (pg_restore, in one
transaction) and the files, and checks the result against the manifest: the rows of every table
and the hash of every file. Any difference fails the command.

Media go through Django's default storage, so local files and S3-compatible object storage are
backed up alike. Files are read after the database snapshot: a file uploaded meanwhile may be in
the tar without its row, which is harmless; a file deleted meanwhile would be missing, so back up
when nobody is deleting evidence, or keep the object store's own versioning.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage

FORMAT = "anesqc-backup/1"
MANIFEST = "manifest.json"
MEDIA = "media.tar"
SUMS = "SHA256SUMS"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1 << 20

# libpq reads these from the environment: the connection's OPTIONS reach pg_dump and pg_restore that way.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "options": "PGOPTIONS",
}
# OPTIONS that are Django's own, not libpq's.
DJANGO_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, and what to do."""


@dataclass(frozen=True)
class Database:
    """The database to back up or restore into: Django's settings for it (a connection's settings_dict)."""

    settings: dict[str, Any]

    @property
    def vendor(self) -> str:
        engine = str(self.settings.get("ENGINE", ""))
        if "postgresql" in engine or "postgis" in engine:
            return "postgresql"
        if engine.endswith("sqlite3"):
            return "sqlite"
        raise BackupError(f"backups support PostgreSQL and SQLite, not {engine!r}")

    @property
    def name(self) -> str:
        return str(self.settings["NAME"])


# Hashing ----------------------------------------------------------------------------------------------


def _sha256_stream(fh: Any) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return _sha256_stream(fh)


class HashingReader:
    """A read-only file wrapper that hashes what is read through it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


# PostgreSQL -------------------------------------------------------------------------------------------


def _pg_params(db: Database) -> dict[str, Any]:
    s = db.settings
    params = {"dbname": s["NAME"], "user": s.get("USER"), "password": s.get("PASSWORD"), "host": s.get("HOST")}
    params["port"] = s.get("PORT")
    options = {k: v for k, v in (s.get("OPTIONS") or {}).items() if k not in DJANGO_OPTIONS}
    return {k: v for k, v in {**params, **options}.items() if v not in (None, "")}


def _pg_environment(db: Database) -> dict[str, str]:
    s = db.settings
    env = dict(os.environ)
    for key, value in (("PGHOST", s.get("HOST")), ("PGPORT", s.get("PORT")), ("PGUSER", s.get("USER"))):
        if value:
            env[key] = str(value)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])  # never on the command line, where `ps` would show it
    env["PGDATABASE"] = db.name
    for option, variable in LIBPQ_ENVIRONMENT.items():
        value = (s.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def pg_connect(db: Database) -> Any:
    """A psycopg2 connection to the database, made from Django's settings for it."""
    import psycopg2  # the project's driver; imported here so SQLite-only use does not need it

    try:
        return psycopg2.connect(**_pg_params(db))
    except psycopg2.Error as exc:
        raise BackupError(f"cannot connect to PostgreSQL database {db.name!r}: {exc}".strip()) from exc


def _pg_tables(cursor: Any) -> list[tuple[str, str]]:
    cursor.execute(
        """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
           ORDER BY 1, 2"""
    )
    return [(schema, name) for schema, name in cursor.fetchall()]


def _pg_counts(cursor: Any) -> dict[str, int]:
    from psycopg2 import sql

    counts = {}
    for schema, name in _pg_tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(name)))
        counts[f"{schema}.{name}"] = int(cursor.fetchone()[0])
    return counts


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 -- a PostgreSQL tool found by pg_tool, no user input
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def _newest_first(paths: list[str]) -> list[str]:
    def major(path: str) -> tuple[int, ...]:
        version = Path(path).parent.parent.name  # /usr/lib/postgresql/<version>/bin/<tool>
        return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)

    return sorted(paths, key=major, reverse=True)


def pg_tool(name: str, server_major: int) -> str:
    """The path of pg_dump or pg_restore, no older than the server: $PG_BINDIR, PATH, then the newest
    /usr/lib/postgresql/*/bin (Debian installs every version's tools there, as scripts/with-services expects)."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(str(Path(os.environ["PG_BINDIR"]) / name))
    if on_path := shutil.which(name):
        candidates.append(on_path)
    candidates += _newest_first(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    seen = []
    for candidate in candidates:
        if candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.append(candidate)
        major = _tool_major(candidate)
        if major is not None and major >= server_major:
            return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {server_major} or newer found (looked at $PG_BINDIR, PATH and "
        f"/usr/lib/postgresql/*/bin: {', '.join(seen) or 'nothing'}). On Debian: apt-get install postgresql-client"
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def _pg_backup(db: Database, dump: Path) -> tuple[dict[str, int], str]:
    connection = pg_connect(db)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, version = cursor.fetchone()
            counts = _pg_counts(cursor)
            # pg_dump reads the snapshot this transaction exported: it must stay open until pg_dump is done.
            pg_dump = pg_tool("pg_dump", _major(version))
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={dump}"],
                _pg_environment(db),
            )
    finally:
        connection.rollback()
        connection.close()
    return counts, str(version)


def _major(version: str) -> int:
    return int(re.match(r"\d+", version).group(0))  # type: ignore[union-attr]  # "16.4 (Debian …)"


def _pg_existing_tables(db: Database) -> tuple[int, str]:
    connection = pg_connect(db)
    try:
        with connection.cursor() as cursor:
            tables = _pg_tables(cursor)
            cursor.execute("SELECT current_setting('server_version')")
            return len(tables), str(cursor.fetchone()[0])
    finally:
        connection.rollback()
        connection.close()


def _pg_restore(db: Database, dump: Path, *, server_version: str, clean: bool) -> None:
    command = [pg_tool("pg_restore", _major(server_version)), "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    command += ["--no-password", f"--dbname={db.name}", str(dump)]
    _run(command, _pg_environment(db))


def table_counts(db: Database) -> dict[str, int]:
    """The rows of every table of the database now, named as in a manifest."""
    if db.vendor == "sqlite":
        connection = sqlite3.connect(f"file:{_sqlite_path(db)}?mode=ro", uri=True)
        try:
            return _sqlite_counts(connection)
        finally:
            connection.close()
    pg = pg_connect(db)
    try:
        with pg.cursor() as cursor:
            return _pg_counts(cursor)
    finally:
        pg.rollback()
        pg.close()


# SQLite -----------------------------------------------------------------------------------------------


def _sqlite_path(db: Database) -> Path:
    name = db.name
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("an in-memory SQLite database cannot be backed up or restored; use a database file")
    return Path(name)


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    quoted = {name: '"' + name.replace('"', '""') + '"' for name in names}
    return {name: int(connection.execute(f"SELECT count(*) FROM {quoted[name]}").fetchone()[0]) for name in names}  # noqa: S608


def _sqlite_backup(db: Database, dump: Path) -> tuple[dict[str, int], str]:
    path = _sqlite_path(db)
    if not path.exists():
        raise BackupError(f"SQLite database {path} does not exist")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(dump)
    try:
        source.backup(target)  # SQLite's online backup: a consistent copy even while the app writes
        return _sqlite_counts(target), sqlite3.sqlite_version
    finally:
        source.close()
        target.close()


def _sqlite_existing_tables(db: Database) -> int:
    path = _sqlite_path(db)
    if not path.exists():
        return 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return len(_sqlite_counts(connection))
    finally:
        connection.close()


def _sqlite_restore(db: Database, dump: Path) -> dict[str, int]:
    path = _sqlite_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)  # replaces the whole target database, in one step
        return _sqlite_counts(target)
    finally:
        source.close()
        target.close()


# Media ------------------------------------------------------------------------------------------------


def media_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file in the storage, folders first-to-last in name order."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local MEDIA_ROOT not created yet: no files
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from media_names(storage, f"{folder}/{sub}" if folder else sub)


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name) and not path.is_absolute() and "\\" not in name and all(p not in ("", ".", "..") for p in path.parts)
    )


def _media_backup(storage: Storage, tar_path: Path) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in media_names(storage):
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            info.mode = 0o600
            try:
                info.mtime = int(storage.get_modified_time(name).timestamp())
            except (NotImplementedError, OSError):
                info.mtime = 0
            with storage.open(name, "rb") as fh:
                reader = HashingReader(fh)
                tar.addfile(info, reader)  # tarfile only calls read()
            entries[name] = {"sha256": reader.digest.hexdigest(), "size": info.size}
    return entries


def _check_media_tar(tar_path: Path, expected: dict[str, dict[str, Any]]) -> None:
    seen = set()
    with tarfile.open(tar_path, "r") as tar:
        for member in tar:
            if not member.isreg() or not _safe_member(member.name) or member.name not in expected:
                raise BackupError(f"{MEDIA}: unexpected member {member.name!r}; the backup was changed")
            if member.name in seen:
                raise BackupError(f"{MEDIA}: {member.name} appears twice; the backup was changed")
            fh = tar.extractfile(member)
            assert fh is not None  # a regular file
            if _sha256_stream(fh) != expected[member.name]["sha256"]:
                raise BackupError(f"{MEDIA}: {member.name} does not match its SHA-256 in the manifest")
            seen.add(member.name)
    missing = set(expected) - seen
    if missing:
        raise BackupError(f"{MEDIA}: {len(missing)} files of the manifest are missing, e.g. {sorted(missing)[0]}")


def _media_restore(storage: Storage, tar_path: Path) -> None:
    with tarfile.open(tar_path, "r") as tar:
        for member in tar:
            fh = tar.extractfile(member)
            assert fh is not None  # checked: regular files only
            if storage.exists(member.name):
                storage.delete(member.name)  # --force: the backup's version replaces it
            saved = storage.save(member.name, File(fh, name=member.name))
            if saved != member.name:
                raise BackupError(f"media storage stored {member.name} as {saved}")


def _media_hash(storage: Storage, name: str) -> str:
    with storage.open(name, "rb") as fh:
        return _sha256_stream(fh)


# Backup and restore -----------------------------------------------------------------------------------


def _quiet(message: str) -> None:
    """The default progress log: none."""


def backup(
    out: Path, *, database: Database, storage: Storage | None, log: Callable[[str], None] = _quiet
) -> dict[str, Any]:
    """Write a backup of the database and (unless storage is None) the media into the new directory `out`."""
    dump_name = DUMPS[database.vendor]  # refuses other databases before anything is written
    if database.vendor == "sqlite":
        _sqlite_path(database)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty; back up into a new directory")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)  # a backup holds everything, password hashes included
    old_umask = os.umask(0o077)
    try:
        dump = out / dump_name
        if database.vendor == "postgresql":
            counts, version = _pg_backup(database, dump)
        else:
            counts, version = _sqlite_backup(database, dump)
        log(f"database: {len(counts)} tables, {sum(counts.values())} rows -> {dump.name}")
        files = {dump.name: _file_entry(dump)}
        media = None
        if storage is not None:
            media = _media_backup(storage, out / MEDIA)
            files[MEDIA] = _file_entry(out / MEDIA)
            log(f"media: {len(media)} files, {sum(m['size'] for m in media.values())} bytes -> {MEDIA}")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": {"vendor": database.vendor, "name": database.name, "server_version": version},
            "tables": counts,
            "files": files,
            "media": media,
        }
        partial = out / f"{MANIFEST}.partial"
        partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        partial.rename(out / MANIFEST)  # a manifest exists only once everything it lists is written
        sums = {MANIFEST: sha256_file(out / MANIFEST), **{name: entry["sha256"] for name, entry in files.items()}}
        (out / SUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())))
    finally:
        os.umask(old_umask)
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists (and every media file in the tar) matches its hash."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{source} has no {MANIFEST}: not a backup, or an unfinished one") from exc
    except json.JSONDecodeError as exc:
        raise BackupError(f"{source / MANIFEST} is damaged: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST}: unknown format {manifest.get('format')!r}, expected {FORMAT!r}")
    vendor = manifest["database"]["vendor"]
    # Exactly the files a backup writes, each listed with its hash: nothing restored goes unchecked.
    expected = {DUMPS.get(vendor, "?")} | ({MEDIA} if manifest.get("media") is not None else set())
    if set(manifest["files"]) != expected:
        raise BackupError(f"{source / MANIFEST} lists {sorted(manifest['files'])}, expected {sorted(expected)}")
    for name, entry in manifest["files"].items():
        path = source / name
        if not path.is_file():
            raise BackupError(f"{path} is missing")
        if sha256_file(path) != entry["sha256"]:
            raise BackupError(
                f"{name} does not match its SHA-256 in the manifest; the backup is damaged or was changed"
            )
    if manifest.get("media") is not None:
        _check_media_tar(source / MEDIA, manifest["media"])
    return manifest


def restore(
    source: Path,
    *,
    database: Database,
    storage: Storage | None,
    force: bool = False,
    log: Callable[[str], None] = _quiet,
) -> dict[str, Any]:
    """Restore a verified backup into `database` and (unless storage is None) the media storage; the manifest."""
    manifest = verify(source)
    log(
        f"verified {source}: {len(manifest['files'])} files and {len(manifest.get('media') or {})} media files match the manifest"
    )
    vendor = manifest["database"]["vendor"]
    if vendor != database.vendor:
        raise BackupError(f"the backup is of a {vendor} database; the configured database is {database.vendor}")
    # Every precondition before the first change.
    if vendor == "postgresql":
        tables, server_version = _pg_existing_tables(database)
    else:
        tables, server_version = _sqlite_existing_tables(database), ""
    if tables and not force:
        raise BackupError(
            f"database {database.name!r} is not empty ({tables} tables); restore into an empty database, "
            "or pass --force to replace what it holds"
        )
    media = manifest.get("media")
    restore_media = storage is not None and media is not None
    if restore_media and not force and next(media_names(storage), None) is not None:  # type: ignore[arg-type]
        raise BackupError("the media storage already holds files; restore into an empty one, or pass --force")

    dump = source / DUMPS[vendor]
    if vendor == "postgresql":
        _pg_restore(database, dump, server_version=server_version, clean=bool(tables))
        counts = table_counts(database)
    else:
        counts = _sqlite_restore(database, dump)
    differences = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if differences:
        raise BackupError(f"restored database differs from the manifest (table: expected, found): {differences}")
    log(f"database: {len(counts)} tables, {sum(counts.values())} rows restored into {database.name!r}")
    if restore_media:
        assert storage is not None and media is not None
        _media_restore(storage, source / MEDIA)
        damaged = [name for name, entry in media.items() if _media_hash(storage, name) != entry["sha256"]]
        if damaged:
            raise BackupError(f"{len(damaged)} restored media files differ from the manifest, e.g. {damaged[0]}")
        log(f"media: {len(media)} files restored, every SHA-256 checked")
    return manifest
