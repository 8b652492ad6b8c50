"""The rule language of quantitative criteria, and its pure evaluation over one year's department facts.

A rule is plain JSON, stored with its criterion (`CriterionRule.rule`):

- ``{"needs": {"fact": F, "of": [[G, "2"], [H, "3/2"]], "at_least": N, "teaching": "1.1", "label": L}}``
  *have* is fact F (or the sum of a list of facts); *need* is Σ G × k, times the ``teaching`` factor for a
  medical-school hospital, rounded **up** to a whole person or device (areas are not rounded), and at least
  ``at_least``. Met when have ≥ need. Factors are exact fractions ("1/3", "0.2"), never floats, so
  exactly 1:2 passes. With only ``at_least`` it is a plain minimum.
- ``{"step": {"fact": F, "of": G, "bands": [[from, base], [from, base, every], ...], "label": L}}``
  need = base + ⌊(G − from) / every⌋ for the last band whose ``from`` ≤ G (the AICU doctor rule).
- ``{"equals": {"fact": F, "value": V, "label": L}}`` and ``{"one_of": {"fact": F, "values": [V, ...], "label": L}}``
  over a categorical fact (a choice such as the head of department's title, or a yes/no flag): met when the
  fact's value is V, or one of the values. The values must be the fact's own choices (`validate` checks them).
- ``{"all": [rule, ...]}`` and ``{"any": [rule, ...]}``.
- ``{"encouraged": {"levels": ["2A", "2B"], "text": T, "rule": R}}``: at those levels the item is encouraged,
  not required (seed 001: "二级医院提倡开展，三级医院必须开展"): R met is met, R unmet is no verdict, worded T
  ("二级医院提倡，不作要求") with R's shortfall beneath. Elsewhere it is R. The rules file states this once
  (its ``encouraged`` block) and the loader wraps each listed criterion's rule.
- ``{"info": {"fact": F, "per": G, "label": L}}``: the ratio G : F as information ("1:2.3"), never a verdict
  (an ``all`` skips it), e.g. the 1:2 that 2.1-1's remark cites.
- ``{"by_level": {"key": rule, "3A": rule, "3": rule, "default": rule}}``: the variant for a key-specialty
  department first, then the exact level, then the tier ("3" or "2"), then ``default``; ``null`` or no
  variant means the standard asks nothing of that hospital.

`evaluate` returns an `Outcome`: met (True/False, or None when a number is missing or nothing is asked),
the numbers used, and one line of Chinese such as "需 12 名，现 10 名，缺 2 名". No database, no Django
models: the caller passes the facts and the labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from common.numbers import fmt as fmt_decimal

LEVELS = ("3A", "3B", "2A", "2B")
VARIANT_KEYS = frozenset({"key", *LEVELS, "3", "2", "default"})
CATEGORICAL_KINDS = ("equals", "one_of")
LEVEL_SET = frozenset(LEVELS)
Number = int | Decimal


@dataclass(frozen=True)
class Context:
    """What a rule may depend on besides the facts: the hospital's level and standing."""

    level: str
    key_specialty: bool = False
    teaching: bool = False


@dataclass(frozen=True)
class Outcome:
    """The judgement of one rule (or part of one): met, the numbers used, and a sentence saying so."""

    met: bool | None
    text: str
    have: Number | None = None
    need: Number | None = None
    short: Number | None = None
    parts: tuple[Outcome, ...] = ()
    # Nothing is asked (no beds to staff, no variant for the level): unlike missing data, a combination
    # of rules skips it, so an alternative that does not apply cannot keep another from deciding.
    na: bool = False
    # For ``any``: the alternative that was met (2.1-1 shows which staffing method counts).
    chosen: Outcome | None = None

    @property
    def suggestion(self) -> str | None:
        """The rating this outcome suggests: "met", "unmet" or None (no suggestion)."""
        return None if self.met is None else ("met" if self.met else "unmet")

    def lines(self) -> list[str]:
        """Its sentence and those of its parts, flattened, for display."""
        if not self.parts:
            return [self.text]
        out = [self.text] if self.text else []
        for part in self.parts:
            out.extend(part.lines())
        return out


