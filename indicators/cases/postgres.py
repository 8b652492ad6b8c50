"""PostgreSQL: every statement written by hand for the case import, and the streaming path.

- the checking path's staging table: `stage` COPYs validated rows into a temporary table, `merge`
  upserts the new and changed ones into `indicators_case` in one statement and names the months to recount;
- the streaming path (`stream`): a CSV whose every line is in the canonical spelling is COPYed
  straight into `indicators_case` (or, when some cases are stored already, into the staging table and
  merged), checked a megabyte at a time by one regular expression, its rollup counted on the way;
- the rollup's recount (`rollup_insert`, one `INSERT … SELECT … GROUP BY`) and its COPY;
- the lock that makes imports of one hospital take turns (`lock_hospital`);
- a running job's progress, written on a connection of its own (`progress_write`).

Every identifier in these statements is a module constant or the model's own table or column name,
never user input (S608).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.db import ProgrammingError, connection, transaction

from accounts.models import Hospital

from ..models import CASE_FACTS, AnesthesiaType, Case, CaseImport, CaseRollup
from .reading import CaseFileError
from .validating import BOOL_FIELDS, CASE_COLUMNS, Validated, header_columns

BATCH = 20_000

# ------------------------------------------------------------ staging table --

STAGE = "indicators_case_stage"


def _copy_rows(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    """Stream rows into the staging table with COPY, a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ", ".join(CASE_COLUMNS)
    sql = f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)"
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
        if n >= BATCH:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            buffer.seek(0)
            buffer.truncate()
            n = 0
    if n:
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)


def lock_hospital(hospital: Hospital) -> None:
    """Imports of one hospital take turns (and the hospital cannot be deleted under an import)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Hospital._meta.db_table} WHERE id = %s FOR NO KEY UPDATE", [hospital.pk])  # noqa: S608


def stage(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    """Fill a new temporary staging table with validated rows (CASE_COLUMNS order)."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    # Every identifier below is a module constant, never user input (S608).
    cursor.execute(f"CREATE TEMP TABLE {STAGE} (LIKE indicators_case INCLUDING DEFAULTS)")
    _copy_rows(cursor, rows)


CHANGED = "indicators_case_changed"


def merge(cursor: Any, hospital: Hospital) -> set[tuple[int, int]]:
    """Upsert the staged cases, writing only the new and the changed ones; return the months whose rollup must be
    recounted: those of every written case, as it is now and as it was (a case may move to another month).

    A department re-uploads overlapping exports every month, so most staged cases are usually stored already,
    unchanged. One join of the staging table against the stored cases (a temporary table, no WAL) keeps those
    that are new or differ in any fact, with the date they had; only they are upserted, by one `INSERT … ON
    CONFLICT … DO UPDATE … WHERE (row) IS DISTINCT FROM (EXCLUDED row)`. An unchanged re-upload writes no row and
    recounts no month (bench/cases.py: the re-upload row).
    """
    case = Case._meta.db_table
    facts = CASE_COLUMNS[2:]  # every column but the key
    stored = ", ".join(f"c.{c}" for c in facts)
    staged = ", ".join(f"s.{c}" for c in facts)
    # (No ANALYZE of the staging table: it cost more than the join it would plan; the planner sizes a
    # never-analyzed table from its pages, and takes a hash join.)
    cursor.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    # The join hashes the staged cases: with the default 4 MB of work memory a million of them spill to
    # disk in batches. The setting ends with the transaction (issue 16: the re-upload row).
    cursor.execute("SET LOCAL work_mem = '192MB'")
    cursor.execute(
        f"CREATE TEMP TABLE {CHANGED} AS SELECT s.*, c.date AS old_date FROM {STAGE} s "  # noqa: S608
        f"LEFT JOIN {case} c ON c.hospital_id = s.hospital_id AND c.case_id = s.case_id "
        f"WHERE c.case_id IS NULL OR ({stored}) IS DISTINCT FROM ({staged})"
    )
    columns = ", ".join(CASE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in facts)
    mine = ", ".join(f"{case}.{c}" for c in facts)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in facts)
    cursor.execute(
        f"INSERT INTO {case} ({columns}) SELECT {columns} FROM {CHANGED} "  # noqa: S608
        f"ON CONFLICT (hospital_id, case_id) DO UPDATE SET {updates} WHERE ({mine}) IS DISTINCT FROM ({theirs})"
    )
    cursor.execute(
        "SELECT DISTINCT EXTRACT(YEAR FROM d)::int, EXTRACT(MONTH FROM d)::int FROM ("  # noqa: S608
        f"SELECT date_trunc('month', date) AS d FROM {CHANGED} UNION "
        f"SELECT date_trunc('month', old_date) FROM {CHANGED} WHERE old_date IS NOT NULL) months"
    )
    months = {(y, m) for y, m in cursor.fetchall()}
    cursor.execute(f"DROP TABLE {CHANGED}")
    cursor.execute(f"DROP TABLE {STAGE}")
    return months


