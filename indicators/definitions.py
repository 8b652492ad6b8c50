"""Indicator definitions as files (`anesqc-indicators/1`, see fixtures/indicators.json): validate and load.

A qc_admin adds an indicator or a whole set without code changes: `manage.py import_indicators FILE`.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Level
from scoring.models import Criterion

from . import models
from .models import AnesthesiaType, Comparator, Direction, Indicator, IndicatorSet, TargetKind, Unit

FORMAT = "anesqc-indicators/1"
# What an indicator's case filter may name: the case model's own codes and flags, never a copy of them.
ANESTHESIA_TYPES: frozenset[str] = frozenset(AnesthesiaType.values)
CASE_FLAGS: frozenset[str] = frozenset(models.CASE_FLAGS)
# The source documents an indicator may quote (../shared/seeds/NNN_*.txt), by their number.
SEEDS: frozenset[str] = frozenset({"000", "001", "002", "003"})
PROVENANCE_PARTS = ("numerator", "denominator", "target")
PROVENANCE_KINDS = ("seed", "criterion", "document")


class IndicatorFileError(ValueError):
    """A definitions file that cannot be loaded; `errors` names every problem's place."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "indicators.json"


def _check_cases(where: str, cases: Any, errors: list[str]) -> None:
    if cases is None:
        return
    if not isinstance(cases, dict):
        errors.append(f"{where}: 应为对象或 null")
        return
    for key, value in cases.items():
        if key == "anesthesia_type":
            if not isinstance(value, list) or not set(value) <= ANESTHESIA_TYPES:
                errors.append(f"{where}.anesthesia_type: 应为 {sorted(ANESTHESIA_TYPES)} 中的值列表")
        elif key == "asa":
            if not isinstance(value, list) or not all(isinstance(v, int) and 1 <= v <= 6 for v in value):
                errors.append(f"{where}.asa: 应为 1–6 的整数列表")
        elif key in CASE_FLAGS:
            if not isinstance(value, bool):
                errors.append(f"{where}.{key}: 应为 true 或 false")
        else:
            errors.append(f"{where}.{key}: 未知的病例字段")


def _check_target(where: str, target: Any, errors: list[str]) -> None:
    if target is None:
        return
    if not isinstance(target, dict) or target.get("comparator") not in Comparator.values:
        errors.append(f"{where}.comparator: 应为 ge、le 或 eq")
        return
    try:
        Decimal(str(target.get("value")))
    except InvalidOperation:
        errors.append(f"{where}.value: “{target.get('value')}”不是数字")


def _check_provenance(where: str, ind: dict[str, Any], criteria: set[str], errors: list[str]) -> None:
    """Each of numerator, denominator and (when there is one) target names exactly one origin: a seed it
    quotes (with `source_quotes`), a criterion it is derived from, or an outside document by name."""
    provenance = ind.get("provenance")
    if not isinstance(provenance, dict):
        errors.append(f"{where}: 必须注明分子、分母（及目标）的出处")
        return
    has_target = bool(ind.get("target") or ind.get("level_targets") or ind.get("target_kind") == "declining")
    unknown = set(provenance) - set(PROVENANCE_PARTS)
    if unknown:
        errors.append(f"{where}: 不认识的键 {'、'.join(sorted(unknown))}，应为 numerator、denominator、target")
    for part in PROVENANCE_PARTS:
        pw = f"{where}.{part}"
        origin = provenance.get(part)
        if origin is None:
            if part != "target" or has_target:
                errors.append(f"{pw}: 必须注明出处（seed、criterion 或 document）")
            continue
        kinds = [k for k in PROVENANCE_KINDS if k in origin] if isinstance(origin, dict) else []
        extra = set(origin) - {*PROVENANCE_KINDS, "note"} if isinstance(origin, dict) else set()
        if len(kinds) != 1 or extra:
            errors.append(f"{pw}: 应是只含 seed、criterion、document 之一的对象")
            continue
        (kind,) = kinds
        value = origin[kind]
        if kind == "seed":
            if value not in SEEDS:
                errors.append(f"{pw}.seed: “{value}”不是已知的种子文件，应为 {'/'.join(sorted(SEEDS))}")
            elif not ind.get("source_quotes"):
                errors.append(f"{pw}.seed: 引自种子文件须在 source_quotes 中给出原文")
        elif kind == "criterion":
            if value not in criteria:
                errors.append(f"{pw}.criterion: 细则 {value} 不存在")
        elif not isinstance(value, str) or not value.strip() or len(value) > 200:
            errors.append(f"{pw}.document: 须写明外部文件名称（1–200 个字符）")


