"""Validating a case file: the header's columns, then every row, each error named by row and column.

The names of the columns and their order in every stored row (`CASE_COLUMNS`) are defined here too:
the other paths write rows in that order.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from ..models import CASE_FLAGS, AnesthesiaType, Case
from .reading import CaseFileError

# Every yes/no fact of a case, in the model's order (emergency first).
BOOL_FIELDS: tuple[str, ...] = CASE_FLAGS
# Column order of the staging table and of every COPY row.
CASE_COLUMNS: tuple[str, ...] = ("hospital_id", "case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS)
REQUIRED = ("case_id", "date", "anesthesia_type")
MAX_STORED_ERRORS = 1000
# How often (in lines) the checking path tells its progress.
PROGRESS_LINES = 10_000


def _source_label(name: str) -> str:
    """A case field's label as the model writes it (Chinese), whatever language is active."""
    column = next(f for f in Case._meta.local_fields if f.name == name)
    with translation.override(None):
        return str(column.verbose_name)


# Header names: the English field name or the model's Chinese label, both accepted (case and spaces ignored).
HEADER_LABELS: dict[str, str] = {name: _source_label(name) for name in CASE_COLUMNS[1:]}
HEADER_LABELS["asa"] = "ASA分级"  # as exports spell it; the model's "ASA 分级" matches too, spaces being ignored
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


@dataclass
class Validated:
    """The outcome of validating a file: accepted rows (as COPY-ready tuples), errors, months touched."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    months: set[tuple[int, int]] = field(default_factory=set)
    # Told the number of rows read so far, now and then while a file is read (a job's progress).
    progress: Callable[[int], None] | None = None

    def error(self, row: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "column": column, "reason": reason})


def header_columns(header: list[str]) -> list[str | None]:
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
    columns = header_columns(header)
    width = len(columns)
    index = {name: i for i, name in enumerate(columns) if name}
    i_case, i_date, i_type = index["case_id"], index["date"], index["anesthesia_type"]
    i_asa = index.get("asa")
    bools = [(name, index.get(name)) for name in BOOL_FIELDS]
    seen: dict[str, int] = {}
    months = out.months
    progress = out.progress
    for line, cells in enumerate(iterator, start=2):
        if progress is not None and line % PROGRESS_LINES == 0:
            progress(out.rows)
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