# ------------------------------------------------------ PostgreSQL, streamed --

# A valid date of 2000–2100 in ISO form, leap years included, as one regular expression.
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))"
)
_DATE = rf"(?:20\d\d-{_MONTH_DAY}|20(?:0[48]|[2468][048]|[13579][26])-02-29|2000-02-29|2100-{_MONTH_DAY})"
# A case_id as the checking path keeps it: 1–64 characters, no surrounding space (\s is exactly what
# str.strip() removes), no quote, comma or line break (those take the checking path's CSV reading).
_CASE_ID = r'(?:[^\s,"\x00][^,"\r\n\x00]{0,62}[^\s,"\x00]|[^\s,"\x00])'
_CELL = {
    "case_id": _CASE_ID,
    "date": _DATE,
    "anesthesia_type": "(?:" + "|".join(t.value for t in AnesthesiaType) + ")",
    "asa": "[1-6]?",
    **dict.fromkeys(BOOL_FIELDS, "[01]"),
}
READ_CHARS = 1 << 20


class _Fallback(Exception):
    """The file is not entirely in the canonical spelling: import it through the checking path."""


class _StoredAlready(Exception):
    """The file's first case is stored already: a re-upload, streamed into the staging table and merged."""


def _first_case_stored(file: IO[bytes], hospital: Hospital) -> bool:
    """Whether the first case of a CSV is stored already for this hospital (one indexed lookup).

    A re-upload then goes to the staging table at once: COPY straight into the case table would refuse its
    first line, but only after the whole file had been checked and sent (the server reads a COPY to its end
    before it reports the error), about a third of a re-upload's time (issue 16). Anything unusual (no
    header, an XLSX, an odd first line) answers False, and the import goes on as before."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        header, first = (next(csv.reader([text.readline()]), []) for _ in range(2))
        columns = header_columns(header)
    except (CaseFileError, UnicodeDecodeError, csv.Error):
        return False
    finally:
        text.detach()
        file.seek(0)
    if "case_id" not in columns or len(first) != len(columns):
        return False
    return Case.objects.filter(hospital=hospital, case_id=first[columns.index("case_id")]).exists()


class _CanonicalStream:
    """A CSV file as COPY input for `indicators_case`: every line checked, prefixed with the hospital id.

    `read()` hands COPY about a megabyte of lines at a time; a whole chunk is checked by one possessive
    regular expression (no Python code per line), and the rollup is counted with `Counter` over the lines
    minus their case_id. PostgreSQL parses and stores one chunk while Python checks the next. The first
    line that is not canonical raises `_Fallback`, which aborts the COPY.
    """

    def __init__(
        self, text: IO[str], columns: list[str], hospital_id: int, progress: Callable[[int], None] | None = None
    ) -> None:
        self.text = text
        self.progress = progress
        self.prefix = f"{hospital_id},"
        line = ",".join(_CELL[c] for c in columns)
        self.chunk_re = re.compile(f"(?:{line}\n)*+")
        # The rollup key of a line: its month and every other fact, without the case_id and the day.
        self.key_re = _key_pattern(columns)
        self.counts: Counter[Any] = Counter()
        self.lines = 0
        self.rest = ""
        self.done = False
        self.fell_back = False

    def read(self, size: int = -1) -> str:
        try:
            return self._read()
        except (_Fallback, UnicodeDecodeError):
            self.fell_back = True  # psycopg2 reports it as a cancelled COPY
            raise

    def _read(self) -> str:
        if self.done:
            return ""
        chunk = self.text.read(READ_CHARS)
        if not chunk:
            self.done = True
            chunk, self.rest = self.rest, ""
            if not chunk:
                return ""
            chunk += "\n"
        else:
            chunk = self.rest + chunk
            cut = chunk.rfind("\n") + 1
            chunk, self.rest = chunk[:cut], chunk[cut:]
            if not chunk:
                if len(self.rest) > 4096:
                    raise _Fallback  # no canonical line is this long
                return self._read()
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n")
        if self.chunk_re.fullmatch(chunk) is None:
            raise _Fallback
        self.lines += chunk.count("\n")
        self.counts.update(self.key_re.findall(chunk))
        if self.progress is not None:
            self.progress(self.lines)
        return self.prefix + chunk[:-1].replace("\n", "\n" + self.prefix) + "\n"


def _key_pattern(columns: list[str]) -> re.Pattern[str]:
    """A line's rollup key as regex groups: the month ("2026-03"), then each run of columns between
    case_id and date as one group (split on commas when the key is read back)."""
    parts: list[str] = []
    run = 0

    def close() -> None:
        nonlocal run
        if run:
            parts.append("([^,\n]*" + ",[^,\n]*" * (run - 1) + ")")
            run = 0

    for name in columns:
        if name == "case_id":
            close()
            parts.append("[^,\n]*")
        elif name == "date":
            close()
            parts.append("([0-9]{4}-[0-9]{2})-[0-9]{2}")
        else:
            run += 1
    close()
    return re.compile("^" + ",".join(parts) + "$", re.M)


ROLLUP_COLUMNS = ("hospital_id", "year", "month", "n", *CASE_FACTS)


def _rollup_rows(hospital_id: int, columns: list[str], counts: Counter[Any]) -> list[tuple[Any, ...]]:
    """The rollup rows of streamed cases (ROLLUP_COLUMNS order), from the counted keys: a few thousand,
    however many cases. Plain tuples, not model instances: they go straight to COPY."""
    facts = [c for c in columns if c != "case_id"]
    at = {name: i for i, name in enumerate(facts)}
    i_date = at["date"]
    # Where each of CASE_FACTS sits in a key's cells (None: the file left that flag out).
    where = [at.get(name) for name in CASE_FACTS]
    rows = []
    for key, n in counts.items():
        cells = ",".join(key).split(",") if isinstance(key, tuple) else key.split(",")
        month = cells[i_date]
        values: list[Any] = []
        for name, i in zip(CASE_FACTS, where, strict=True):
            cell = cells[i] if i is not None else ""
            if name == "anesthesia_type":
                values.append(cell)
            elif name == "asa":
                values.append(int(cell) if cell else None)
            else:
                values.append(cell == "1")
        rows.append((hospital_id, int(month[:4]), int(month[5:7]), n, *values))
    return rows


def _copy_rollup(rows: list[tuple[Any, ...]]) -> None:
    """Store rollup rows with one COPY (thousands of rows: far cheaper than INSERTs built by the ORM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else (int(v) if isinstance(v, bool) else v) for v in row])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {CaseRollup._meta.db_table} ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )


