"""Helpers for the Excel score-sheet tests: rate an assessment variously, read and edit a sheet like a person would."""

import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from scoring import excel
from scoring.models import Assessment, Criterion, Rating
from scoring.selectors import assessment_result_data
from workspace.services import rating_save

# Every kind of answer, including remarks a spreadsheet could mistake for formulas or lose.
RATINGS: dict[str, tuple[str, Decimal | None, str]] = {
    "1.1-1-1": ("met", None, ""),
    "1.1-1-2": ("partial", Decimal("12.5"), "建科文件待更新"),
    "1.1-1-3": ("unmet", None, "=SUM(A1:A9)"),
    "1.2-1-1": ("partial", Decimal("0.5"), "第一行\n第二行"),
    "2.1-1": ("met", None, "+86 023 6000 0000"),
    "3.1-1-1": ("partial", Decimal("24.5"), "重点专科按 0.7 折算"),
    "3.1-2-1": ("unmet", None, "★ 监护仪不足"),
    "4.2-1-1": ("met", None, "@人员 — 已核对"),
    "5.2-5": ("partial", Decimal("7.5"), ""),
}
KEY_ONLY = {"3.2-1-1": ("partial", Decimal("7.5"), "仅重点专科")}


def rate_variously(assessment: Assessment, actor: Any) -> None:
    """Rate a spread of criteria through the service (met, partial, unmet, odd remarks; key-only where it applies)."""
    answers = dict(RATINGS)
    if assessment.hospital.key_specialty:
        answers.update(KEY_ONLY)
    criteria = {c.code: c for c in Criterion.objects.filter(standard=assessment.standard, code__in=answers)}
    for code, (rating, score, remark) in answers.items():
        rating_save(
            actor=actor, assessment=assessment, criterion=criteria[code], rating=rating, score=score, remark=remark
        )


def stored(assessment: Assessment) -> dict[str, tuple[str, Decimal, str]]:
    return {
        code: (rating, score, remark)
        for code, rating, score, remark in Rating.objects.filter(assessment=assessment).values_list(
            "criterion__code", "rating", "score", "remark"
        )
    }


def result(assessment: Assessment) -> dict[str, Any]:
    return assessment_result_data(Assessment.objects.select_related("hospital").get(pk=assessment.pk))


class Sheet:
    """An XLSX score sheet opened for editing, addressed by criterion code and column key."""

    def __init__(self, content: bytes) -> None:
        self.book = load_workbook(io.BytesIO(content))
        self.ws = self.book.worksheets[0]
        self.rows = {
            str(self.ws.cell(row=r, column=1).value): r
            for r in range(1, self.ws.max_row + 1)
            if self.ws.cell(row=r, column=1).value
        }

    def row(self, code: str) -> int:
        return self.rows[code]

    def cell(self, code: str, key: str) -> Any:
        return self.ws.cell(row=self.row(code), column=excel.COLUMN_INDEX[key] + 1)

    def value(self, code: str, key: str) -> Any:
        return self.cell(code, key).value

    def rate(self, code: str, rating: str, score: Any = None, remark: Any = None) -> None:
        for key in excel.RATING_COLUMNS:
            self.cell(code, key).value = excel.MARK if key == rating else None
        self.cell(code, "score").value = score
        self.cell(code, "remark").value = remark

    def criteria_rows(self) -> list[tuple[Any, ...]]:
        codes = set(Criterion.objects.values_list("code", flat=True))
        return [tuple(c.value for c in row) for row in self.ws.iter_rows() if row[0].value in codes]

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def upload_file(content: bytes, name: str = "评分表.xlsx") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file
