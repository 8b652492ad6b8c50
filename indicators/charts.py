"""Chart geometry for indicators: p-chart control limits, funnel-plot limits, and ranking within a level.

Pure functions over plain data. Everything is Decimal (square roots taken in Decimal at 34 digits),
so rates, limits and percentiles print exactly as the rate tables do; views turn them into floats
only when they write the JSON a chart draws from. Values come back in the indicator's unit
(`rates.SCALE`: ×100 for percent, ×1000 for permille, …).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from . import rates

Z3 = Decimal(3)  # p-chart: three-sigma limits
Z95 = Decimal("1.96")  # funnel: 95% limits
Z998 = Decimal("3.09")  # funnel: 99.8% limits
ZERO, ONE = Decimal(0), Decimal(1)


def _limits(p: Decimal, n: int, z: Decimal) -> tuple[Decimal, Decimal]:
    """p ± z·sqrt(p(1−p)/n), as fractions, clipped to [0, 1]."""
    with localcontext() as ctx:
        ctx.prec = 34
        half = z * (p * (1 - p) / Decimal(n)).sqrt()
        return max(p - half, ZERO), min(p + half, ONE)


@dataclass(frozen=True)
class PPoint:
    """One month of a p-chart: its rate and its own limits (both in the unit), and whether it falls outside."""

    month: int
    numerator: int
    denominator: int
    value: Decimal | None  # None: no row, or 0/0
    lower: Decimal | None
    upper: Decimal | None
    out: bool


@dataclass(frozen=True)
class PChart:
    """A year's p-chart: the centre line p̄ (in the unit) and one point per month."""

    centre: Decimal | None
    points: list[PPoint]

    @property
    def outside(self) -> list[PPoint]:
        return [p for p in self.points if p.out]


def p_chart(counts: Mapping[int, tuple[int, int]], *, unit: str, months: Sequence[int] = range(1, 13)) -> PChart:
    """p̄ = Σnumerators/Σdenominators over the months; month i's limits are p̄ ± 3·sqrt(p̄(1−p̄)/n_i).

    Limits exist only for proportions (a ratio's numerator may exceed its denominator) and months
    with a denominator. A point is out when strictly below the lower or above the upper limit.
    """
    scale = rates.SCALE[unit]
    numerator, denominator = rates.total(counts.values())
    centre = None
    if denominator:
        with localcontext() as ctx:
            ctx.prec = 34
            centre = Decimal(numerator) / Decimal(denominator)
    points = []
    for month in months:
        n, d = counts.get(month, (0, 0))
        if not d:
            points.append(PPoint(month, n, d, None, None, None, False))
            continue
        with localcontext() as ctx:
            ctx.prec = 34
            value = Decimal(n) / Decimal(d)
        lower = upper = None
        out = False
        if centre is not None and unit in rates.PROPORTIONS:
            lower, upper = _limits(centre, d, Z3)
            out = value < lower or value > upper
            lower, upper = lower * scale, upper * scale
        points.append(PPoint(month, n, d, value * scale, lower, upper, out))
    return PChart(centre * scale if centre is not None else None, points)


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel limits at one denominator, in the unit."""

    n: int
    low95: Decimal
    high95: Decimal
    low998: Decimal
    high998: Decimal


def funnel(p0: Decimal, ns: Sequence[int], *, unit: str) -> list[FunnelLimits]:
    """Limits p0 ± z·sqrt(p0(1−p0)/n) for z = 1.96 (95%) and 3.09 (99.8%) at each n; p0 is a fraction (0–1).

    One square root per n serves both limits (the same digits `_limits` takes for each z).
    """
    scale = rates.SCALE[unit]
    fractions = []
    with localcontext() as ctx:
        ctx.prec = 34
        spread = p0 * (1 - p0)
        for n in ns:
            sd = (spread / Decimal(n)).sqrt()
            half95, half998 = Z95 * sd, Z998 * sd
            fractions.append((n, p0 - half95, p0 + half95, p0 - half998, p0 + half998))
    # Clipped and scaled in the caller's context, as the p-chart's limits are.
    return [
        FunnelLimits(
            n, max(lo95, ZERO) * scale, min(hi95, ONE) * scale, max(lo998, ZERO) * scale, min(hi998, ONE) * scale
        )
        for n, lo95, hi95, lo998, hi998 in fractions
    ]


def funnel_ns(largest: int, steps: int = 40) -> list[int]:
    """Denominators from 1 to `largest` (inclusive), spaced evenly on a log scale, for drawing the funnel."""
    if largest < 1:
        return []
    ns = {1, largest}
    for i in range(1, steps):
        ns.add(max(1, round(largest ** (i / steps))))  # geometry only: float is fine here
    return sorted(ns)


def funnel_band(value: Decimal, limits: FunnelLimits) -> str:
    """Where a rate falls against its funnel: "inside", "95" (outside 95%) or "99.8" (outside 99.8%)."""
    if value < limits.low998 or value > limits.high998:
        return "99.8"
    if value < limits.low95 or value > limits.high95:
        return "95"
    return "inside"


@dataclass(frozen=True)
class Rank:
    """A place within a group: 1 is best; percentile 100 is best, 0 worst."""

    rank: int
    of: int
    percentile: Decimal


def rank(values: Mapping[Hashable, Decimal | None], *, direction: str) -> dict[Hashable, Rank]:
    """Competition ranking ("1224") of the values that exist; ties share the better rank.

    direction "higher": the highest rate ranks first; "lower": the lowest ranks first.
    Percentile = 100·(N − rank)/(N − 1): the share of the others this one ranks at or above; a lone value is 100.
    """
    present = {k: v for k, v in values.items() if v is not None}
    ordered = sorted(present.values(), reverse=direction != "lower")
    size = len(ordered)
    first: dict[Decimal, int] = {}  # each value's first place in the order: ties share it
    for place, value in enumerate(ordered, start=1):
        first.setdefault(value, place)
    ranks: dict[int, Rank] = {}
    with localcontext() as ctx:
        ctx.prec = 34
        for place in first.values():
            percentile = Decimal(100) if size == 1 else Decimal(100 * (size - place)) / Decimal(size - 1)
            ranks[place] = Rank(place, size, percentile)
    return {key: ranks[first[value]] for key, value in present.items()}