def _stream_copy(
    file: IO[bytes], hospital: Hospital, table: str, progress: Callable[[int], None] | None = None
) -> tuple[list[str], _CanonicalStream]:
    """COPY a canonical CSV into `table` through `_CanonicalStream`; `_Fallback` if the file is not one.

    Raised, not returned: a COPY that failed leaves the transaction aborted, so the caller's savepoint must
    see an exception to roll back."""
    import psycopg2  # only PostgreSQL streams; the embedded default never imports it

    file.seek(0)
    if file.read(4) == b"PK\x03\x04":
        file.seek(0)
        raise _Fallback  # XLSX
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        try:
            columns = header_columns(next(csv.reader([text.readline()]), []))
        except (CaseFileError, UnicodeDecodeError) as exc:
            raise _Fallback from exc
        if None in columns:
            raise _Fallback
        names = [c for c in columns if c]
        stream = _CanonicalStream(text, names, hospital.pk, progress)
        try:
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    f"COPY {table} (hospital_id, {', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
                    stream,
                    READ_CHARS,  # positional: Django's debug cursor wrapper takes no `size=`
                )
        except psycopg2.Error as exc:
            if stream.fell_back:
                raise _Fallback from exc
            raise
    finally:
        text.detach()
        file.seek(0)
    if not stream.lines:
        raise _Fallback  # an empty file: the checking path says so
    return names, stream


