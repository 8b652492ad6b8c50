"""Excel score sheets: the inspector's sheet of a standard, blank or filled, and reading one back.

Pure: plain data in, XLSX bytes out; an uploaded file in, plain rows and row-numbered
errors out. Nothing here touches the database: `selectors.score_sheet_data` gathers
the data and `services.ratings_import` checks every row through `rating_set`.

A sheet carries a hidden worksheet (`META_SHEET`) naming the standard, the assessment
it was exported from and each rating's version, so an import can refuse a sheet of
another standard or hospital and spot ratings changed since the export.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.numbers import fmt
from common.xlsx import BROKEN_WORKBOOK

from . import engine

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
META_SHEET = "anesqc"
FORMAT = "anesqc-score-sheet"
FORMAT_VERSION = 1
MARK = "√"

# An honest sheet of the 2011 standard is about 20 KB, 200 KB unpacked. The limits keep a
# zip bomb or a pasted-in database from tying up a worker while it is unpacked and read.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ROWS = 2000
HEADER_SEARCH_ROWS = 40


@dataclass(frozen=True)
class Column:
    """One column of the criteria table: its key, heading and print width."""

    key: str
    label: Any  # a lazy translation
    width: float


COLUMNS: tuple[Column, ...] = (
    Column("code", gettext_lazy("编号"), 10),
    Column("content", gettext_lazy("评价内容"), 16),
    Column("text", gettext_lazy("评价标准与细则"), 48),
    Column("points", gettext_lazy("分值"), 6.5),
    Column("veto", gettext_lazy("单项否决"), 5.5),
    Column("key_specialty", gettext_lazy("重点专科"), 8),
    Column("met", gettext_lazy("达标"), 6),
    Column("partial", gettext_lazy("基本达标"), 6.5),
    Column("unmet", gettext_lazy("未达标"), 6.5),
    Column("score", gettext_lazy("得分"), 7.5),
    Column("remark", gettext_lazy("备注"), 26),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
RATING_COLUMNS = (engine.MET, engine.PARTIAL, engine.UNMET)
REQUIRED_COLUMNS = ("code", *RATING_COLUMNS, "score", "remark")
FOOTER_LABEL = gettext_lazy("合计")
LAST_COLUMN = get_column_letter(len(COLUMNS))

# The header block: the hospital and the standard always stand on these rows, so an import can name them.
TITLE_ROW = 1
HOSPITAL_ROW = 3
STANDARD_ROW = 5


# ------------------------------------------------------------------ data in --


@dataclass(frozen=True)
class SheetCriterion:
    """One criterion as the sheet prints it."""

    code: str
    content: str
    text: str
    remark: str
    note: str
    max_points: Decimal
    veto: bool
    applies_to: str
    key_specialty_weight: Decimal


@dataclass(frozen=True)
class SheetItem:
    """An item (项目) heading and its criteria."""

    code: str
    title: str
    max_points: Decimal
    criteria: tuple[SheetCriterion, ...]


@dataclass(frozen=True)
class SheetChapter:
    """A chapter heading and its items."""

    number: int
    title: str
    max_points: Decimal
    items: tuple[SheetItem, ...]


@dataclass(frozen=True)
class SheetStandard:
    """The standard a sheet lays out."""

    code: str
    title: str
    document_number: str
    total_points: Decimal
    chapters: tuple[SheetChapter, ...]

    def criteria(self) -> Iterator[SheetCriterion]:
        for chapter in self.chapters:
            for item in chapter.items:
                yield from item.criteria


@dataclass(frozen=True)
class SheetRating:
    """A stored rating as a filled sheet shows it; `version` travels in the hidden sheet."""

    rating: str
    score: Decimal
    remark: str
    version: int


@dataclass(frozen=True)
class SheetAssessment:
    """The assessment a filled sheet belongs to, with the header block's facts (labels already translated)."""

    id: int
    hospital_id: int
    hospital: str
    level: str
    key_specialty: bool
    kind: str
    kind_label: str
    year: int
    status_label: str
    submitted_at: datetime.datetime | None
    finalized_at: datetime.datetime | None
    result: Mapping[str, Any]  # engine.result_as_dict / assessment_result_data
    ratings: Mapping[str, SheetRating] = field(default_factory=dict)


