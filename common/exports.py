"""Files people open in Excel: cells that cannot be read as formulas."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """Text typed by users (remarks, reasons, names), prefixed with ' where Excel would read it as a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
