"""Case-level import: parse a department's CSV/XLSX export, validate every row, upsert cases, recompute counts.

A case is identified by its hospital and the department's own `case_id`: importing a case that is already
stored replaces it, so re-uploading a file or an overlapping period never counts a case twice.
By default a file is imported whole or not at all; `partial=True` imports only the valid rows.

Two paths, one set of rules:
- the *checking* path reads any CSV or XLSX cell by cell (`validate_rows`), names every error by row and
  column, and upserts through a staging table (PostgreSQL) or the ORM (SQLite);
- the *streaming* path (PostgreSQL, CSV) takes a file whose every line is in the canonical spelling
  (`_CanonicalStream`: ISO dates, the English type codes, ASA 1–6 or empty, flags 0/1) and COPYs it straight
  into `indicators_case`, counting the rollup on the way. Anything it does not recognise, a case that is
  already stored or a case_id repeated in the file sends the whole file to the checking path, so every
  error message and the upsert rule come from one place.
Counts are aggregated from the rollup `CaseRollup`.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import ProgrammingError, connection, models, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Hospital
from audit.services import audit_record
from common.filetypes import ContentProblem, zip_limits

from .models import CASE_FACTS, AnesthesiaType, Case, CaseImport, CaseRollup, Indicator, PeriodValue
from .services import can_enter

FLAG_FIELDS: tuple[str, ...] = tuple(
    f.name for f in Case._meta.get_fields() if isinstance(f, models.BooleanField) and f.name != "emergency"
)
BOOL_FIELDS: tuple[str, ...] = ("emergency", *FLAG_FIELDS)
# Column order of the staging table and of every COPY row.
CASE_COLUMNS: tuple[str, ...] = ("hospital_id", "case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS)
REQUIRED = ("case_id", "date", "anesthesia_type")
MAX_STORED_ERRORS = 1000
BATCH = 20_000

# Header names: the English field name or its Chinese label, both accepted (case and spaces ignored).
HEADER_LABELS: dict[str, str] = {
    "case_id": "病例号",
    "date": "日期",
    "anesthesia_type": "麻醉方式",
    "asa": "ASA分级",
    "emergency": "急诊",
    "block_failed": "阻滞失败",
    "anesthesia_death": "麻醉相关死亡",
    "post_spinal_headache": "腰麻后头痛",
    "invasive_anesthesia_procedure": "有创麻醉操作",
    "invasive_anesthesia_infection": "有创麻醉操作部位感染",
    "invasive_monitoring_procedure": "有创监测操作",
    "invasive_monitoring_infection": "有创监测操作部位感染",
    "dural_puncture": "硬脊膜穿破",
    "epidural_vessel_injury": "硬膜外血管损伤",
    "neuro_complication": "神经并发症",
    "paraplegia": "截瘫",
    "labor_analgesia": "分娩镇痛",
    "vaginal_delivery": "经阴道分娩",
    "trial_of_labor_converted_to_caesarean": "试产转剖宫产",
    "unplanned_return_to_or": "非计划重返手术室",
    "hypothermia": "低体温",
}
_HEADERS: dict[str, str] = {}
for _name, _label in HEADER_LABELS.items():
    _HEADERS[_name] = _name
    _HEADERS[_label] = _name
_HEADERS["asa"] = _HEADERS["asa分级"] = "asa"

ANESTHESIA_ALIASES: dict[str, str] = {
    **{t.value: t.value for t in AnesthesiaType},
    "nerve block": AnesthesiaType.NERVE_BLOCK,
    "combined": AnesthesiaType.COMBINED,
    "全身麻醉": AnesthesiaType.GENERAL,
    "全麻": AnesthesiaType.GENERAL,
    "椎管内麻醉": AnesthesiaType.NEURAXIAL,
    "硬膜外麻醉": AnesthesiaType.EPIDURAL,
    "硬膜外阻滞": AnesthesiaType.EPIDURAL,
    "腰麻": AnesthesiaType.SPINAL,
    "蛛网膜下腔阻滞": AnesthesiaType.SPINAL,
    "腰硬联合": AnesthesiaType.COMBINED,
    "腰硬联合麻醉": AnesthesiaType.COMBINED,
    "神经阻滞": AnesthesiaType.NERVE_BLOCK,
    "其他": AnesthesiaType.OTHER,
}
_BOOLS: dict[str, bool] = {
    "": False,
    "0": False,
    "1": True,
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
}
_ASA = {str(n): n for n in range(1, 7)}


class CaseFileError(ValueError):
    """A file that cannot be read as a case table at all (not CSV/XLSX, bad encoding, bad header)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['row']}/{e['column']}: {e['reason']}" for e in errors))
        self.errors = errors


