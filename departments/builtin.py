"""The shipped rules of the standard (fixtures/rules-<standard>.json): validated and loaded once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from scoring.models import Criterion, Standard

from . import rules
from .facts import NUMERIC
from .models import CriterionRule


def fixture_path(code: str = "cq2011") -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / f"rules-{code}.json"


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for i, entry in enumerate(data["rules"]):
        rules.validate(entry["rule"], NUMERIC, f"rules[{i}]")
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
            valid_from=data["valid_from"],
            defaults={"rule": entry["rule"], "note": entry.get("note", "")},
        )
        stored += 1
    return stored


def ensure_builtin_rules() -> None:
    """Load the shipped rules into a database that has none (post_migrate)."""
    path = fixture_path()
    if CriterionRule.objects.exists() or not path.exists():
        return
    data = read(path)
    if Standard.objects.filter(code=data["standard"]).exists():
        load(data)
