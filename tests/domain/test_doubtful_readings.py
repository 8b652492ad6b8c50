"""Issue 14 item 3: the doubtful readings made visible and switchable.

- 2.1-3-2, seed 001: "4 张床配备 2 名 5 张床配备 5 名 8 张床,在 5 名基础上每增加 2 张床增加 1 名14 张床,在 5 名
  基础上每增加 4 张床增加 1 名" — the signs before 8 and 14 were lost; ≥ and ≤ differ at 7, 10–14 beds.
- Seed 001, remarks of 1.1-1-3, 1.2-3-1, 1.4-2-1: "二级医院提倡开展，三级医院必须开展".
- 2.1-1, seed 001: "1-1-2 或按手术科室床位定编 … 1-1-3 或按手术例次数定编"; remark: "卫生部对三级医院的麻醉医师
  人数与手术台比例的要求为1:2".
"""

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from audit.models import AuditEvent
from departments import rules
from departments.builtin import fixture_path, read
from departments.facts import labels
from departments.models import CriterionRule
from departments.selectors import rules_for_year
from tests.conftest import Cast

RESOLVED = {e["criterion"]: e for e in read(fixture_path())["rules"]}
L3A, L2A, L2B = rules.Context(level="3A"), rules.Context(level="2A"), rules.Context(level="2B")


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    with translation.override("zh-hans"):
        yield


def judge(rule: Any, ctx: rules.Context, **facts: Any) -> rules.Outcome:
    return rules.evaluate(rule, facts, ctx, labels())


# ------------------------------------------------------------ 2.1-3-2 --

GE = {4: 2, 5: 5, 6: 5, 7: 5, 8: 6, 9: 6, 10: 7, 11: 7, 12: 8, 13: 8, 14: 9}
LE = {4: 2, 5: 5, 6: 5, 7: 6, 8: 6, 9: 6, 10: 6, 11: 6, 12: 6, 13: 7, 14: 7}


@pytest.mark.parametrize("beds", sorted(GE))
def test_the_two_readings_of_the_aicu_doctor_rule(beds: int) -> None:
    readings = RESOLVED["2.1-3-2"]["readings"]
    for key, table in (("ge", GE), ("le", LE)):
        outcome = judge(readings[key]["rule"], L3A, aicu_beds=beds, aicu_doctors=0)
        assert outcome.need == table[beds], (key, beds)


def test_they_differ_exactly_at_7_and_10_to_14_beds() -> None:
    assert sorted(b for b in GE if GE[b] != LE[b]) == [7, 10, 11, 12, 13, 14]
    assert (GE[14], LE[14]) == (9, 7)  # "14 beds: 9 doctors against 7"


def test_todays_reading_is_the_default_and_both_are_marked_doubtful() -> None:
    entry = RESOLVED["2.1-3-2"]
    assert entry["reading"] == "ge" and entry["doubtful"] is True
    assert entry["rule"] == entry["readings"]["ge"]["rule"]


@pytest.mark.django_db
def test_the_profile_and_the_criterion_show_the_mark(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.head_a)
    page = client.get(f"/hospitals/{cast.hospital_a.pk}/profile/2026/").content.decode()
    item = page[page.index('data-code="2.1-3-2"') :]
    item = item[: item.index("</li>")]
    assert "解读待质控中心确认" in item and "现用解读" in item and "另一解读" in item