@dataclass
class Validated:
    """The outcome of validating a file: accepted rows (as COPY-ready tuples), errors, months touched."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    months: set[tuple[int, int]] = field(default_factory=set)

    def error(self, row: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "column": column, "reason": reason})


# ------------------------------------------------------------------ reading --


def _cell(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(file: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported late: only XLSX uploads pay for it

    try:
        # Before openpyxl inflates anything: a case file may unpack to a gigabyte, but not 100 times its size.
        zip_limits(file, max_unpacked=None)
    except ContentProblem as exc:
        reason = (
            _("文件解压后异常庞大（疑似压缩炸弹），已拒绝。")
            if exc.code == "bomb"
            else _("文件不是有效的 XLSX 工作簿。")
        )
        raise CaseFileError([{"row": 0, "column": "", "reason": reason}]) from exc
    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def _csv_rows(file: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError as exc:
        raise CaseFileError([{"row": 0, "column": "", "reason": _("文件不是 UTF-8 编码的 CSV：%s") % exc}]) from exc
    finally:
        text.detach()


def read_rows(file: IO[bytes]) -> Iterator[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file, each cell as text; the format is sniffed."""
    head = file.read(4)
    file.seek(0)
    if head == b"PK\x03\x04":
        return _xlsx_rows(file)
    return _csv_rows(file)


def file_sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


# --------------------------------------------------------------- validating --


def _columns(header: list[str]) -> list[str | None]:
    """Canonical field per header cell; unknown, duplicate or missing required columns reject the file."""
    errors: list[dict[str, Any]] = []
    columns: list[str | None] = []
    for raw in header:
        key = raw.strip()
        name = _HEADERS.get(key) or _HEADERS.get(key.lower()) or _HEADERS.get(key.lower().replace(" ", ""))
        if not key:
            columns.append(None)
            continue
        if name is None:
            errors.append({"row": 1, "column": key, "reason": _("未知的列名")})
        elif name in columns:
            errors.append({"row": 1, "column": key, "reason": _("列重复")})
        columns.append(name)
    for name in REQUIRED:
        if name not in columns:
            errors.append({"row": 1, "column": name, "reason": _("缺少必需的列")})
    if errors:
        raise CaseFileError(errors)
    return columns