# ----------------------------------------------------------------- data out --


@dataclass(frozen=True)
class SheetError:
    """One problem of an uploaded sheet: the worksheet row and column it is on (if any) and why."""

    row: int | None
    column: str
    header: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "header": self.header, "reason": self.reason}


class ScoreSheetInvalid(Exception):
    """An uploaded sheet that cannot be imported; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[SheetError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the score sheet")
        self.errors = sorted(errors, key=lambda e: (e.row or 0, e.column))


@dataclass(frozen=True)
class SheetRow:
    """A rated row of an uploaded sheet: the rating still to be checked against the standard."""

    row: int
    code: str
    rating: str
    score: Decimal | None
    remark: str


@dataclass
class ParsedSheet:
    """What an uploaded sheet says: its identity, its rated rows and the problems found while reading."""

    standard_code: str
    assessment_id: int | None
    hospital_id: int | None
    hospital: str
    versions: dict[str, int]
    rows: list[SheetRow]
    errors: list[SheetError]
    columns: dict[str, tuple[str, str]]  # key → (letter, heading as found)

    def column(self, key: str) -> tuple[str, str]:
        """(letter, heading) of a column; the rating columns together read as e.g. "G–I"."""
        if key == "rating":
            first, last = self.columns[engine.MET][0], self.columns[engine.UNMET][0]
            labels = "/".join(self.columns[k][1] for k in RATING_COLUMNS)
            return (f"{first}–{last}" if first != last else first), labels
        return self.columns.get(key, ("", ""))


# ----------------------------------------------------------------- building --

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_CHAPTER_FILL = PatternFill("solid", fgColor="E7E6E6")
_ITEM_FILL = PatternFill("solid", fgColor="F2F2F2")
_FONT = Font(name="SimSun", size=10)
_BOLD = Font(name="SimSun", size=10, bold=True)
_TITLE = Font(name="SimHei", size=14, bold=True)
_VETO = Font(name="SimSun", size=10, bold=True, color="C00000")


def _clean(value: str) -> str:
    # Control characters are not allowed in XLSX text; a remark pasted from elsewhere may hold some.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _set(ws: Any, row: int, column: int, value: Any, *, font: Any = _FONT, align: Any = _WRAP) -> Any:
    cell = ws.cell(row=row, column=column)
    if value == "":
        cell.value = None
    elif isinstance(value, str):
        cell.value = _clean(value)
        # Text typed by users (remarks, names) is text, never a formula: "=HYPERLINK(…)" stays inert.
        cell.data_type = "s"
    elif isinstance(value, Decimal):
        cell.value = Decimal(fmt(value))
    else:
        cell.value = value
    cell.font = font
    cell.alignment = align
    return cell


def _merged(ws: Any, row: int, first: int, last: int, value: Any, **style: Any) -> Any:
    cell = _set(ws, row, first, value, **style)
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    return cell


def _frame(ws: Any, row: int, first: int, last: int, *, fill: Any = None) -> None:
    for col in range(first, last + 1):
        cell = ws.cell(row=row, column=col)
        cell.border = _BORDER
        if fill is not None:
            cell.fill = fill


def _points(value: Decimal) -> str:
    return fmt(value)


def _local(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _outcome_label(outcome: str, fixed: str | None = None) -> str:
    if outcome == engine.INCOMPLETE and fixed == engine.FAIL:
        return _("未达标（★ 单项否决）")  # a ★ item unmet fixes the outcome before the rest is rated
    return {engine.PASS: _("达标"), engine.FAIL: _("未达标")}.get(outcome, _("未完成"))


def _key_specialty_label(criterion: SheetCriterion) -> str:
    if criterion.applies_to == engine.APPLIES_KEY_SPECIALTY:
        return _("仅重点专科")
    if criterion.key_specialty_weight != engine.ONE:
        return f"×{fmt(criterion.key_specialty_weight)}"
    return ""


def _criterion_text(criterion: SheetCriterion) -> str:
    parts = [criterion.text]
    if criterion.remark:
        parts.append(_("备注") + "：" + criterion.remark)
    if criterion.note:
        parts.append(_("层级规则") + "：" + criterion.note)
    return "\n".join(parts)


def _header_pair(ws: Any, row: int, left: tuple[str, str], right: tuple[str, str]) -> None:
    """Two label/value pairs on one header row: A | B–C and D–F | G–K, framed."""
    _set(ws, row, 1, left[0], font=_BOLD)
    _merged(ws, row, 2, 3, left[1])
    _merged(ws, row, 4, 6, right[0], font=_BOLD)
    _merged(ws, row, 7, len(COLUMNS), right[1])
    _frame(ws, row, 1, len(COLUMNS))


def _header_block(ws: Any, standard: SheetStandard, assessment: SheetAssessment | None, exported_at: str) -> int:
    """The title and who/what/when; returns the next free row."""
    title = _("%(title)s 评分表") % {"title": standard.title}
    _merged(ws, TITLE_ROW, 1, len(COLUMNS), title, font=_TITLE, align=_CENTER)
    ws.row_dimensions[TITLE_ROW].height = 36
    _merged(ws, 2, 1, len(COLUMNS), standard.document_number, align=_CENTER)
    if assessment is None:
        _header_pair(ws, HOSPITAL_ROW, (_("医院"), ""), (_("医院等级"), ""))
        _header_pair(ws, 4, (_("评审类型"), _("□ 自评　□ 现场检查")), (_("评审日期"), ""))
        _header_pair(ws, STANDARD_ROW, (_("评价标准"), standard.code), (_("评审人"), ""))
        _header_pair(ws, 6, (_("评审编号"), ""), (_("导出时间"), exported_at))
        for row in range(3, 7):
            ws.row_dimensions[row].height = 22
        return 7
    result = assessment.result
    level = assessment.level + (" · " + _("市级临床重点专科") if assessment.key_specialty else "")
    status = assessment.status_label
    if assessment.finalized_at:
        status += _("（定稿于 %(date)s）") % {"date": _local(assessment.finalized_at)}
    elif assessment.submitted_at:
        status += _("（提交于 %(date)s）") % {"date": _local(assessment.submitted_at)}
    outcome = _outcome_label(str(result.get("outcome", "")), result.get("outcome_fixed"))
    if result.get("threshold") is not None:
        outcome += _("（本级达标线 %(threshold)s 分）") % {"threshold": result["threshold"]}
    if result.get("veto_failed"):
        outcome += _("；单项否决未达标：%(codes)s") % {"codes": "、".join(result["veto_failed"])}
    _header_pair(ws, HOSPITAL_ROW, (_("医院"), assessment.hospital), (_("医院等级"), level))
    _header_pair(ws, 4, (_("评审类型"), assessment.kind_label), (_("年度"), str(assessment.year)))
    _header_pair(ws, STANDARD_ROW, (_("评价标准"), standard.code), (_("评审编号"), str(assessment.id)))
    _header_pair(ws, 6, (_("状态"), status), (_("导出时间"), exported_at))
    total = _("%(total)s / %(max)s（已评 %(rated)s / %(applicable)s 项）") % {
        "total": result.get("total", ""),
        "max": result.get("max_total", ""),
        "rated": result.get("rated", ""),
        "applicable": result.get("applicable", ""),
    }
    _header_pair(ws, 7, (_("总分"), total), (_("结论"), outcome))
    for row in range(3, 8):
        ws.row_dimensions[row].height = 22
    return 8


def _legend(ws: Any, row: int) -> int:
    text = _(
        "填写说明：在“达标”“基本达标”“未达标”三列中选一列打“√”；基本达标须在“得分”列填写大于 0、小于分值的分数，"
        "以 0.5 分为单位；达标得满分，未达标得 0 分，可不填得分。★ 为单项否决项。"
        "“重点专科”列：“×0.7”表示市级临床重点专科按 0.7 折算，“仅重点专科”只适用于市级临床重点专科。"
        "未打“√”的行导入时跳过。"
    )
    _merged(ws, row, 1, len(COLUMNS), text, align=_WRAP_TOP)
    ws.row_dimensions[row].height = 13.5 * _lines(text, sum(c.width for c in COLUMNS)) + 6
    return row + 1


def _lines(text: str, width: float) -> int:
    """Printed lines of wrapped text in a column `width` units wide (a CJK character takes about two)."""
    usable = max(width - 1, 1)
    lines = 0
    for paragraph in text.split("\n"):
        units = sum(2.0 if ord(ch) >= 0x2E80 else 1.05 for ch in paragraph)
        lines += max(1, -(-int(units) // int(usable)))
    return lines


def _fit_height(ws: Any, row: int, texts: Mapping[str, str]) -> None:
    # Spreadsheet programs do not re-measure wrapped rows of a generated file reliably,
    # so the height is set from the text: the printed sheet never cuts a criterion off.
    lines = max((_lines(text, COLUMNS[COLUMN_INDEX[key]].width) for key, text in texts.items() if text), default=1)
    ws.row_dimensions[row].height = max(20, 13.5 * lines + 4)


def _criterion_row(ws: Any, row: int, criterion: SheetCriterion, rating: SheetRating | None) -> None:
    values: dict[str, Any] = {
        "code": criterion.code,
        "content": criterion.content,
        "text": _criterion_text(criterion),
        "points": criterion.max_points,
        "veto": "★" if criterion.veto else "",
        "key_specialty": _key_specialty_label(criterion),
    }
    if rating is not None:
        values[rating.rating] = MARK
        values["score"] = rating.score
        values["remark"] = rating.remark
    for index, column in enumerate(COLUMNS, start=1):
        value = values.get(column.key)
        align = _WRAP if column.key in ("code", "content", "text", "remark") else _CENTER
        font = _VETO if column.key == "veto" else _FONT
        cell = _set(ws, row, index, value, font=font, align=align)
        cell.border = _BORDER
    _fit_height(
        ws, row, {k: values[k] for k in ("code", "content", "text", "remark") if isinstance(values.get(k), str)}
    )


def build_sheet(
    standard: SheetStandard, assessment: SheetAssessment | None = None, *, exported_at: datetime.datetime
) -> bytes:
    """The score sheet as XLSX bytes: blank (every criterion) or filled (the criteria that apply, rated)."""
    book = Workbook()
    ws = book.active
    ws.title = _("评分表")
    ws.sheet_properties.tabColor = "1F4E79"
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width

    row = _header_block(ws, standard, assessment, _local(exported_at))
    row = _legend(ws, row)
    header_row = row
    for index, column in enumerate(COLUMNS, start=1):
        cell = _set(ws, header_row, index, str(column.label), font=_BOLD, align=_CENTER)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
    ws.row_dimensions[header_row].height = 30
    row += 1
    first_data = row

    key_specialty = assessment.key_specialty if assessment is not None else True
    ratings = assessment.ratings if assessment is not None else {}
    for chapter in standard.chapters:
        _merged(
            ws,
            row,
            1,
            len(COLUMNS),
            _("第%(number)s章　%(title)s（%(points)s 分）")
            % {"number": chapter.number, "title": chapter.title, "points": _points(chapter.max_points)},
            font=_BOLD,
        )
        _frame(ws, row, 1, len(COLUMNS), fill=_CHAPTER_FILL)
        row += 1
        for item in chapter.items:
            criteria = [c for c in item.criteria if c.applies_to != engine.APPLIES_KEY_SPECIALTY or key_specialty]
            if not criteria:
                continue
            _merged(
                ws,
                row,
                1,
                len(COLUMNS),
                _("%(code)s　%(title)s（%(points)s 分）")
                % {"code": item.code, "title": item.title, "points": _points(item.max_points)},
                font=_BOLD,
            )
            _frame(ws, row, 1, len(COLUMNS), fill=_ITEM_FILL)
            row += 1
            for criterion in criteria:
                _criterion_row(ws, row, criterion, ratings.get(criterion.code))
                row += 1
    last_data = row - 1

    # The footer ends the table for an import: rows from here on are never read as ratings.
    _set(ws, row, 1, str(FOOTER_LABEL), font=_BOLD, align=_CENTER)
    if assessment is None:
        general = sum((c.max_points for c in standard.criteria() if c.applies_to == engine.APPLIES_ALL), engine.ZERO)
        weighted = sum((c.max_points * c.key_specialty_weight for c in standard.criteria()), engine.ZERO)
        footer = _(
            "满分：一般科室 %(general)s 分（%(n_general)s 项）；市级临床重点专科折算后 %(key)s 分（%(n_key)s 项）。"
        ) % {
            "general": _points(general),
            "n_general": sum(1 for c in standard.criteria() if c.applies_to == engine.APPLIES_ALL),
            "key": _points(weighted),
            "n_key": sum(1 for _c in standard.criteria()),
        }
        _merged(ws, row, 2, len(COLUMNS), footer, font=_BOLD)
    else:
        result = assessment.result
        footer = _("折算后得分 %(total)s / %(max)s；结论：%(outcome)s") % {
            "total": result.get("total", ""),
            "max": result.get("max_total", ""),
            "outcome": _outcome_label(str(result.get("outcome", ""))),
        }
        _merged(ws, row, 2, len(COLUMNS), footer, font=_BOLD)
    _frame(ws, row, 1, len(COLUMNS), fill=_HEAD_FILL)
    ws.row_dimensions[row].height = 22
    row += 1
    signature = _("评审人签名：＿＿＿＿＿＿＿＿　　科室负责人签名：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日")
    _merged(ws, row + 1, 1, len(COLUMNS), signature)
    ws.row_dimensions[row + 1].height = 28
    last_row = row + 1

    if last_data >= first_data:
        marks = DataValidation(type="list", formula1=f'"{MARK}"', allow_blank=True, showErrorMessage=False)
        first_mark = get_column_letter(COLUMN_INDEX[engine.MET] + 1)
        last_mark = get_column_letter(COLUMN_INDEX[engine.UNMET] + 1)
        marks.add(f"{first_mark}{first_data}:{last_mark}{last_data}")
        ws.add_data_validation(marks)

    _page_setup(ws, standard, assessment, header_row, last_row)
    _meta_sheet(book, standard, assessment, exported_at, header_row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _page_setup(ws: Any, standard: SheetStandard, assessment: SheetAssessment | None, header: int, last: int) -> None:
    """A4 landscape, one page wide, the table heading repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_title_rows = f"{header}:{header}"
    ws.print_area = f"A1:{LAST_COLUMN}{last}"
    ws.freeze_panes = f"A{header + 1}"
    who = assessment.hospital if assessment is not None else _("空白评分表")
    # & starts a header/footer code in Excel; a literal one is written &&.
    ws.oddHeader.left.text = f"{standard.code} · {who}".replace("&", "&&")
    ws.oddHeader.left.size = 8
    ws.oddFooter.center.text = _("第 &P 页 共 &N 页")
    ws.oddFooter.center.size = 8