class RuleError(ValueError):
    """A rule that is not well formed; `path` says where ("all[1].needs.of")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


# ---------------------------------------------------------------- numbers --


def _fraction(value: Any, path: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(path, _('系数应写成整数或字符串，如 2、"1.5"、"1/3"。'))
    try:
        result = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise RuleError(path, _("“%(v)s”不是有效的系数。") % {"v": value}) from exc
    if result < 0:
        raise RuleError(path, _("系数不能为负数。"))
    return result


def fmt(value: Number | Fraction | None) -> str:
    """A number as people write it: 25, 24.5, 0.08, 1/3 (never 25.0, 2.5E+1 or 0.333…); decimals as common.numbers."""
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        d = value.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d != 1:
            return f"{value.numerator}/{value.denominator}"
        value = Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, Decimal):
        return fmt_decimal(value)
    return str(value)


# --------------------------------------------------------------- evaluate --


class _Facts:
    """Fact lookups with their labels and units, and the names of the facts found missing."""

    def __init__(self, values: Mapping[str, Any], labels: Mapping[str, tuple[str, str]]) -> None:
        self.values = values
        self.labels = labels

    def label(self, name: str) -> str:
        return self.labels.get(name, (name, ""))[0]

    def unit(self, name: str) -> str:
        return self.labels.get(name, ("", ""))[1]

    def get(self, name: str) -> Fraction | None:
        value = self.values.get(name)
        if value is None or isinstance(value, bool):
            return None
        return Fraction(value) if isinstance(value, int) else Fraction(Decimal(value))

    def whole(self, name: str) -> bool:
        value = self.values.get(name)
        return not isinstance(value, Decimal)


def _missing(facts: _Facts, names: Sequence[str]) -> Outcome:
    labels = "、".join(facts.label(n) for n in names)
    return Outcome(None, _("未填写：%(facts)s，暂无建议") % {"facts": labels})


def _num(value: Fraction) -> Number:
    return int(value) if value.denominator == 1 else Decimal(value.numerator) / Decimal(value.denominator)


def _judge(label: str, have: Fraction, need: Fraction, unit: str, basis: str, *, whole: bool) -> Outcome:
    if whole:
        need = Fraction(math.ceil(need))  # a whole person or device: 24.5 needed means 25
    met = have >= need
    values = {"label": label, "need": fmt(_num(need)), "have": fmt(_num(have)), "unit": unit}
    if met:
        text = _("%(label)s：需 %(need)s %(unit)s，现 %(have)s %(unit)s，达标") % values
    else:
        values["short"] = fmt(_num(need - have))
        text = _("%(label)s：需 %(need)s %(unit)s，现 %(have)s %(unit)s，缺 %(short)s %(unit)s") % values
    if basis:
        text += f"（{basis}）"
    return Outcome(met, text, _num(have), _num(need), None if met else _num(need - have))


def _needs(spec: Mapping[str, Any], facts: _Facts, ctx: Context) -> Outcome:
    names = spec["fact"] if isinstance(spec["fact"], list) else [spec["fact"]]
    terms = [(g, _fraction(k, "")) for g, k in spec.get("of", [])]
    missing = [n for n in [*names, *(g for g, _k in terms)] if facts.get(n) is None]
    if missing:
        return _missing(facts, missing)
    have = sum((facts.get(n) or Fraction(0) for n in names), Fraction(0))
    whole = all(facts.whole(n) for n in names)
    label = spec.get("label") or "＋".join(facts.label(n) for n in names)
    unit = facts.unit(names[0])
    need = Fraction(0)
    basis_parts = []
    for g, k in terms:
        value = facts.get(g) or Fraction(0)
        need += value * k
        basis_parts.append(f"{facts.label(g)} {fmt(value)} × {fmt(k)}")
    if terms and need == 0 and "at_least" not in spec:
        return Outcome(
            None, _("%(label)s：%(base)s 为 0，不作要求") % {"label": label, "base": basis_parts[0]}, na=True
        )
    basis = " ＋ ".join(basis_parts)
    factor = spec.get("teaching")
    if factor is not None and ctx.teaching and terms:
        need *= _fraction(factor, "")
        basis = _("(%(basis)s) × %(factor)s（医学院附属医院）") % {"basis": basis, "factor": fmt(_fraction(factor, ""))}
    if "at_least" in spec:
        floor = _fraction(spec["at_least"], "")
        if floor > need:
            need = floor
            basis = basis and _("%(basis)s，且不少于 %(n)s") % {"basis": basis, "n": fmt(floor)}
    return _judge(label, have, need, unit, basis, whole=whole)


def _step(spec: Mapping[str, Any], facts: _Facts) -> Outcome:
    name, of = spec["fact"], spec["of"]
    missing = [n for n in (name, of) if facts.get(n) is None]
    if missing:
        return _missing(facts, missing)
    base_value = facts.get(of) or Fraction(0)
    label = spec.get("label") or facts.label(name)
    bands = [b for b in spec["bands"] if Fraction(b[0]) <= base_value]
    if not bands:
        return Outcome(
            None,
            _("%(label)s：%(of)s 为 %(n)s，不作要求") % {"label": label, "of": facts.label(of), "n": fmt(base_value)},
        )
    start, base, *every = bands[-1]
    need = Fraction(base)
    if every:
        need += (base_value - start) // every[0]
    basis = f"{facts.label(of)} {fmt(base_value)}"
    return _judge(label, facts.get(name) or Fraction(0), need, facts.unit(name), basis, whole=True)


def _value_label(facts: _Facts, name: str, value: Any) -> str:
    key = f"{name}:{'true' if value is True else 'false' if value is False else value}"
    return facts.labels.get(key, (str(value), ""))[0]


def _categorical(kind: str, spec: Mapping[str, Any], facts: _Facts) -> Outcome:
    name = spec["fact"]
    value = facts.values.get(name)
    if value is None or value == "":
        return _missing(facts, [name])
    wanted = [spec["value"]] if kind == "equals" else list(spec["values"])
    label = spec.get("label") or facts.label(name)
    need = _("或").join(_value_label(facts, name, v) for v in wanted)
    have = _value_label(facts, name, value)
    met = value in wanted
    values = {"label": label, "need": need, "have": have}
    if met:
        text = _("%(label)s：应为 %(need)s，现为 %(have)s，达标") % values
    else:
        text = _("%(label)s：应为 %(need)s，现为 %(have)s，未达标") % values
    return Outcome(met, text)


def _encouraged(spec: Mapping[str, Any], facts: _Facts, ctx: Context) -> Outcome:
    inner = _evaluate(spec["rule"], facts, ctx)
    if ctx.level in spec["levels"] and inner.met is False:
        return Outcome(None, str(spec["text"]), parts=(inner,), na=True)
    return inner


def _info(spec: Mapping[str, Any], facts: _Facts) -> Outcome:
    label = spec.get("label") or facts.label(spec["fact"])
    have, per = facts.get(spec["fact"]), facts.get(spec["per"])
    if have is None or per is None or per == 0 or have == 0:
        return Outcome(None, _("%(label)s：无法计算（仅供参考）") % {"label": label}, na=True)
    ratio = Decimal(have.numerator * per.denominator) / Decimal(have.denominator * per.numerator)
    values = {"label": label, "ratio": fmt_decimal(ratio.quantize(Decimal("0.01")))}
    return Outcome(None, _("%(label)s：现为 1:%(ratio)s（仅供参考，不计入评定）") % values, na=True)


def _variant(variants: Mapping[str, Any], ctx: Context) -> Any:
    for key in (("key",) if ctx.key_specialty else ()) + (ctx.level, ctx.level[:1], "default"):
        if key in variants:
            return variants[key]
    return None


def evaluate(
    rule: Mapping[str, Any], values: Mapping[str, Any], ctx: Context, labels: Mapping[str, tuple[str, str]]
) -> Outcome:
    """Judge `rule` over the facts `values` ({fact: int, Decimal or None}) for a hospital in context `ctx`.

    `labels` gives each fact's (label, unit) for the sentences. Pure: the same input, the same outcome.
    """
    return _evaluate(rule, _Facts(values, labels), ctx)


def _evaluate(rule: Mapping[str, Any], facts: _Facts, ctx: Context) -> Outcome:
    ((kind, spec),) = rule.items()
    if kind == "needs":
        return _needs(spec, facts, ctx)
    if kind == "step":
        return _step(spec, facts)
    if kind in CATEGORICAL_KINDS:
        return _categorical(kind, spec, facts)
    if kind == "encouraged":
        return _encouraged(spec, facts, ctx)
    if kind == "info":
        return _info(spec, facts)
    if kind == "by_level":
        chosen = _variant(spec, ctx)
        if chosen is None:
            return Outcome(None, _("本级别医院不作要求"), na=True)
        return _evaluate(chosen, facts, ctx)
    parts = tuple(_evaluate(r, facts, ctx) for r in spec)
    applicable = [p for p in parts if not p.na]
    if not applicable:
        return Outcome(None, parts[0].text if len(parts) == 1 else _("不作要求"), parts=parts, na=True)
    known = [p.met for p in applicable if p.met is not None]
    if kind == "all":
        met = False if False in known else (None if len(known) < len(applicable) else True)
        return Outcome(met, "", parts=parts)
    # any: one met alternative is enough; all known and unmet is a miss
    met = True if True in known else (None if len(known) < len(applicable) else False)
    best = next((p for p in parts if p.met), None)
    text = _("满足以下任一项即可") if best is None else _("满足其一：%(text)s") % {"text": best.text}
    return Outcome(met, text, parts=() if best is not None else parts, chosen=best)


# --------------------------------------------------------------- validate --


def validate(
    rule: Any, facts: Sequence[str], path: str = "", choices: Mapping[str, Sequence[Any]] | None = None
) -> None:
    """Raise RuleError unless `rule` is well formed and names only `facts` (numbers) and `choices` (categorical).

    `choices` maps each categorical fact to the values it may take; ``equals`` and ``one_of`` may name only
    those facts and those values, and the numeric kinds only `facts`.
    """
    if not isinstance(rule, dict) or len(rule) != 1:
        raise RuleError(
            path, _("规则应是只有一个键的对象：needs、step、equals、one_of、all、any、by_level、encouraged 或 info。")
        )
    ((kind, spec),) = rule.items()
    here = f"{path}.{kind}" if path else kind
    known = set(facts)

    def fact(name: Any, where: str) -> None:
        if name not in known:
            raise RuleError(where, _("未知的概况事项“%(name)s”。") % {"name": name})

    if kind == "needs":
        if not isinstance(spec, dict) or "fact" not in spec:
            raise RuleError(here, _("needs 需要 fact。"))
        unknown = set(spec) - {"fact", "of", "at_least", "teaching", "label"}
        if unknown:
            raise RuleError(here, _("不认识的键：%(keys)s") % {"keys": "、".join(sorted(unknown))})
        names = spec["fact"] if isinstance(spec["fact"], list) else [spec["fact"]]
        if not names:
            raise RuleError(f"{here}.fact", _("至少要有一个事项。"))
        for name in names:
            fact(name, f"{here}.fact")
        terms = spec.get("of", [])
        if not isinstance(terms, list):
            raise RuleError(f"{here}.of", _("of 应是 [事项, 系数] 的列表。"))
        for i, term in enumerate(terms):
            if not isinstance(term, list) or len(term) != 2:
                raise RuleError(f"{here}.of[{i}]", _("应写成 [事项, 系数]。"))
            fact(term[0], f"{here}.of[{i}]")
            _fraction(term[1], f"{here}.of[{i}]")
        if not terms and "at_least" not in spec:
            raise RuleError(here, _("needs 需要 of 或 at_least。"))
        for key in ("at_least", "teaching"):
            if key in spec:
                _fraction(spec[key], f"{here}.{key}")
        return
    if kind == "step":
        if not isinstance(spec, dict) or {"fact", "of", "bands"} - set(spec):
            raise RuleError(here, _("step 需要 fact、of 和 bands。"))
        fact(spec["fact"], f"{here}.fact")
        fact(spec["of"], f"{here}.of")
        bands = spec["bands"]
        if not isinstance(bands, list) or not bands:
            raise RuleError(f"{here}.bands", _("bands 应是非空列表。"))
        previous = None
        for i, band in enumerate(bands):
            ok = isinstance(band, list) and len(band) in (2, 3) and all(isinstance(v, int) and v >= 0 for v in band)
            if not ok or (len(band) == 3 and band[2] == 0):
                raise RuleError(
                    f"{here}.bands[{i}]", _("每档应写成 [起始, 基数] 或 [起始, 基数, 每增]，均为非负整数。")
                )
            if previous is not None and band[0] <= previous:
                raise RuleError(f"{here}.bands[{i}]", _("各档起始值应递增。"))
            previous = band[0]
        return
    if kind in CATEGORICAL_KINDS:
        value_key = "value" if kind == "equals" else "values"
        if not isinstance(spec, dict) or {"fact", value_key} - set(spec):
            raise RuleError(here, _("%(kind)s 需要 fact 和 %(key)s。") % {"kind": kind, "key": value_key})
        unknown = set(spec) - {"fact", value_key, "label"}
        if unknown:
            raise RuleError(here, _("不认识的键：%(keys)s") % {"keys": "、".join(sorted(unknown))})
        allowed = (choices or {}).get(spec["fact"])
        if allowed is None:
            raise RuleError(
                f"{here}.fact",
                _("“%(name)s”不是分类事项，%(kind)s 只能用于分类事项。") % {"name": spec["fact"], "kind": kind},
            )
        wanted = [spec["value"]] if kind == "equals" else spec["values"]
        if kind == "one_of" and (not isinstance(wanted, list) or not wanted):
            raise RuleError(f"{here}.values", _("values 应是非空列表。"))
        for v in wanted:
            if isinstance(v, (list, dict)) or v not in allowed or (isinstance(v, bool) != isinstance(allowed[0], bool)):
                raise RuleError(
                    f"{here}.{value_key}",
                    _("“%(v)s”不是“%(name)s”的取值，应为：%(allowed)s")
                    % {"v": v, "name": spec["fact"], "allowed": "、".join(str(a) for a in allowed)},
                )
        return
    if kind == "encouraged":
        if (
            not isinstance(spec, dict)
            or {"levels", "text", "rule"} - set(spec)
            or set(spec) - {"levels", "text", "rule"}
        ):
            raise RuleError(here, _("encouraged 需要且只能有 levels、text 和 rule。"))
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels or not set(levels) <= LEVEL_SET:
            raise RuleError(
                f"{here}.levels", _("levels 应是医院等级（%(levels)s）的非空列表。") % {"levels": "/".join(LEVELS)}
            )
        if not isinstance(spec["text"], str) or not spec["text"].strip() or len(spec["text"]) > 100:
            raise RuleError(f"{here}.text", _("text 应是 1–100 个字符的说明。"))
        validate(spec["rule"], facts, f"{here}.rule", choices)
        return
    if kind == "info":
        if not isinstance(spec, dict) or {"fact", "per"} - set(spec) or set(spec) - {"fact", "per", "label"}:
            raise RuleError(here, _("info 需要 fact 和 per（可选 label）。"))
        fact(spec["fact"], f"{here}.fact")
        fact(spec["per"], f"{here}.per")
        return
    if kind in ("all", "any"):
        if not isinstance(spec, list) or not spec:
            raise RuleError(here, _("%(kind)s 应是非空的规则列表。") % {"kind": kind})
        for i, part in enumerate(spec):
            validate(part, facts, f"{here}[{i}]", choices)
        return
    if kind == "by_level":
        if not isinstance(spec, dict) or not spec:
            raise RuleError(here, _("by_level 应是非空对象。"))
        unknown = set(spec) - VARIANT_KEYS
        if unknown:
            raise RuleError(here, _("不认识的级别：%(keys)s") % {"keys": "、".join(sorted(unknown))})
        for key, part in spec.items():
            if part is not None:
                validate(part, facts, f"{here}.{key}", choices)
        return
    raise RuleError(path, _("不认识的规则类型“%(kind)s”。") % {"kind": kind})