@pytest.mark.django_db
def test_a_qc_admin_chooses_a_reading_from_a_year_on_audited(cast: Cast) -> None:
    response = cast.client("qc_admin").put(
        "/api/v1/rules/2.1-3-2/",
        {"valid_from": 2026, "reading": "le", "reason": "质控中心 2026 年会议确认"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["reading"], body["doubtful"], body["valid_from"]) == ("le", False, 2026)
    assert set(body["readings"]) == {"ge", "le"}
    standard_id = CriterionRule.objects.get(criterion__code="2.1-3-2", valid_from=2011).criterion.standard_id
    in_force = {r.criterion.code: r for r in rules_for_year(standard_id, 2026)}["2.1-3-2"]
    assert in_force.reading == "le"
    earlier = {r.criterion.code: r for r in rules_for_year(standard_id, 2025)}["2.1-3-2"]
    assert (earlier.reading, earlier.doubtful) == ("ge", True)  # versioned by valid_from
    event = AuditEvent.objects.filter(action="rule.set").latest("id")
    assert event.reason == "质控中心 2026 年会议确认"
    assert event.after["reading"] == "le" and event.actor == cast.qc_admin


@pytest.mark.django_db
def test_an_unknown_reading_is_refused_naming_the_field(cast: Cast) -> None:
    response = cast.client("qc_admin").put(
        "/api/v1/rules/2.1-3-2/", {"valid_from": 2026, "reading": "xx"}, format="json"
    )
    assert response.status_code == 400 and "reading" in response.json()
    response = cast.client("qc_admin").put("/api/v1/rules/2.1-1/", {"valid_from": 2026, "reading": "le"}, format="json")
    assert response.status_code == 400 and "reading" in response.json()
    assert not CriterionRule.objects.filter(valid_from=2026).exists()


@pytest.mark.django_db
def test_only_a_qc_admin_may_choose(cast: Cast) -> None:
    for who in ("inspector", "head_a"):
        response = cast.client(who).put("/api/v1/rules/2.1-3-2/", {"valid_from": 2026, "reading": "le"}, format="json")
        assert response.status_code == 403


# ------------------------------------------------------- 二级医院提倡 --


@pytest.mark.parametrize("code", ["1.4-2-1", "1.4-2-2", "2.1-4-1", "2.1-4-2", "2.1-3-1"])
def test_a_level_2_hospital_without_the_item_is_told_it_is_encouraged_not_unmet(code: str) -> None:
    rule = RESOLVED[code]["rule"]
    lacking = {
        "1.4-2-1": {"pain_clinic_area": 10},
        "1.4-2-2": {"pain_ward_beds": 2, "pain_ward_area_per_bed": 3},
        "2.1-4-1": {"pain_clinic_doctors": 0, "pain_clinic_nurses": 0},
        "2.1-4-2": {"pain_ward_beds": 10, "pain_ward_doctors": 0, "pain_ward_nurses": 0},
        "2.1-3-1": {"aicu_beds": 4, "aicu_nurses": 1},
    }[code]
    for ctx in (L2A, L2B):
        outcome = judge(rule, ctx, **lacking)
        assert (outcome.met, outcome.text) == (None, "二级医院提倡，不作要求"), code
    assert judge(rule, L3A, **lacking).met is False  # 三级医院必须开展


def test_a_level_2_hospital_that_has_it_is_met() -> None:
    assert judge(RESOLVED["1.4-2-1"]["rule"], L2A, pain_clinic_area=60).met is True
    assert judge(RESOLVED["2.1-4-1"]["rule"], L2B, pain_clinic_doctors=1, pain_clinic_nurses=2).met is True


def test_the_encouraged_rule_is_stated_once_in_the_data() -> None:
    data = json.loads(Path(fixture_path()).read_text(encoding="utf-8"))
    assert data["encouraged"]["text"] == "二级医院提倡，不作要求"
    assert "二级医院提倡开展，三级医院必须开展" in data["encouraged"]["source"]
    text = json.dumps(data["rules"], ensure_ascii=False)
    assert "二级医院提倡" not in text and "encouraged" not in text  # nowhere else


# ------------------------------------------------------------- 2.1-1 --


def test_2_1_1_says_which_method_counts_and_the_1_to_2_ratio_as_information() -> None:
    rule = RESOLVED["2.1-1"]["rule"]
    outcome = judge(
        rule, L3A, clinical_staff=10, or_tables=6, non_or_tables=0, surgical_beds=100, operations_per_year=0
    )
    assert outcome.met is True  # 12 by tables is not met, 8 by beds is: "或" — one method is enough
    lines = outcome.lines()
    assert lines[0].startswith("满足其一：按手术科室床位定编")
    assert (
        lines[1]
        == "手术台与临床麻醉人员之比（备注：卫生部对三级医院的要求为 1:2）：现为 1:1.67（仅供参考，不计入评定）"
    )


# --------------------------------------------------- the rules file importer --


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["encouraged"].update(levels=["2C"]), "encouraged.levels"),
        (lambda d: d["encouraged"]["criteria"].append("9.9-9"), "encouraged.criteria"),
        (lambda d: d["encouraged"].update(colour="red"), "encouraged"),
        (lambda d: d["rules"][_at(d, "2.1-3-2")].update(reading="lt"), "rules[{i}].reading"),
        (lambda d: d["rules"][_at(d, "2.1-3-2")].update(doubtful="yes"), "rules[{i}].doubtful"),
        (
            lambda d: d["rules"][_at(d, "2.1-3-2")]["readings"]["le"].update(rule={"step": {}}),
            "rules[{i}].readings.le.rule.step",
        ),
        (lambda d: d["rules"][_at(d, "2.1-3-2")].update(colour="red"), "rules[{i}]"),
    ],
)
def test_a_rules_file_with_a_bad_new_field_is_refused_naming_it(tmp_path: Path, change: Any, where: str) -> None:
    data = json.loads(Path(fixture_path()).read_text(encoding="utf-8"))
    change(data)
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(rules.RuleError) as exc:
        read(bad)
    assert exc.value.path == where.format(i=_at(data, "2.1-3-2"))


