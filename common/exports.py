"""Files people open in Excel: cells that cannot be read as formulas."""

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """Text typed by users (remarks, reasons, names), prefixed with ' where Excel would read it as a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def export_row(values: Iterable[Any]) -> list[Any]:
    """A row of a CSV or XLSX export with every text cell escaped (numbers, dates and None pass as they are).

    openpyxl stores a string that starts with "=" as a formula, so XLSX exports need this as much as CSV.
    """
    return [csv_cell(v) if isinstance(v, str) else v for v in values]