def validate(data: dict[str, Any]) -> list[str]:
    """Every problem with a definitions file, each naming its place."""
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(f'format: 应为 "{FORMAT}"')
    criteria = set(Criterion.objects.values_list("code", flat=True))
    seen: set[str] = set()
    for si, s in enumerate(data.get("sets") or []):
        sw = f"sets[{si}]（{s.get('code')}）"
        if not s.get("code") or not s.get("name"):
            errors.append(f"{sw}: 需要 code 和 name")
        for ii, ind in enumerate(s.get("indicators") or []):
            iw = f"{sw}.indicators[{ii}]（{ind.get('code')}）"
            code = ind.get("code")
            if not code or code in seen:
                errors.append(f"{iw}.code: 缺失或重复")
            seen.add(code)
            for field in ("name",):
                if not ind.get(field):
                    errors.append(f"{iw}.{field}: 必须填写")
            for side in ("numerator", "denominator"):
                part = ind.get(side) or {}
                if not part.get("text"):
                    errors.append(f"{iw}.{side}.text: 必须填写")
                _check_cases(f"{iw}.{side}.cases", part.get("cases"), errors)
            if ind.get("unit") not in Unit.values:
                errors.append(f"{iw}.unit: 应为 {'/'.join(Unit.values)}")
            if ind.get("direction") not in Direction.values:
                errors.append(f"{iw}.direction: 应为 higher 或 lower")
            _check_target(f"{iw}.target", ind.get("target"), errors)
            for level, target in (ind.get("level_targets") or {}).items():
                if level not in Level.values:
                    errors.append(f"{iw}.level_targets.{level}: 未知医院等级")
                _check_target(f"{iw}.level_targets.{level}", target, errors)
            for c in ind.get("criteria") or []:
                if c not in criteria:
                    errors.append(f"{iw}.criteria: 细则 {c} 不存在")
            kind = ind.get("target_kind", TargetKind.FIXED)
            if kind not in TargetKind.values:
                errors.append(f"{iw}.target_kind: 应为 {'、'.join(TargetKind.values)}")
            elif kind == TargetKind.DECLINING and (
                ind.get("target") or ind.get("level_targets") or ind.get("direction") != Direction.LOWER
            ):
                errors.append(f"{iw}.target_kind: declining（逐年下降）用于越低越好、无固定目标值的指标")
            _check_provenance(f"{iw}.provenance", ind, criteria, errors)
    return errors


@transaction.atomic
def load(data: dict[str, Any]) -> int:
    """Create or update every set and indicator in `data` (matched by code); refuse the whole file on any problem."""
    errors = validate(data)
    if errors:
        raise IndicatorFileError(errors)
    count = 0
    for s in data["sets"]:
        indicator_set, _ = IndicatorSet.objects.update_or_create(
            code=s["code"], defaults={"name": s["name"], "source": s.get("source", "")}
        )
        for position, ind in enumerate(s["indicators"], start=1):
            _create(indicator_set, position, ind)
            count += 1
    return count


def _create(indicator_set: IndicatorSet, position: int, ind: dict[str, Any]) -> Indicator:
    """Create or update one indicator of a validated file, with its linked criteria."""
    target = ind.get("target") or {}
    indicator, _ = Indicator.objects.update_or_create(
        code=ind["code"],
        defaults={
            "indicator_set": indicator_set,
            "position": position,
            "name": ind["name"],
            "definition": ind.get("definition", ""),
            "numerator_text": ind["numerator"]["text"],
            "denominator_text": ind["denominator"]["text"],
            "numerator_cases": ind["numerator"].get("cases"),
            "denominator_cases": ind["denominator"].get("cases"),
            "unit": ind["unit"],
            "direction": ind["direction"],
            "target_comparator": target.get("comparator", ""),
            "target_value": Decimal(str(target["value"])) if target else None,
            "level_targets": ind.get("level_targets") or {},
            "min_denominator": ind.get("min_denominator", 30),
            "target_kind": ind.get("target_kind", TargetKind.FIXED),
            "provenance": ind["provenance"],
        },
    )
    indicator.criteria.set(Criterion.objects.filter(standard__code="cq2011", code__in=ind.get("criteria") or []))
    return indicator


def read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndicatorFileError([f"{path}: {exc}"]) from exc


def ensure_builtin_indicators() -> None:
    """Load the shipped definitions a database lacks (post_migrate).

    An empty database gets the whole file. Otherwise only what is new is added: an indicator of the file
    that the database does not have (with its set), and the provenance and target kind of one loaded before
    those fields existed (issue 14). Nothing a qc_admin changed (targets, names) is overwritten.
    """
    if not fixture_path().exists():
        return
    if not Indicator.objects.exists():
        load(read(fixture_path()))
        return
    data = read(fixture_path())
    have = {
        code: (provenance, kind)
        for code, provenance, kind in Indicator.objects.values_list("code", "provenance", "target_kind")
    }
    new_sets = []
    for s in data.get("sets") or []:
        missing = [ind for ind in s.get("indicators") or [] if ind.get("code") not in have]
        if missing:
            new_sets.append({**s, "indicators": missing})
    if new_sets:
        _load_new(data, new_sets)
    for s in data.get("sets") or []:
        for ind in s.get("indicators") or []:
            stored = have.get(ind.get("code"))
            if stored is not None and not stored[0] and ind.get("provenance"):
                Indicator.objects.filter(code=ind["code"]).update(
                    provenance=ind["provenance"], target_kind=ind.get("target_kind", TargetKind.FIXED)
                )


def _load_new(data: dict[str, Any], new_sets: list[dict[str, Any]]) -> None:
    """Create the new indicators of `new_sets`, after the set's existing ones; the whole file is validated."""
    errors = validate(data)
    if errors:
        raise IndicatorFileError(errors)
    with transaction.atomic():
        for s in new_sets:
            indicator_set, _ = IndicatorSet.objects.get_or_create(
                code=s["code"], defaults={"name": s["name"], "source": s.get("source", "")}
            )
            last = indicator_set.indicators.order_by("-position").values_list("position", flat=True).first() or 0
            for offset, ind in enumerate(s["indicators"], start=1):
                _create(indicator_set, last + offset, ind)
