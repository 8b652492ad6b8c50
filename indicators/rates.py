"""Rates computed from counts: value in its unit, 95% Wilson interval, target check, suggested rating.

Pure functions over plain data, exact in Decimal (the interval needs a square root,
taken in Decimal too). Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

PERCENT, PERMILLE, RATIO, PER_10000 = "percent", "permille", "ratio", "per_10000"
SCALE = {PERCENT: Decimal(100), PERMILLE: Decimal(1000), RATIO: Decimal(1), PER_10000: Decimal(10000)}
# Units whose numerator is a subset of the denominator: a proportion, with a binomial interval.
PROPORTIONS = (PERCENT, PERMILLE, PER_10000)
Z95 = Decimal("1.959963984540054")

GE, LE, EQ = "ge", "le", "eq"
FIXED, DECLINING = "fixed", "declining"  # target kinds (indicators.models.TargetKind)
MET, UNMET = "met", "unmet"


@dataclass(frozen=True)
class Target:
    """A comparator and a value in the indicator's unit."""

    comparator: str
    value: Decimal

    def met_by(self, value: Decimal) -> bool:
        if self.comparator == GE:
            return value >= self.value
        if self.comparator == LE:
            return value <= self.value
        return value == self.value


@dataclass(frozen=True)
class Rate:
    """A rate and everything shown beside it."""

    numerator: int
    denominator: int
    unit: str
    value: Decimal | None  # None: no data (0/0)
    low: Decimal | None  # 95% Wilson interval, proportions only
    high: Decimal | None
    target: Target | None
    met: bool | None  # None: no data or no target
    too_few: bool  # the denominator is too small to judge
    previous: Rate | None = None  # last year's pooled rate, for a "declining year on year" target

    @property
    def no_data(self) -> bool:
        return self.value is None


def wilson(numerator: int, denominator: int, z: Decimal = Z95) -> tuple[Decimal, Decimal]:
    """The Wilson score interval of a proportion, as fractions (0–1)."""
    with localcontext() as ctx:
        ctx.prec = 34
        n = Decimal(denominator)
        p = Decimal(numerator) / n
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / denom
        # At 0 and at n the bound is exactly 0 or 1; rounding must not move it off.
        low = Decimal(0) if numerator == 0 else max(centre - half, Decimal(0))
        high = Decimal(1) if numerator == denominator else min(centre + half, Decimal(1))
        return low, high


def compute(
    numerator: int,
    denominator: int,
    *,
    unit: str,
    target: Target | None = None,
    min_denominator: int = 0,
    interval: bool = True,
) -> Rate:
    """The rate of `numerator` over `denominator` in `unit`; 0/0 is no data, never zero.

    `interval=False` leaves out the Wilson interval (low and high None), for callers that never show it.
    """
    if numerator < 0 or denominator < 0:
        raise ValueError("counts are never negative")
    scale = SCALE[unit]
    if denominator == 0:
        return Rate(numerator, denominator, unit, None, None, None, target, None, True)
    with localcontext() as ctx:
        ctx.prec = 34
        value = Decimal(numerator) * scale / Decimal(denominator)
    low = high = None
    if interval and unit in PROPORTIONS and numerator <= denominator:
        lo, hi = wilson(numerator, denominator)
        low, high = lo * scale, hi * scale
    met = target.met_by(value) if target is not None else None
    return Rate(numerator, denominator, unit, value, low, high, target, met, denominator < min_denominator)


def against_last_year(this: Rate, last: Rate | None) -> Rate:
    """`this` year's pooled rate judged by a "declining year on year" target (issue 14, item 1).

    Seed 003: "围手术期死亡、手术并发症、麻醉并发症等负性事件发生率进一步下降". Met when this year's rate is
    below last year's. The comparison is meaningless — "too few cases", no verdict either way — when either
    year has fewer cases than the indicator's minimum, or when last year's rate lies inside this year's
    95% Wilson interval: at this year's case count the two years cannot be told apart. Without data in
    either year there is nothing to compare (met None, not too few).
    """
    if this.value is None or last is None or last.value is None:
        return replace(this, met=None, previous=last)
    inside = this.low is not None and this.high is not None and this.low <= last.value <= this.high
    too_few = this.too_few or last.too_few or inside
    return replace(this, met=None if too_few else this.value < last.value, too_few=too_few, previous=last)


def total(counts: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Sum monthly (numerator, denominator) pairs into a quarter or a year."""
    numerator = denominator = 0
    for n, d in counts:
        numerator += n
        denominator += d
    return numerator, denominator


def suggest(rates: Sequence[Rate]) -> str | None:
    """The rating the linked indicators suggest for a criterion (issue 14, item 6).

    A rate flagged as too few cases to judge, or without data, makes no definite suggestion, and where
    several linked indicators feed one criterion (4.2-4-2, 4.2-4-3, 4.2-4-4) one of them without a
    judgeable rate leaves the criterion without a suggestion, 未达标 included: a miss on one half is not the
    criterion's verdict while the other half is unknown. Otherwise any indicator missing its target →
    未达标, all meeting it → 达标.
    """
    if not rates:
        return None
    if any(r.met is None or r.too_few for r in rates):
        return None
    if any(r.met is False for r in rates):
        return UNMET
    return MET