def stream(hospital: Hospital, file: IO[bytes], out: Validated) -> tuple[bool, set[tuple[int, int]]] | None:
    """Import a canonical CSV by streaming it; None if it is not one (the caller takes the checking path).

    New cases go straight into `indicators_case` and their rollup is added to (they are all new). If the
    key refuses a case that is stored already, the file is streamed again into a staging table and merged
    (only new and changed cases are written); the months they touched are then recounted. A case_id repeated
    in the file, a non-canonical line or a bad encoding returns None. Each attempt runs in a savepoint.
    Returns (recount, the months whose rollup must be recounted: after a merge, those `merge` names).
    """
    import psycopg2.errors

    try:
        if _first_case_stored(file, hospital):
            raise _StoredAlready
        with transaction.atomic():
            names, stream = _stream_copy(file, hospital, Case._meta.db_table, out.progress)
            rollup = _rollup_rows(hospital.pk, names, stream.counts)
            _copy_rollup(rollup)
            out.rows = out.accepted = stream.lines
            out.months = {(r[1], r[2]) for r in rollup}
            return False, set()
    except (psycopg2.errors.UniqueViolation, _StoredAlready):
        pass  # some cases are stored already (or repeated in the file)
    except _Fallback:
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"CREATE TEMP TABLE {STAGE} (LIKE {Case._meta.db_table} INCLUDING DEFAULTS)")
            names, stream = _stream_copy(file, hospital, STAGE, out.progress)
            changed = merge(cursor, hospital)
    except _Fallback:
        return None
    except ProgrammingError as exc:
        if isinstance(exc.__cause__, psycopg2.errors.CardinalityViolation):
            return None  # a case_id repeated in the file: the checking path names its rows
        raise
    out.rows = out.accepted = stream.lines
    out.months = {(r[1], r[2]) for r in _rollup_rows(hospital.pk, names, stream.counts)}
    return True, changed


# ------------------------------------------------------------------- rollup --


def rollup_insert(*, hospital_id: int, months: set[tuple[int, int]]) -> None:
    """Count the rollup rows of `hospital_id` for `months` from its cases, in one INSERT … SELECT … GROUP BY."""
    # Group by the first of the month (a date) rather than EXTRACT(…) (a numeric): far cheaper per case.
    starts = sorted(datetime.date(year, month, 1) for year, month in months)
    last = starts[-1]
    end = datetime.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    # The flags are grouped as one bit mask (a 4-column hash key, not 20) and unpacked per group.
    bits = " | ".join(f"({name}::int << {i})" for i, name in enumerate(BOOL_FIELDS))
    unpacked = ", ".join(f"(bits & {1 << i}) <> 0" for i in range(len(BOOL_FIELDS)))
    flags = ", ".join(BOOL_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CaseRollup._meta.db_table} (hospital_id, year, month, n, anesthesia_type, asa, "  # noqa: S608
            f"{flags}) SELECT %s, EXTRACT(YEAR FROM m)::int, EXTRACT(MONTH FROM m)::int, n, anesthesia_type, "
            f"asa, {unpacked} FROM (SELECT date_trunc('month', date)::date AS m, anesthesia_type, asa, "
            f"{bits} AS bits, count(*) AS n FROM {Case._meta.db_table} WHERE hospital_id = %s AND date >= %s "
            "AND date < %s AND date_trunc('month', date)::date = ANY(%s) GROUP BY 1, 2, 3, 4) grouped",
            [hospital_id, hospital_id, starts[0], end, starts],
        )


# ---------------------------------------------------------- a job's progress --


def progress_write(side: Any, *, job_id: int, attempt: int, rows: int, bytes_read: int) -> bool:
    """Write a running import's counters through `side`, a connection of its own in autocommit, so they
    show while the import's transaction is still open; only while the claim of attempt `attempt` stands."""
    with side.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CaseImport._meta.db_table} SET rows_read = %s, bytes_read = %s "  # noqa: S608
            "WHERE id = %s AND status = %s AND attempts = %s",
            [rows, bytes_read, job_id, CaseImport.Status.RUNNING.value, attempt],
        )
        return bool(cursor.rowcount)