def validate_rows(rows: Iterable[list[str]], hospital_id: int, out: Validated) -> Iterator[tuple[Any, ...]]:
    """Check every row; yield the valid ones as tuples in CASE_COLUMNS order, record errors in `out`.

    Rows are numbered as lines of the file, the header being row 1. A case_id repeated within the
    file is an error on its later rows (the file would contradict itself).
    """
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise CaseFileError([{"row": 1, "column": "", "reason": _("文件为空")}])
    columns = _columns(header)
    width = len(columns)
    index = {name: i for i, name in enumerate(columns) if name}
    i_case, i_date, i_type = index["case_id"], index["date"], index["anesthesia_type"]
    i_asa = index.get("asa")
    bools = [(name, index.get(name)) for name in BOOL_FIELDS]
    seen: dict[str, int] = {}
    months = out.months
    for line, cells in enumerate(iterator, start=2):
        if len(cells) < width:
            if not any(c.strip() for c in cells):
                continue  # blank line
            cells = cells + [""] * (width - len(cells))
        elif len(cells) > width and any(c.strip() for c in cells[width:]):
            out.rows += 1
            out.rejected += 1
            out.error(line, "", _("单元格多于表头列数（%(n)s 列）") % {"n": width})
            continue
        out.rows += 1
        ok = True
        case_id = cells[i_case].strip()
        if not case_id:
            out.error(line, "case_id", _("病例号不能为空"))
            ok = False
        elif len(case_id) > 64:
            out.error(line, "case_id", _("病例号不能超过 64 个字符"))
            ok = False
        elif case_id in seen:
            out.error(line, "case_id", _("病例号“%(id)s”与第 %(row)s 行重复") % {"id": case_id, "row": seen[case_id]})
            ok = False
        else:
            seen[case_id] = line
        text = cells[i_date].strip()
        date = None
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                date = datetime.date.fromisoformat(text)
            except ValueError:
                date = None
        if date is None:
            out.error(line, "date", _("日期“%(v)s”不是 YYYY-MM-DD 格式的有效日期") % {"v": text})
            ok = False
        elif not 2000 <= date.year <= 2100:
            out.error(line, "date", _("日期“%(v)s”的年份应在 2000–2100 之间") % {"v": text})
            ok = False
        raw = cells[i_type].strip()
        kind = ANESTHESIA_ALIASES.get(raw) or ANESTHESIA_ALIASES.get(raw.lower())
        if kind is None:
            out.error(line, "anesthesia_type", _("未知的麻醉方式“%(v)s”") % {"v": raw})
            ok = False
        asa = None
        if i_asa is not None:
            raw = cells[i_asa].strip()
            if raw:
                asa = _ASA.get(raw.upper().removeprefix("ASA").strip())
                if asa is None:
                    out.error(line, "asa", _("ASA 分级“%(v)s”应为 1–6 或留空") % {"v": raw})
                    ok = False
        flags = []
        for name, i in bools:
            if i is None:
                flags.append(False)
                continue
            raw = cells[i].strip()
            value = _BOOLS.get(raw)
            if value is None:
                value = _BOOLS.get(raw.lower())
            if value is None:
                out.error(line, name, _("“%(v)s”应为 0/1、是/否 或 true/false") % {"v": raw})
                ok = False
                continue
            flags.append(value)
        if not ok:
            out.rejected += 1
            continue
        assert date is not None
        months.add((date.year, date.month))
        out.accepted += 1
        # The date as its checked ISO text: COPY and the ORM both take it, and writing it costs nothing.
        yield (hospital_id, case_id, text, kind, asa, *flags)


# ---------------------------------------------------------------- aggregate --


def cases_q(spec: dict[str, Any]) -> Q:
    """A `numerator_cases`/`denominator_cases` filter as a Q: fields AND together, a list matches any value."""
    q = Q()
    for key, value in spec.items():
        if key in ("anesthesia_type", "asa"):
            q &= Q(**{f"{key}__in": list(value)})
        else:
            q &= Q(**{key: bool(value)})
    return q


def _months_q(months: Iterable[tuple[int, int]]) -> Q:
    when = Q(pk__in=[])
    for year, month in sorted(set(months)):
        when |= Q(year=year, month=month)
    return when


def case_counts(
    *, hospital_ids: Iterable[int] | None = None, months: Iterable[tuple[int, int]] | None = None
) -> tuple[list[Indicator], QuerySet[Any, Any]]:
    """Every case-computed indicator's numerator and denominator by hospital and month: ONE set-based query.

    The query reads the rollup (`CaseRollup`: case counts by hospital, month, type, ASA and flags), not
    every case: each count is `SUM(n) FILTER (WHERE …)` over the rollup rows of a hospital-month.
    Returns (indicators, rows): rows are dicts with hospital_id, year, month and `n<pk>`/`d<pk>` counts.
    """
    indicators = list(
        Indicator.objects.filter(numerator_cases__isnull=False, denominator_cases__isnull=False).only(
            "pk", "numerator_cases", "denominator_cases"
        )
    )
    qs = CaseRollup.objects.all()
    if hospital_ids is not None:
        qs = qs.filter(hospital_id__in=list(hospital_ids))
    if months is not None:
        qs = qs.filter(_months_q(months))
    counts: dict[str, Any] = {}
    for indicator in indicators:
        for prefix, spec in (("n", indicator.numerator_cases), ("d", indicator.denominator_cases)):
            q = cases_q(spec or {})
            counts[f"{prefix}{indicator.pk}"] = Coalesce(Sum("n", filter=q) if q else Sum("n"), 0)
    rows: QuerySet[Any, Any] = qs.values("hospital_id", "year", "month").annotate(**counts).order_by()
    return indicators, rows


