"""How indicator numbers are printed on pages, charts and exports (shared by views and the comparison)."""

from dataclasses import dataclass
from decimal import Decimal

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