def _at(data: dict[str, Any], code: str) -> int:
    return next(i for i, e in enumerate(data["rules"]) if e["criterion"] == code)


@pytest.mark.django_db
def test_a_database_loaded_before_gets_the_new_rules_unless_the_qc_centre_changed_them() -> None:
    import importlib

    from django.apps import apps as global_apps

    migration = importlib.import_module("departments.migrations.0002_rule_readings_encouraged")
    CriterionRule.objects.filter(criterion__code="2.1-3-2", valid_from=2011).update(
        rule=migration.OLD["2.1-3-2"], readings={}, reading="", doubtful=False
    )
    CriterionRule.objects.filter(criterion__code="1.4-2-2", valid_from=2011).update(
        rule={"needs": {"fact": "pain_ward_beds", "at_least": 8}}
    )
    migration.update(global_apps, None)
    updated = CriterionRule.objects.get(criterion__code="2.1-3-2", valid_from=2011)
    assert (updated.reading, updated.doubtful, set(updated.readings)) == ("ge", True, {"ge", "le"})
    kept = CriterionRule.objects.get(criterion__code="1.4-2-2", valid_from=2011)
    assert kept.rule == {"needs": {"fact": "pain_ward_beds", "at_least": 8}}


# ------------------------------------------------------- the qc_admin page --


@pytest.mark.django_db
def test_the_qc_admin_page_chooses_a_reading_and_switches_levels(cast: Cast) -> None:
    from scoring.models import Criterion

    client = Client()
    client.force_login(cast.qc_admin)
    page = client.get("/profiles/rule-settings/").content.decode()
    assert 'data-code="2.1-3-2"' in page and "解读待质控中心确认" in page
    refused = client.post("/profiles/rule-settings/readings/2.1-3-2/", {"reading": "le", "valid_from": "20x6"})
    assert refused.status_code == 400 and "起始年度" in refused.content.decode()
    done = client.post(
        "/profiles/rule-settings/readings/2.1-3-2/", {"reading": "le", "valid_from": "2026", "reason": "会议确认"}
    )
    assert done.status_code == 302
    assert CriterionRule.objects.get(criterion__code="2.1-3-2", valid_from=2026).reading == "le"
    no_reason = client.post("/profiles/rule-settings/levels/", {"criterion": "2.2-1", "levels": ["2A"]})
    assert no_reason.status_code == 400 and "理由" in no_reason.content.decode()
    client.post("/profiles/rule-settings/levels/", {"criterion": "2.2-1", "levels": ["2A", "2B"], "reason": "仅三级"})
    assert Criterion.objects.get(standard__code="cq2011", code="2.2-1").not_applicable_levels == ["2A", "2B"]
    assert (
        "2.2-1"
        in client.get("/profiles/rule-settings/").content.decode().split('data-testid="not-applicable"')[1][:200]
    )


@pytest.mark.django_db
def test_the_api_evaluation_names_the_method_met_and_the_reading(cast: Cast) -> None:
    client = cast.client("head_a")
    facts = {"clinical_staff": 10, "or_tables": 6, "non_or_tables": 0, "surgical_beds": 100, "operations_per_year": 0}
    assert (
        client.put(
            f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/2026/", {"facts": facts}, format="json"
        ).status_code
        == 200
    )
    body = client.get(f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/2026/evaluations/").json()
    staffing = next(e for e in body if e["criterion"] == "2.1-1")
    assert staffing["suggested_rating"] == "met"
    (any_part, info) = staffing["outcome"]["parts"]
    assert any_part["met_by"].startswith("按手术科室床位定编")
    assert "1:1.67" in info["text"]
    aicu = next(e for e in body if e["criterion"] == "2.1-3-2")
    assert (aicu["reading"], aicu["doubtful"]) == ("ge", True)
