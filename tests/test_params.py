"""The one year reader (common.params): what counts as a year, and the fallback pages use."""

import pytest
from django.utils import timezone

from common.params import parse_year, year_param


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("2026", 2026),
        (" 2026 ", 2026),
        ("２０２６", 2026),  # full-width digits, as a Chinese input method types them
        (2026, 2026),
        ("2000", 2000),
        ("2100", 2100),
        ("1999", None),
        ("2101", None),
        ("99999999999", None),
        ("²", None),  # a digit to str.isdigit(), no number to int()
        ("2026.0", None),
        ("+2026", None),
        ("2_026", None),
        ("", None),
        (None, None),
        (True, None),
        (1999, None),
    ],
)
def test_parse_year_reads_only_a_year_anesqc_can_store(raw: object, year: int | None) -> None:
    assert parse_year(raw) == year


def test_year_param_falls_back_to_the_default_or_this_year() -> None:
    assert year_param("2025") == 2025
    assert year_param("²", default=2024) == 2024
    assert year_param(None) == timezone.localdate().year
