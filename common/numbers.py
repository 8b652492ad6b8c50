"""The one way numbers are written for people and for JSON (exact, no exponent, no trailing zeros), and read back."""

import re
from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)
# Points as people and clients write them: plain decimal notation (any script's digits), at most six digits
# either side of the point. No criterion is worth that much; an exponent, NaN or infinity is no score at all.
POINTS = re.compile(r"[+-]?(?:\d{1,6}(?:\.\d{0,6})?|\.\d{1,6})")


def fmt(value: Decimal, *, places: int | None = None, rounding: str = ROUND_HALF_UP) -> str:
    """A Decimal as people write it: 850, 10.5, 5.25 (never 8.5E+2 or 10.50).

    With `places`, the value is first rounded to that many decimals (half up unless `rounding` says otherwise).
    """
    if places is not None:
        value = value.quantize(ONE.scaleb(-places), rounding=rounding)
    if value == value.to_integral_value():
        return str(value.quantize(ONE))
    return format(value.normalize(), "f")


def parse_points(text: str) -> Decimal | None:
    """The exact Decimal that `text` writes in plain notation ("7.5", "７.５", "-1"), or None for anything else."""
    text = text.strip()
    return Decimal(text) if POINTS.fullmatch(text) else None
