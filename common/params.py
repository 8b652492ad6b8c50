"""The one reader of a year given by people (a query parameter, a form value or a URL part), and its bounds.

Every year anesqc stores lies in 2000–2100 (the models' check constraints say so too).
Pages fall back to a default (this year) when a query parameter is missing or wrong;
an endpoint that needs the year says so instead (`parse_year` answers None).
"""

from typing import Any

from django.utils import timezone

YEAR_MIN = 2000
YEAR_MAX = 2100
# The largest value an integer column holds (PostgreSQL integer, Django's IntegerField): counts stop there.
MAX_INT = 2_147_483_647


def year_in_range(year: int) -> bool:
    """True for a year anesqc can store (2000–2100)."""
    return YEAR_MIN <= year <= YEAR_MAX


def parse_year(raw: Any) -> int | None:
    """The year written in `raw` (decimal digits, 2000–2100), or None when it is missing or is no such year."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if year_in_range(raw) else None
    text = raw.strip() if isinstance(raw, str) else ""
    # isdecimal, not isdigit: "²" is a digit but no number int() reads.
    if not text.isdecimal() or len(text) > 4:
        return None
    year = int(text)
    return year if year_in_range(year) else None


def year_param(raw: Any, *, default: int | None = None) -> int:
    """The year in a query parameter, or `default` (this year unless given) when it is missing or invalid."""
    year = parse_year(raw)
    if year is not None:
        return year
    return default if default is not None else timezone.localdate().year
