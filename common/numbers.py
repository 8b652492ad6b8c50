"""The one way numbers are written for people and for JSON: exact, no exponent, no trailing zeros."""

from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)


def fmt(value: Decimal, *, places: int | None = None, rounding: str = ROUND_HALF_UP) -> str:
    """A Decimal as people write it: 850, 10.5, 5.25 (never 8.5E+2 or 10.50).

    With `places`, the value is first rounded to that many decimals (half up unless `rounding` says otherwise).
    """
    if places is not None:
        value = value.quantize(ONE.scaleb(-places), rounding=rounding)
    if value == value.to_integral_value():
        return str(value.quantize(ONE))
    return format(value.normalize(), "f")