def rollup_refresh(*, hospital_id: int, months: Iterable[tuple[int, int]]) -> None:
    """Recount the rollup of `hospital_id` for `months` from its cases: one DELETE, one INSERT … SELECT."""
    months = set(months)
    if not months:
        return
    CaseRollup.objects.filter(_months_q(months), hospital_id=hospital_id).delete()
    if connection.vendor == "postgresql":
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
        return
    when = Q(pk__in=[])
    for year, month in sorted(months):
        start = datetime.date(year, month, 1)
        end = datetime.date(year + month // 12, month % 12 + 1, 1)
        when |= Q(date__gte=start, date__lt=end)
    grouped = (
        Case.objects.filter(when, hospital_id=hospital_id)
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("hospital_id", "year", "month", *CASE_FACTS)
        .annotate(n=Count("*"))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    columns = ", ".join(connection.ops.quote_name(c) for c in ("hospital_id", "year", "month", "n", *CASE_FACTS))
    with connection.cursor() as cursor:
        # The table and column names are the model's own; the grouped query is Django's (S608).
        cursor.execute(
            f"INSERT INTO {CaseRollup._meta.db_table} ({columns}) SELECT {columns} FROM ({sql}) grouped",  # noqa: S608
            params,
        )


def period_values_recompute(
    *, hospital: Hospital, months: set[tuple[int, int]], actor: Any = None, recount: bool = True
) -> int:
    """Rewrite the case-computed monthly counts of `hospital` for `months` from its stored cases.

    The rollup of those hospital-months is recounted first (unless the caller has just added to it,
    `recount=False`), then the counts are read from it.

    Counts computed from cases replace whatever the month held (cases are the record); a month
    with no cases left loses its case-computed rows.
    """
    if not months:
        return 0
    if recount:
        rollup_refresh(hospital_id=hospital.pk, months=months)
    indicators, rows = case_counts(hospital_ids=[hospital.pk], months=months)
    values = []
    found: set[tuple[int, int]] = set()
    for row in rows:
        found.add((row["year"], row["month"]))
        for indicator in indicators:
            values.append(
                PeriodValue(
                    hospital_id=row["hospital_id"],
                    indicator_id=indicator.pk,
                    year=row["year"],
                    month=row["month"],
                    numerator=row[f"n{indicator.pk}"],
                    denominator=row[f"d{indicator.pk}"],
                    source=PeriodValue.Source.CASES,
                    entered_by=actor if getattr(actor, "pk", None) else None,
                )
            )
    PeriodValue.objects.bulk_create(
        values,
        update_conflicts=True,
        unique_fields=["hospital", "indicator", "year", "month"],
        update_fields=["numerator", "denominator", "source", "entered_by", "entered_at"],
        batch_size=1000,
    )
    gone = months - found
    if gone:
        stale = Q(pk__in=[])
        for year, month in gone:
            stale |= Q(year=year, month=month)
        PeriodValue.objects.filter(
            stale, hospital=hospital, source=PeriodValue.Source.CASES, indicator__in=indicators
        ).delete()
    return len(values)


# ------------------------------------------------------------------- write --


def _months_moved_sqlite(hospital: Hospital, batch: list[tuple[Any, ...]]) -> set[tuple[int, int]]:
    dates = {row[1]: row[2] for row in batch}
    moved = set()
    for case_id, old in Case.objects.filter(hospital=hospital, case_id__in=list(dates)).values_list("case_id", "date"):
        if old.isoformat() != dates[case_id]:
            moved.add((old.year, old.month))
    return moved


def _store_sqlite(hospital: Hospital, rows: Iterator[tuple[Any, ...]]) -> set[tuple[int, int]]:
    moved: set[tuple[int, int]] = set()
    names = CASE_COLUMNS[1:]
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        moved.update(_months_moved_sqlite(hospital, batch))
        Case.objects.bulk_create(
            [Case(hospital_id=r[0], **dict(zip(names, r[1:], strict=True))) for r in batch],
            update_conflicts=True,
            unique_fields=["hospital", "case_id"],
            update_fields=list(CASE_COLUMNS[2:]),
            batch_size=500,
        )
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return moved


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


def _lock_hospital(hospital: Hospital) -> None:
    """Imports of one hospital take turns (and the hospital cannot be deleted under an import)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Hospital._meta.db_table} WHERE id = %s FOR NO KEY UPDATE", [hospital.pk])  # noqa: S608


def _stage_postgres(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    # Every identifier below is a module constant, never user input (S608).
    cursor.execute(f"CREATE TEMP TABLE {STAGE} (LIKE indicators_case INCLUDING DEFAULTS)")
    _copy_rows(cursor, rows)


def _merge_postgres(cursor: Any, hospital: Hospital) -> set[tuple[int, int]]:
    """Upsert the staged cases in one statement; return the months that cases moved out of."""
    joined = f"indicators_case c JOIN {STAGE} s ON s.case_id = c.case_id"
    moved_sql = (
        "SELECT DISTINCT EXTRACT(YEAR FROM c.date)::int, EXTRACT(MONTH FROM c.date)::int "  # noqa: S608
        "FROM " + joined + " WHERE c.hospital_id = %s AND c.date <> s.date"
    )
    cursor.execute(moved_sql, [hospital.pk])
    moved = {(y, m) for y, m in cursor.fetchall()}
    columns = ", ".join(CASE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in CASE_COLUMNS[2:])
    merge = f"INSERT INTO indicators_case ({columns}) SELECT {columns} FROM {STAGE} "  # noqa: S608
    cursor.execute(f"{merge}ON CONFLICT (hospital_id, case_id) DO UPDATE SET {updates}")
    cursor.execute(f"DROP TABLE {STAGE}")
    return moved


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


class _Rejected(Exception):
    """The file has errors and a partial import was not asked for: roll back."""


class _CanonicalStream:
    """A CSV file as COPY input for `indicators_case`: every line checked, prefixed with the hospital id.

    `read()` hands COPY about a megabyte of lines at a time; a whole chunk is checked by one possessive
    regular expression (no Python code per line), and the rollup is counted with `Counter` over the lines
    minus their case_id. PostgreSQL parses and stores one chunk while Python checks the next. The first
    line that is not canonical raises `_Fallback`, which aborts the COPY.
    """

    def __init__(self, text: IO[str], columns: list[str], hospital_id: int) -> None:
        self.text = text
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


def _stream_copy(file: IO[bytes], hospital: Hospital, table: str) -> tuple[list[str], _CanonicalStream]:
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
            columns = _columns(next(csv.reader([text.readline()]), []))
        except (CaseFileError, UnicodeDecodeError) as exc:
            raise _Fallback from exc
        if None in columns:
            raise _Fallback
        names = [c for c in columns if c]
        stream = _CanonicalStream(text, names, hospital.pk)
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


def _stream_postgres(hospital: Hospital, file: IO[bytes], out: Validated) -> tuple[bool, set[tuple[int, int]]] | None:
    """Import a canonical CSV by streaming it; None if it is not one (the caller takes the checking path).

    New cases go straight into `indicators_case` and their rollup is added to (they are all new). If the
    key refuses a case that is stored already, the file is streamed again into a staging table and upserted;
    its months are then recounted. A case_id repeated in the file, a non-canonical line or a bad encoding
    returns None. Each attempt runs in a savepoint. Returns (recount, months that cases moved out of).
    """
    import psycopg2.errors

    try:
        with transaction.atomic():
            names, stream = _stream_copy(file, hospital, Case._meta.db_table)
            rollup = _rollup_rows(hospital.pk, names, stream.counts)
            _copy_rollup(rollup)
            out.rows = out.accepted = stream.lines
            out.months = {(r[1], r[2]) for r in rollup}
            return False, set()
    except psycopg2.errors.UniqueViolation:
        pass  # some cases are stored already (or repeated in the file)
    except _Fallback:
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"CREATE TEMP TABLE {STAGE} (LIKE {Case._meta.db_table} INCLUDING DEFAULTS)")
            names, stream = _stream_copy(file, hospital, STAGE)
            moved = _merge_postgres(cursor, hospital)
    except _Fallback:
        return None
    except ProgrammingError as exc:
        if isinstance(exc.__cause__, psycopg2.errors.CardinalityViolation):
            return None  # a case_id repeated in the file: the checking path names its rows
        raise
    out.rows = out.accepted = stream.lines
    out.months = {(r[1], r[2]) for r in _rollup_rows(hospital.pk, names, stream.counts)}
    return True, moved


def case_import(
    *, actor: Any, hospital: Hospital, file: IO[bytes], name: str = "", partial: bool = False
) -> CaseImport:
    """Import a case file for `hospital`: every row validated, all or nothing unless `partial`; audited.

    Returns the saved CaseImport (status imported, partial or rejected) with the first 1000 errors.
    `actor=None` is a console import (manage.py import_cases) and is not permission-checked.
    """
    # actor None is the operator at the console (manage.py import_cases), who needs no role.
    if actor is not None and not can_enter(actor, hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以导入病例。"))
    job = CaseImport(
        hospital=hospital,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        file_name=(name or getattr(file, "name", "") or "")[:255],
        sha256=file_sha256(file),
    )
    out = Validated()
    postgres = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            moved: set[tuple[int, int]] = set()
            recount = True
            streamed = None
            if postgres:
                _lock_hospital(hospital)
                streamed = _stream_postgres(hospital, file, out)
            if streamed is not None:
                recount, moved = streamed
            else:
                file.seek(0)
                rows = validate_rows(read_rows(file), hospital.pk, out)
                if postgres:
                    with connection.cursor() as cursor:
                        # Staging first: the whole file is validated before anything reaches indicators_case.
                        _stage_postgres(cursor, rows)
                        if out.error_count and not partial:
                            raise _Rejected
                        moved = _merge_postgres(cursor, hospital)
                else:
                    # No staging table here: validate the whole file first, then store.
                    accepted = list(rows)
                    if out.error_count and not partial:
                        raise _Rejected
                    moved = _store_sqlite(hospital, iter(accepted))
            period_values_recompute(hospital=hospital, months=out.months | moved, actor=actor, recount=recount)
            job.status = CaseImport.Status.PARTIAL if out.error_count else CaseImport.Status.IMPORTED
            job.imported = out.accepted
            _finish(job, out)
    except CaseFileError as exc:
        out.errors, out.error_count = exc.errors[:MAX_STORED_ERRORS], len(exc.errors)
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        _finish(job, out)
    except _Rejected:
        job.status, job.imported = CaseImport.Status.REJECTED, 0
        _finish(job, out)
    return job


def _finish(job: CaseImport, out: Validated) -> None:
    job.rows, job.rejected = out.rows, out.rejected
    job.errors = out.errors
    job.finished = timezone.now()
    job.save()
    audit_record(
        actor=job.uploaded_by,
        action="indicator.case_import",
        obj=job,
        after={
            "file": job.file_name,
            "sha256": job.sha256,
            "status": job.status,
            "rows": job.rows,
            "imported": job.imported,
            "rejected": job.rejected,
            "errors": out.error_count,
        },
    )