def _meta_sheet(
    book: Any, standard: SheetStandard, assessment: SheetAssessment | None, exported_at: datetime.datetime, header: int
) -> None:
    meta = book.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    rows: list[tuple[str, Any]] = [
        ("format", FORMAT),
        ("version", FORMAT_VERSION),
        ("standard", standard.code),
        ("assessment", assessment.id if assessment else ""),
        ("hospital", assessment.hospital_id if assessment else ""),
        ("hospital_name", assessment.hospital if assessment else ""),
        ("kind", assessment.kind if assessment else ""),
        ("year", assessment.year if assessment else ""),
        ("exported_at", exported_at.isoformat()),
        ("header_row", header),
    ]
    for index, (key, value) in enumerate(rows, start=1):
        meta.cell(row=index, column=1, value=key)
        cell = meta.cell(row=index, column=2, value=_clean(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"
    row = len(rows) + 2
    meta.cell(row=row, column=1, value="criterion")
    meta.cell(row=row, column=2, value="rating_version")
    if assessment is not None:
        for code, rating in sorted(assessment.ratings.items()):
            row += 1
            meta.cell(row=row, column=1, value=code).data_type = "s"
            meta.cell(row=row, column=2, value=rating.version)


# ------------------------------------------------------------------ reading --


def _text(value: Any) -> str:
    """A cell as the text a person typed."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _labels(column: Column) -> set[str]:
    """A column's heading in every language the site offers, so a sheet exported in English reads in Chinese."""
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.add(_normalized(str(column.label)))
    return labels


def _normalized(heading: str) -> str:
    return "".join(heading.split()).lower()


def _score(value: Any) -> tuple[Decimal | None, bool]:
    """(score, ok): an empty cell is None; a number or numeric text is a Decimal; anything else is not ok."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, (int, Decimal)):
        return Decimal(value), True
    if isinstance(value, float):
        # repr of an Excel double is its shortest round-tripping decimal: 7.5 → "7.5", never 7.4999…
        number = Decimal(repr(value))
        return (number, True) if number.is_finite() else (None, False)
    raw = str(value).strip().replace("，", ".").replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None, False
    return (number, True) if number.is_finite() else (None, False)


def _open(file: IO[bytes]) -> Any:
    head = file.read(4)
    file.seek(0)
    if head != b"PK\x03\x04":
        raise ScoreSheetInvalid([SheetError(None, "", "", _("文件不是 Excel 工作簿（.xlsx）。"))])
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ScoreSheetInvalid([SheetError(None, "", "", _("文件已损坏，无法读取。"))]) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ScoreSheetInvalid([SheetError(None, "", "", _("工作簿过大，不是本系统导出的评分表。"))])
    file.seek(0)
    try:
        return load_workbook(file, read_only=True, data_only=True)
    except BROKEN_WORKBOOK as exc:
        raise ScoreSheetInvalid([SheetError(None, "", "", _("文件已损坏，无法读取。"))]) from exc


def _read_meta(book: Any) -> tuple[dict[str, str], dict[str, int]]:
    if META_SHEET not in book.sheetnames:
        return {}, {}
    meta: dict[str, str] = {}
    versions: dict[str, int] = {}
    in_versions = False
    for values in book[META_SHEET].iter_rows(min_row=1, max_row=MAX_ROWS, max_col=2, values_only=True):
        key, value = (_text(values[0]).strip() if values else ""), (_text(values[1]).strip() if len(values) > 1 else "")
        if key == "criterion":
            in_versions = True
            continue
        if not key:
            continue
        if in_versions:
            if value.isdecimal() and len(value) < 10:  # "²" is a digit int() cannot read
                versions[key] = int(value)
        else:
            meta[key] = value
    return meta, versions


def _find_header(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, tuple[int, str]]] | None:
    """The table's heading row (1-based) and each known column's index and heading as found."""
    wanted = {c.key: _labels(c) for c in COLUMNS}
    for number, values in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        found: dict[str, tuple[int, str]] = {}
        for index, value in enumerate(values):
            heading = _text(value).strip()
            for key, labels in wanted.items():
                if key not in found and _normalized(heading) in labels:
                    found[key] = (index, heading)
        if all(key in found for key in REQUIRED_COLUMNS):
            return number, found
    return None


def read_sheet(file: IO[bytes]) -> ParsedSheet:
    """Read an uploaded score sheet: identity, rated rows, and every problem the file alone reveals.

    Raises ScoreSheetInvalid when the file as a whole cannot be read (not XLSX, not a
    score sheet). Row problems (two marks, a score that is not a number, a repeated
    code, a score or remark without a rating) are returned in `errors`, each with its
    row and column; rows without any mark, score or remark are skipped.
    """
    book = _open(file)
    try:
        meta, versions = _read_meta(book)
        visible = [ws for ws in book.worksheets if ws.title != META_SHEET and ws.sheet_state == "visible"]
        if meta.get("format") != FORMAT or not visible:
            raise ScoreSheetInvalid(
                [SheetError(None, "", "", _("这不是本系统导出的评分表（缺少隐藏的标识页）。请先下载评分表再填写。"))]
            )
        rows = [tuple(r) for r in visible[0].iter_rows(min_row=1, max_row=MAX_ROWS + 1, values_only=True)]
    except BROKEN_WORKBOOK as exc:  # the sheets are read lazily: broken XML shows only now
        raise ScoreSheetInvalid([SheetError(None, "", "", _("文件已损坏，无法读取。"))]) from exc
    finally:
        book.close()
    if len(rows) > MAX_ROWS:
        raise ScoreSheetInvalid([SheetError(None, "", "", _("评分表超过 %(n)s 行。") % {"n": MAX_ROWS})])
    header = _find_header(rows)
    if header is None:
        names = "、".join(str(COLUMNS[COLUMN_INDEX[k]].label) for k in REQUIRED_COLUMNS)
        raise ScoreSheetInvalid(
            [SheetError(None, "", "", _("找不到表头行：须有以下各列：%(names)s。") % {"names": names})]
        )
    header_row, found = header
    columns = {key: (get_column_letter(index + 1), heading) for key, (index, heading) in found.items()}

    def parse_int(raw: str) -> int | None:
        return int(raw) if raw.isdecimal() and len(raw) < 19 else None  # "²" is a digit int() cannot read

    sheet = ParsedSheet(
        standard_code=meta.get("standard", ""),
        assessment_id=parse_int(meta.get("assessment", "")),
        hospital_id=parse_int(meta.get("hospital", "")),
        hospital=meta.get("hospital_name", ""),
        versions=versions,
        rows=[],
        errors=[],
        columns=columns,
    )
    footer = {_normalized(label) for label in _labels(Column("footer", FOOTER_LABEL, 0))}
    seen: dict[str, int] = {}

    def cell(values: tuple[Any, ...], key: str) -> Any:
        index = found[key][0] if key in found else None
        return values[index] if index is not None and index < len(values) else None

    def error(number: int, key: str, reason: str) -> None:
        letter, heading = sheet.column(key)
        sheet.errors.append(SheetError(number, letter, heading, reason))

    for number, values in enumerate(rows[header_row:], start=header_row + 1):
        code = _text(cell(values, "code")).strip()
        if _normalized(code) in footer:
            break
        marked = [key for key in RATING_COLUMNS if _text(cell(values, key)).strip()]
        raw_score = cell(values, "score")
        remark = _text(cell(values, "remark")).strip()
        score, score_ok = _score(raw_score)
        if not marked and score is None and score_ok and not remark:
            continue  # a heading, or a criterion left unrated
        problems = len(sheet.errors)
        if not code:
            error(number, "code", _("缺少编号。"))
        elif code in seen:
            error(number, "code", _("编号 %(code)s 重复（第 %(row)s 行已有）。") % {"code": code, "row": seen[code]})
        else:
            seen[code] = number
        if len(marked) > 1:
            error(number, "rating", _("达标、基本达标、未达标只能选一项。"))
        elif not marked:
            error(number, "rating", _("填写了得分或备注，但未选择评定（达标 / 基本达标 / 未达标）。"))
        if not score_ok:
            error(number, "score", _("得分必须是数字，而不是“%(value)s”。") % {"value": _text(raw_score)})
        if len(sheet.errors) == problems:
            sheet.rows.append(SheetRow(row=number, code=code, rating=marked[0], score=score, remark=remark))
    return sheet
