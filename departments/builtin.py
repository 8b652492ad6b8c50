"""The shipped rules of the standard (fixtures/rules-<standard>.json): validated and loaded once."""

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


def fixture_path(code: str = "cq2011") -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / f"rules-{code}.json"


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for i, entry in enumerate(data["rules"]):
        rules.validate(entry["rule"], NUMERIC, f"rules[{i}]", CATEGORICAL)
    return data


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
            defaults={"rule": entry["rule"], "note": entry.get("note", "")},
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
