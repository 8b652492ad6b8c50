"""How indicator numbers are printed on pages, charts and exports (shared by views and the comparison)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from common.numbers import fmt

from . import rates, selectors
from .models import Indicator

COMPARATOR_SIGN = {rates.GE: "≥", rates.LE: "≤", rates.EQ: "="}
UNIT_SUFFIX = {rates.PERCENT: "%", rates.PERMILLE: "‰", rates.RATIO: "", rates.PER_10000: "/万"}


def num(value: Decimal) -> str:
    """Two decimals at most, trailing zeros dropped: 95, 96.67, 0.5."""
    return fmt(value, places=2)


@dataclass(frozen=True)
class RateShown:
    """A computed rate as the pages print it."""

    text: str
    ci: str
    counts: str
    met: bool | None
    too_few: bool
    no_data: bool
    previous: str = ""  # last year's rate, beside a "declining year on year" target


def shown(rate: rates.Rate | None) -> RateShown | None:
    if rate is None:
        return None
    suffix = UNIT_SUFFIX[rate.unit]
    counts = f"{rate.numerator}/{rate.denominator}"
    if rate.value is None:
        return RateShown("", "", counts, None, rate.too_few, True)
    ci = f"{num(rate.low)}–{num(rate.high)}{suffix}" if rate.low is not None and rate.high is not None else ""
    previous = ""
    if rate.previous is not None and rate.previous.value is not None:
        previous = f"{num(rate.previous.value)}{suffix}"
    return RateShown(f"{num(rate.value)}{suffix}", ci, counts, rate.met, rate.too_few, False, previous)


def comparison_shown(indicator: Indicator, levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison (`comparison.levels_from`, numbers) with what the page prints and draws.

    Per level its target, pooled rate and funnel plot (floats for the chart's JSON); per row the rate and
    the percentile as text.
    """
    suffix, scale = UNIT_SUFFIX[indicator.unit], rates.SCALE[indicator.unit]
    for level in levels:
        p0, funnel, rows = level["p0"], level["funnel"], level["rows"]
        for row in rows:
            row["rate"] = shown(row["judged"])
            row["percentile"] = num(row["rank"].percentile) if row["rank"] else ""
        level["target"] = target_text(indicator, level["level"])
        level["pooled"] = f"{num(p0 * scale)}{suffix}" if p0 is not None else ""
        level["chart_id"] = f"funnel-data-{level['level']}"
        level["chart"] = {
            "kind": "funnel",
            "unit": suffix,
            "series": {
                "hospitals": _("医院"),
                "centre": _("本级别合并率"),
                "l95": _("95% 控制限"),
                "l998": _("99.8% 控制限"),
                "x": _("分母"),
            },
            "points": [
                {"x": r["denominator"], "y": to_float(r["value"]), "label": r["hospital"].name, "band": r["band"]}
                for r in rows
                if r["value"] is not None
            ],
            "n": [f.n for f in funnel],
            "centre": to_float(p0 * scale) if p0 is not None else None,
            "low95": [to_float(f.low95) for f in funnel],
            "high95": [to_float(f.high95) for f in funnel],
            "low998": [to_float(f.low998) for f in funnel],
            "high998": [to_float(f.high998) for f in funnel],
        }
    return levels


def target_text(indicator: Indicator, level: str) -> str:
    """The level's target as people write it, e.g. ≥93%, ≤0.001%, 逐年下降; empty when there is none."""
    if indicator.target_kind == rates.DECLINING:
        return _("逐年下降")
    target = selectors.target_for(indicator, level)
    if target is None:
        return ""
    # A target is exact, as the source sets it (≤0.001%): rounding it to a rate's two places would change it.
    return (
        f"{COMPARATOR_SIGN.get(target.comparator, target.comparator)}{fmt(target.value)}{UNIT_SUFFIX[indicator.unit]}"
    )


def to_float(value: Decimal | None) -> float | None:
    """A Decimal for the chart's JSON (geometry only; the tables print the Decimal)."""
    return None if value is None else float(value)


# The seeds by number (../shared/seeds/NNN_*.txt), named as people cite them.
SEED_DOCUMENTS = {
    "000": "渝卫发〔2019〕2号",
    "001": "渝卫医〔2011〕273号",
    "002": "国卫办医政发〔2025〕12号",
    "003": "滨海新区手术质量安全提升行动实施方案（2023—2025年）",
}


def _origin_text(origin: dict[str, str]) -> str:
    if "seed" in origin:
        return _("引自 %(document)s") % {"document": SEED_DOCUMENTS.get(origin["seed"], origin["seed"])}
    if "criterion" in origin:
        return _("由细则 %(code)s 推得") % {"code": origin["criterion"]}
    return _("种子文件之外：%(document)s") % {"document": origin.get("document", "")}


def provenance_line(indicator: Indicator) -> str:
    """Where the numerator, denominator and target come from, in one short line, e.g.
    "出处：分子、分母、目标引自 渝卫医〔2011〕273号" or "出处：分子引自 …；分母种子文件之外：《…》"."""
    parts = {"numerator": _("分子"), "denominator": _("分母"), "target": _("目标")}
    groups: list[tuple[str, list[str]]] = []
    for key, label in parts.items():
        origin = (indicator.provenance or {}).get(key)
        if not origin:
            continue
        text = _origin_text(origin)
        for shown_text, labels in groups:
            if shown_text == text:
                labels.append(label)
                break
        else:
            groups.append((text, [label]))
    if not groups:
        return ""
    return _("出处：%(parts)s") % {"parts": "；".join("、".join(labels) + text for text, labels in groups)}
