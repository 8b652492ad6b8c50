"""Issue 14 item 4: rules over categorical facts (`equals`, `one_of`), and the rules of 2.3-1-1 and 2.3-1-2.

Seed 001, 2.3-1-1: "科主任应由具有副主任医师以上职称、并具有临床麻醉、或重症监测治疗、或疼痛诊疗专长的
麻醉科执业医师担任,其中市级重点专科的麻醉科主任应由具有上述专长的主任医师担任".
Seed 001, 2.3-1-2: "具有市卫生局备案的麻醉科主任培训合格证书".
"""

import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from departments import rules
from departments.builtin import ensure_builtin_rules, fixture_path, read
from departments.facts import CATEGORICAL, NUMERIC, labels
from departments.models import CriterionRule
from tests.conftest import Cast

RULES: dict[str, Any] = {e["criterion"]: e["rule"] for e in read(fixture_path())["rules"]}
L3A = rules.Context(level="3A")
L2A = rules.Context(level="2A")
KEY = rules.Context(level="3B", key_specialty=True)


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    with translation.override("zh-hans"):
        yield


def judge(code: str, ctx: rules.Context, **facts: Any) -> rules.Outcome:
    return rules.evaluate(RULES[code], facts, ctx, labels())


@pytest.mark.parametrize(
    ("ctx", "title", "met"),
    [
        (L3A, "chief", True),
        (L3A, "associate", True),  # 副主任医师以上
        (L3A, "attending", False),
        (L2A, "associate", True),
        (L2A, "other", False),
        (KEY, "associate", False),  # 市级重点专科：主任医师
        (KEY, "chief", True),
    ],
)
def test_head_of_department_title(ctx: rules.Context, title: str, met: bool) -> None:
    assert judge("2.3-1-1", ctx, director_title=title).met is met


def test_the_title_sentence_names_the_values_in_chinese() -> None:
    with translation.override("zh-hans"):
        outcome = judge("2.3-1-1", L3A, director_title="attending")
    assert outcome.text == "科主任职称：应为 主任医师或副主任医师，现为 主治医师，未达标"


def test_an_unentered_title_or_certificate_gives_no_suggestion() -> None:
    assert judge("2.3-1-1", L3A, director_title="").met is None
    assert judge("2.3-1-2", L3A, director_certified=None).met is None


def test_training_certificate() -> None:
    assert judge("2.3-1-2", L3A, director_certified=True).met is True
    with translation.override("zh-hans"):
        outcome = judge("2.3-1-2", L2A, director_certified=False)
    assert outcome.met is False and "现为 否" in outcome.text


@pytest.mark.parametrize(
    ("rule", "where", "says"),
    [
        ({"one_of": {"fact": "director_title", "values": ["professor"]}}, "one_of.values", "professor"),
        ({"one_of": {"fact": "director_title", "values": []}}, "one_of.values", "非空"),
        ({"one_of": {"fact": "monitors", "values": [1]}}, "one_of.fact", "monitors"),
        ({"equals": {"fact": "director_certified", "value": "yes"}}, "equals.value", "yes"),
        ({"equals": {"fact": "director_certified", "value": 1}}, "equals.value", "1"),
        ({"equals": {"fact": "director_certified"}}, "equals", "value"),
        ({"equals": {"fact": "director_certified", "value": True, "colour": "red"}}, "equals", "colour"),
        ({"any": [{"equals": {"fact": "director_title", "value": "dean"}}]}, "any[0].equals.value", "dean"),
        ({"needs": {"fact": "director_title", "at_least": 1}}, "needs.fact", "director_title"),
    ],
)
def test_a_bad_categorical_rule_is_refused_naming_the_field(rule: Any, where: str, says: str) -> None:
    with pytest.raises(rules.RuleError) as exc:
        rules.validate(rule, NUMERIC, choices=CATEGORICAL)
    assert exc.value.path == where
    assert says in str(exc.value)


def test_the_rule_file_importer_refuses_a_bad_categorical_rule_naming_it(tmp_path: Path) -> None:
    data = json.loads(fixture_path().read_text(encoding="utf-8"))
    index = next(i for i, e in enumerate(data["rules"]) if e["criterion"] == "2.3-1-2")
    data["rules"][index]["rule"] = {"equals": {"fact": "director_certified", "value": "maybe"}}
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(rules.RuleError) as exc:
        read(bad)
    assert exc.value.path == f"rules[{index}].equals.value"


def test_the_api_refuses_a_bad_categorical_rule_with_the_field(cast: Cast) -> None:
    response = cast.client("qc_admin").put(
        "/api/v1/rules/2.3-1-1/",
        {"valid_from": 2027, "rule": {"one_of": {"fact": "director_title", "values": ["dean"]}}},
        format="json",
    )
    assert response.status_code == 400
    assert "one_of.values" in str(response.json()["rule"])
    assert not CriterionRule.objects.filter(valid_from=2027).exists()


@pytest.mark.django_db
def test_rules_added_to_the_fixture_reach_a_database_loaded_before_them() -> None:
    CriterionRule.objects.filter(criterion__code__in=["2.3-1-1", "2.3-1-2"]).delete()
    kept = CriterionRule.objects.get(criterion__code="2.1-1", valid_from=2011)
    kept.note = "质控中心修改"
    kept.save()
    ensure_builtin_rules()
    assert set(
        CriterionRule.objects.filter(criterion__code__in=["2.3-1-1", "2.3-1-2"]).values_list(
            "criterion__code", flat=True
        )
    ) == {"2.3-1-1", "2.3-1-2"}
    kept.refresh_from_db()
    assert kept.note == "质控中心修改"  # never overwritten
