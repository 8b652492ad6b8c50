"""Issue 14 item 7: the README counts the 2011 indicators right, and 5.2-5 has its "≥" back."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as global_apps

from scoring.models import Criterion

ROOT = Path(__file__).resolve().parents[2]

# Seed 001, 5.2-2: "每年≥2 项，或获得省部级及其以上课题每年≥1项" (the signs survive there);
# seed 001, 5.2-5: "平均每 2 年 1 部,或参编(译)每年1 部" (the sign was lost in extraction).
RESTORED = "或参编（译）每年≥1 部；"


def test_readme_says_the_2011_set_has_ten_indicators() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sets = json.loads((ROOT / "fixtures" / "indicators.json").read_text(encoding="utf-8"))["sets"]
    cq2011 = next(s for s in sets if s["code"] == "cq2011")
    assert len(cq2011["indicators"]) == 10
    assert "the 2011 standard's ten" in text
    assert "the 2011 standard's nine," not in text


@pytest.mark.django_db
def test_5_2_5_has_its_sign_restored_like_5_2_2() -> None:
    criterion = Criterion.objects.get(standard__code="cq2011", code="5.2-5")
    assert RESTORED in criterion.text
    assert "每年1 部" not in criterion.text
    assert "每年≥1项" in Criterion.objects.get(standard__code="cq2011", code="5.2-2").text


@pytest.mark.django_db
def test_the_data_migration_restores_an_old_database_and_nothing_else() -> None:
    migration = importlib.import_module("scoring.migrations.0007_restore_sign_5_2_5")
    criterion = Criterion.objects.get(standard__code="cq2011", code="5.2-5")
    points, veto = criterion.max_points, criterion.veto
    Criterion.objects.filter(pk=criterion.pk).update(text=criterion.text.replace(RESTORED, migration.OLD))
    migration.restore(global_apps, None)
    criterion.refresh_from_db()
    assert RESTORED in criterion.text
    assert (criterion.max_points, criterion.veto) == (points, veto)
    migration.restore(global_apps, None)  # idempotent
    criterion.refresh_from_db()
    assert criterion.text.count("≥1 部") == 1
