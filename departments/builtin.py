"""The shipped rules of the standard (fixtures/rules-<standard>.json): validated and loaded.

The file: ``{"standard", "valid_from", "encouraged", "rules": [entry, ...]}``. An entry has ``criterion``,
``note`` and either ``rule`` or, where the source is ambiguous, ``readings`` ({key: {"label", "rule"}}),
the ``reading`` in force and ``doubtful`` (解读待质控中心确认). ``encouraged`` states once, for every item the
standard marks "二级医院提倡开展，三级医院必须开展", that at ``levels`` the item is encouraged, not required:
the loader wraps each listed criterion's rule (and readings) in the rule language's ``encouraged``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from scoring.models import Criterion, Standard

from . import rules
from .facts import CATEGORICAL, NUMERIC
from .models import CriterionRule

FILE_KEYS = frozenset({"standard", "valid_from", "encouraged", "rules"})
ENTRY_KEYS = frozenset({"criterion", "valid_from", "note", "rule", "readings", "reading", "doubtful"})
ENCOURAGED_KEYS = frozenset({"levels", "text", "source", "criteria"})


def fixture_path(code: str = "cq2011") -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / f"rules-{code}.json"


def _wrap(rule: Any, encouraged: dict[str, Any] | None, code: str) -> Any:
    if encouraged is None or code not in encouraged["criteria"]:
        return rule
    return {"encouraged": {"levels": encouraged["levels"], "text": encouraged["text"], "rule": rule}}


def _check_entry(i: int, entry: Any) -> None:
    where = f"rules[{i}]"
    if not isinstance(entry, dict):
        raise rules.RuleError(where, "应是对象")
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise rules.RuleError(where, f"不认识的键：{'、'.join(sorted(unknown))}")
    if "readings" in entry:
        readings = entry["readings"]
        if "rule" in entry:
            raise rules.RuleError(f"{where}.rule", "有 readings 时 rule 由 reading 决定，不能另写")
        if not isinstance(readings, dict) or len(readings) < 2:
            raise rules.RuleError(f"{where}.readings", "应是至少两种解读的对象 {键: {label, rule}}")
        for key, reading in readings.items():
            rw = f"{where}.readings.{key}"
            if not isinstance(reading, dict) or set(reading) != {"label", "rule"}:
                raise rules.RuleError(rw, "每种解读应是只有 label 和 rule 的对象")
            if not isinstance(reading["label"], str) or not reading["label"].strip():
                raise rules.RuleError(f"{rw}.label", "须写明这种解读")
            rules.validate(reading["rule"], NUMERIC, f"{rw}.rule", CATEGORICAL)
        if entry.get("reading") not in readings:
            raise rules.RuleError(f"{where}.reading", f"应为 {'、'.join(readings)} 之一")
    else:
        if "rule" not in entry:
            raise rules.RuleError(where, "需要 rule 或 readings")
        for key in ("reading", "doubtful"):
            if key in entry:
                raise rules.RuleError(f"{where}.{key}", "只用于有 readings 的规则")
        rules.validate(entry["rule"], NUMERIC, f"{where}", CATEGORICAL)
    if not isinstance(entry.get("doubtful", False), bool):
        raise rules.RuleError(f"{where}.doubtful", "应为 true 或 false")


def _check_encouraged(block: Any, codes: set[str]) -> None:
    where = "encouraged"
    if not isinstance(block, dict) or set(block) - ENCOURAGED_KEYS or {"levels", "text", "criteria"} - set(block):
        raise rules.RuleError(where, "应是含 levels、text、criteria（可选 source）的对象")
    for code in block["criteria"] if isinstance(block["criteria"], list) else [None]:
        if code not in codes:
            raise rules.RuleError(f"{where}.criteria", f"细则 {code} 在本文件中没有规则")
    levels = block["levels"]
    if not isinstance(levels, list) or not levels or not set(levels) <= rules.LEVEL_SET:
        raise rules.RuleError(f"{where}.levels", f"应是医院等级（{'/'.join(rules.LEVELS)}）的非空列表")
    text = block["text"]
    if not isinstance(text, str) or not text.strip() or len(text) > 100:
        raise rules.RuleError(f"{where}.text", "应是 1–100 个字符的说明")


def read(path: Path) -> dict[str, Any]:
    """The rules file, checked (RuleError naming the place of the first problem) and resolved: each entry's
    ``rule`` is the rule to store, its reading chosen and the ``encouraged`` statement applied."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise rules.RuleError("", f"不认识的键：{'、'.join(sorted(unknown))}")
    entries = data.get("rules")
    if not isinstance(entries, list):
        raise rules.RuleError("rules", "应是列表")
    for i, entry in enumerate(entries):
        _check_entry(i, entry)
    encouraged = data.get("encouraged")
    if encouraged is not None:
        _check_encouraged(encouraged, {e["criterion"] for e in entries})
    resolved = []
    for entry in entries:
        code = entry["criterion"]
        out = dict(entry)
        if "readings" in entry:
            out["readings"] = {
                key: {"label": r["label"], "rule": _wrap(r["rule"], encouraged, code)}
                for key, r in entry["readings"].items()
            }
            out["rule"] = out["readings"][entry["reading"]]["rule"]
        else:
            out["rule"] = _wrap(entry["rule"], encouraged, code)
        resolved.append(out)
    return {**data, "rules": resolved}


@transaction.atomic
def load(data: dict[str, Any]) -> int:
    """Store each rule for its criterion from `valid_from` (replacing that year's rule); return the count."""
    standard = Standard.objects.get(code=data["standard"])
    criteria = {c.code: c for c in Criterion.objects.filter(standard=standard)}
    stored = 0
    for entry in data["rules"]:
        CriterionRule.objects.update_or_create(
            criterion=criteria[entry["criterion"]],
            valid_from=entry.get("valid_from", data["valid_from"]),
            defaults={
                "rule": entry["rule"],
                "note": entry.get("note", ""),
                "readings": entry.get("readings", {}),
                "reading": entry.get("reading", ""),
                "doubtful": entry.get("doubtful", False),
            },
        )
        stored += 1
    return stored


def ensure_builtin_rules() -> None:
    """Load the shipped rules a database lacks (post_migrate): every (criterion, valid_from) of the fixture
    that has no rule yet is created; a stored rule, shipped or a qc_admin's, is never overwritten. So a rule
    added to the fixture later (2.3-1-1 and 2.3-1-2, issue 14) reaches a database loaded before it."""
    path = fixture_path()
    if not path.exists():
        return
    data = read(path)
    standard = Standard.objects.filter(code=data["standard"]).first()
    if standard is None:
        return
    have = set(CriterionRule.objects.filter(criterion__standard=standard).values_list("criterion__code", "valid_from"))
    missing = [e for e in data["rules"] if (e["criterion"], e.get("valid_from", data["valid_from"])) not in have]
    if missing:
        load({**data, "rules": missing})
