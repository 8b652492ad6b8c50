"""The round summary's score distribution as SVG geometry: pure, whole pixels, no database.

The template draws what this returns; the numbers go into the report's content data (and its
checksum), so they are plain ints and strings.
"""

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from common.numbers import fmt

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 44, 40
BIN = Decimal(50)


def _bins(thresholds: Mapping[str, Decimal], max_total: Decimal) -> tuple[Decimal, list[tuple[Decimal, Decimal]]]:
    """The lowest threshold rounded down to a bin edge, and the 50-point bins from there to the maximum."""
    low = min(thresholds.values(), default=max_total - 8 * BIN)
    low = (low / BIN).to_integral_value(rounding=ROUND_FLOOR) * BIN
    edges = []
    start = low
    while start < max_total:
        edges.append((start, min(start + BIN, max_total)))
        start += BIN
    return low, edges


def score_histogram(
    totals: Sequence[Decimal], *, thresholds: Mapping[str, Decimal], max_total: Decimal
) -> dict[str, Any]:
    """Bars of how many hospitals scored in each 50-point band, with a line at each level's threshold."""
    low, edges = _bins(thresholds, max_total)
    labels = [f"<{fmt(low)}"] + [f"{fmt(a)}–{fmt(b)}" for a, b in edges]
    counts = [0] * len(labels)
    for total in totals:
        if total < low:
            counts[0] += 1
            continue
        index = min(int((total - low) // BIN), len(edges) - 1)
        counts[index + 1] += 1
    top = max(counts, default=0)
    step = max(1, -(-top // 5))  # about five ticks, whole hospitals
    y_max = max(step * 5, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w // len(labels)
    bars = []
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        h = count * plot_h // y_max
        x = LEFT + i * slot
        bars.append(
            {
                "x": x + 3,
                "y": TOP + plot_h - h,
                "w": slot - 6,
                "h": h,
                "count": count,
                "label": label,
                "label_x": x + slot // 2,
                "count_y": TOP + plot_h - h - 4,
            }
        )
    ticks = [{"y": TOP + plot_h - v * plot_h // y_max, "label": str(v)} for v in range(0, y_max + 1, step)]
    lines = []
    for i, (name, points) in enumerate(sorted(thresholds.items(), key=lambda kv: kv[1])):
        position = Decimal(1) + (points - low) / BIN  # in slots; the first slot is "below the lowest"
        x = LEFT + int(position * slot)
        lines.append({"x": x, "label": f"{name} {fmt(points)}", "label_y": TOP - 8 - (i % 2) * 14})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {"left": LEFT, "top": TOP, "right": WIDTH - RIGHT, "bottom": TOP + plot_h},
        "bars": bars,
        "ticks": ticks,
        "lines": lines,
        "axis_label_y": HEIGHT - 8,
        "n": len(totals),
    }
