"""The rule language and every shipped rule of cq2011: boundaries, alternatives, steps, level variants."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from departments import rules
from departments.builtin import fixture_path, read
from departments.facts import CATEGORICAL, NUMERIC, SUPPLY, labels

RULES: dict[str, Any] = {entry["criterion"]: entry["rule"] for entry in read(fixture_path())["rules"]}
L3A = rules.Context(level="3A")
L3B = rules.Context(level="3B")
L2A = rules.Context(level="2A")
KEY = rules.Context(level="3B", key_specialty=True)
TEACHING = rules.Context(level="3A", teaching=True)


def judge(code: str, ctx: rules.Context = L3A, **facts: Any) -> rules.Outcome:
    return rules.evaluate(RULES[code], facts, ctx, labels())


def test_the_table_of_the_issue_is_covered() -> None:
    required = {
        "1.2-3-2", "1.4-2-1", "1.4-2-2", "2.1-1", "2.1-2-1", "2.1-2-2", "2.1-3-1", "2.1-3-2", "2.1-4-1", "2.1-4-2",
        "3.1-2-1", "3.1-3", "3.1-12-1", "3.1-14-1", "3.1-16-1", "3.1-17-1", "3.2-1-1", "3.2-2-1", "3.2-5-1", "3.2-6-1",
    }  # fmt: skip
    assert required <= set(RULES)


def test_every_shipped_rule_names_only_profile_facts() -> None:
    for entry in read(fixture_path())["rules"]:  # resolved: each entry's rule as stored (issue 14)
        rules.validate(entry["rule"], NUMERIC, choices=CATEGORICAL)
        for reading in entry.get("readings", {}).values():
            rules.validate(reading["rule"], NUMERIC, choices=CATEGORICAL)


# ------------------------------------------------------------- boundaries --


@pytest.mark.parametrize(
    ("code", "facts", "met"),
    [
        ("3.1-2-1", {"monitors": 10, "or_tables": 10}, True),  # exactly 1.0
        ("3.1-2-1", {"monitors": 9, "or_tables": 10}, False),
        ("3.1-14-1", {"defibrillators": 1, "or_tables": 10}, True),  # exactly 1:10
        ("3.1-14-1", {"defibrillators": 1, "or_tables": 11}, False),  # 1.1 needed → 2
        ("3.1-16-1", {"blood_salvage_machines": 1}, True),
        ("3.1-16-1", {"blood_salvage_machines": 0}, False),
        ("2.1-2-1", {"rr_doctors": 2, "rr_beds": 10}, True),  # exactly 1:0.2
        ("2.1-2-1", {"rr_doctors": 1, "rr_beds": 10}, False),
        ("2.1-2-1", {"rr_doctors": 1, "rr_beds": 4}, True),  # 0.8 → 1
        ("2.1-2-2", {"rr_nurses": 5, "rr_beds": 10}, True),
        ("2.1-2-2", {"rr_nurses": 4, "rr_beds": 10}, False),
        ("2.1-3-1", {"aicu_nurses": 30, "aicu_beds": 10}, True),  # exactly 3:1
        ("2.1-3-1", {"aicu_nurses": 29, "aicu_beds": 10}, False),
        ("2.1-4-1", {"pain_clinic_doctors": 1, "pain_clinic_nurses": 2}, True),
        ("2.1-4-1", {"pain_clinic_doctors": 1, "pain_clinic_nurses": 1}, False),
        ("2.1-4-2", {"pain_ward_doctors": 2, "pain_ward_nurses": 5, "pain_ward_beds": 10}, True),
        ("2.1-4-2", {"pain_ward_doctors": 2, "pain_ward_nurses": 4, "pain_ward_beds": 10}, False),
        ("1.4-2-2", {"pain_ward_beds": 6, "pain_ward_area_per_bed": Decimal("4.0")}, True),
        ("1.4-2-2", {"pain_ward_beds": 6, "pain_ward_area_per_bed": Decimal("3.9")}, False),
        ("1.4-2-2", {"pain_ward_beds": 5, "pain_ward_area_per_bed": Decimal("8")}, False),
        ("1.4-2-1", {"pain_clinic_area": Decimal("50")}, True),
        ("1.4-2-1", {"pain_clinic_area": Decimal("49.9")}, False),
        ("3.1-17-1", {"rr_monitors": 10, "rr_ventilators": 2, "rr_beds": 10}, True),
        ("3.1-17-1", {"rr_monitors": 9, "rr_ventilators": 2, "rr_beds": 10}, False),
        ("3.2-5-1", {"general_anesthetics": 6000, "regional_anesthetics": 4000}, True),
        ("3.2-5-1", {"general_anesthetics": 6000, "regional_anesthetics": 3999}, False),
        ("3.2-6-1", {"crrt_machines": 1, "aicu_beds": 10}, True),
        ("3.2-6-1", {"crrt_machines": 1, "aicu_beds": 11}, False),
        ("3.2-2-1", {"respiratory_monitors": 1, "or_tables": 10}, True),
        ("3.2-2-1", {"respiratory_monitors": 1, "or_tables": 11}, False),
        ("3.2-1-1", {"invasive_bp_monitors": 5, "hemodynamic_monitors": 1, "or_tables": 10}, True),
        ("3.2-1-1", {"invasive_bp_monitors": 5, "hemodynamic_monitors": 0, "or_tables": 10}, False),
        ("3.2-1-1", {"invasive_bp_monitors": 4, "hemodynamic_monitors": 1, "or_tables": 10}, False),
    ],
)
def test_boundaries(code: str, facts: dict[str, Any], met: bool) -> None:
    assert judge(code, **facts).met is met


def test_the_shortfall_is_worded_with_the_numbers() -> None:
    outcome = judge("2.1-2-2", rr_nurses=3, rr_beds=10)
    assert (outcome.need, outcome.have, outcome.short) == (5, 3, 2)
    assert "需 5 名，现 3 名，缺 2 名" in outcome.text


def test_a_missing_number_gives_no_suggestion_but_a_zero_is_judged() -> None:
    assert judge("3.1-2-1", monitors=None, or_tables=10).met is None
    assert "未填写" in judge("3.1-2-1", monitors=None, or_tables=10).text
    assert judge("3.1-2-1", monitors=0, or_tables=10).met is False
    # Nothing to serve: no beds, no requirement, no suggestion.
    assert judge("2.1-3-1", aicu_nurses=0, aicu_beds=0).met is None


# ---------------------------------------------------------------- 2.1-1 --


def staffing(staff: int, ctx: rules.Context = L3A, **facts: Any) -> rules.Outcome:
    base = {"or_tables": None, "non_or_tables": None, "surgical_beds": None, "operations_per_year": None}
    return judge("2.1-1", ctx, clinical_staff=staff, **(base | facts))


def test_staffing_by_tables_exactly_1_to_2_and_1_to_1_5_passes() -> None:
    # 10 tables in the OR × 2 + 4 outside × 1.5 = 26
    tables = {"or_tables": 10, "non_or_tables": 4, "surgical_beds": 0, "operations_per_year": 0}
    assert staffing(26, **tables).met is True
    assert staffing(25, **tables).met is False
    # 24.5 needed is 25 people
    odd = {"or_tables": 10, "non_or_tables": 3, "surgical_beds": 0, "operations_per_year": 0}
    assert staffing(25, **odd).met is True and staffing(24, **odd).met is False


def test_staffing_by_beds_alone_is_enough() -> None:
    facts = {"or_tables": 50, "non_or_tables": 0, "surgical_beds": 500, "operations_per_year": 0}
    assert staffing(40, **facts).met is True  # 8 per 100 beds
    assert staffing(39, **facts).met is False


def test_staffing_by_operations_alone_is_enough() -> None:
    facts = {"or_tables": 50, "non_or_tables": 0, "surgical_beds": 5000, "operations_per_year": 12000}
    assert staffing(30, **facts).met is True  # 1 per 400
    assert staffing(29, **facts).met is False


def test_staffing_any_alternative_met_is_met_even_with_another_missing() -> None:
    assert staffing(30, or_tables=None, operations_per_year=12000).met is True
    assert staffing(10, or_tables=None, operations_per_year=12000).met is None  # the missing one might pass


def test_teaching_hospitals_need_ten_percent_more() -> None:
    tables = {"or_tables": 10, "non_or_tables": 0, "surgical_beds": 0, "operations_per_year": 0}
    assert staffing(20, L3A, **tables).met is True
    assert staffing(20, TEACHING, **tables).met is False  # 22 needed
    assert staffing(22, TEACHING, **tables).met is True
    # 26 × 1.1 = 28.6 → 29
    more = {"or_tables": 10, "non_or_tables": 4, "surgical_beds": 0, "operations_per_year": 0}
    assert staffing(28, TEACHING, **more).met is False and staffing(29, TEACHING, **more).met is True
    beds = {"or_tables": 99, "non_or_tables": 0, "surgical_beds": 500, "operations_per_year": 0}
    assert staffing(43, TEACHING, **beds).met is False and staffing(44, TEACHING, **beds).met is True


# ------------------------------------------------------------ AICU steps --


@pytest.mark.parametrize(
    ("beds", "doctors"),
    [(4, 2), (5, 5), (7, 5), (8, 6), (9, 6), (10, 7), (13, 8), (14, 9), (17, 9), (18, 10), (22, 11)],
)
def test_aicu_doctors_step_function(beds: int, doctors: int) -> None:
    assert judge("2.1-3-2", aicu_doctors=doctors, aicu_beds=beds).met is True
    assert judge("2.1-3-2", aicu_doctors=doctors - 1, aicu_beds=beds).met is False
    assert judge("2.1-3-2", aicu_doctors=0, aicu_beds=beds).need == doctors


def test_the_aicu_step_never_asks_fewer_doctors_for_more_beds() -> None:
    needs = [judge("2.1-3-2", aicu_doctors=0, aicu_beds=b).need or 0 for b in range(1, 60)]
    assert needs == sorted(needs)


# ------------------------------------------------------- level variants --


def test_rr_beds_by_level() -> None:
    facts = {"rr_beds": 3, "or_tables": 12}
    assert judge("1.2-3-2", L2A, **facts).met is True  # 1:4
    assert judge("1.2-3-2", L3B, **facts).met is False  # 1:3 needs 4
    assert judge("1.2-3-2", L3B, rr_beds=4, or_tables=12).met is True
    assert judge("1.2-3-2", KEY, rr_beds=5, or_tables=12).met is False  # key 1:2 needs 6
    assert judge("1.2-3-2", KEY, rr_beds=6, or_tables=12).met is True


def test_petco2_by_level() -> None:
    facts = {"anesthesia_machines": 10, "or_tables": 10}
    assert judge("3.1-3", L3A, petco2_monitors=9, **facts).met is False  # 三甲 1:1
    assert judge("3.1-3", L3A, petco2_monitors=10, **facts).met is True
    assert judge("3.1-3", L3B, petco2_monitors=5, **facts).met is True  # other tertiary ≥ 0.5
    assert judge("3.1-3", L3B, petco2_monitors=4, **facts).met is False
    assert judge("3.1-3", KEY, petco2_monitors=9, **facts).met is False  # key: 1:1 whatever the level
    assert judge("3.1-3", L2A, petco2_monitors=1, **facts).met is True  # secondary: has one
    assert judge("3.1-3", L2A, petco2_monitors=0, **facts).met is False


def test_difficult_airway_devices_by_level() -> None:
    assert judge("3.1-12-1", L3B, airway_device_types=2).met is True
    assert judge("3.1-12-1", L3B, airway_device_types=1).met is False
    assert judge("3.1-12-1", L2A, airway_device_types=1).met is True


def test_pain_clinic_area_is_not_asked_of_secondary_hospitals() -> None:
    assert judge("1.4-2-1", L2A, pain_clinic_area=Decimal("10")).met is None
    assert judge("1.4-2-1", L3B, pain_clinic_area=Decimal("10")).met is False


# ------------------------------------------------------------ properties --

SUPPLY_FACTS = sorted(SUPPLY & set(NUMERIC))
DEMAND = ["or_tables", "non_or_tables", "surgical_beds", "operations_per_year", "rr_beds", "aicu_beds", "pain_ward_beds", "doctors_total"]  # fmt: skip
CONTEXTS = st.builds(
    rules.Context,
    level=st.sampled_from(["3A", "3B", "2A", "2B"]),
    key_specialty=st.booleans(),
    teaching=st.booleans(),
)


def _value(name: str, n: int) -> Any:
    return Decimal(n) / 2 if name in ("pain_clinic_area", "pain_ward_area_per_bed") else n


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    ctx=CONTEXTS,
    code=st.sampled_from(sorted(RULES)),
)
def test_adding_staff_or_equipment_never_turns_a_met_rule_unmet(
    data: st.DataObject, ctx: rules.Context, code: str
) -> None:
    facts = {name: _value(name, data.draw(st.integers(0, 60), label=name)) for name in [*SUPPLY_FACTS, *DEMAND]}
    before = rules.evaluate(RULES[code], facts, ctx, labels())
    more = data.draw(st.sampled_from(SUPPLY_FACTS), label="more")
    facts[more] = facts[more] + _value(more, data.draw(st.integers(1, 20), label="by"))
    after = rules.evaluate(RULES[code], facts, ctx, labels())
    if before.met is True:
        assert after.met is True
    if before.met is not None:
        assert after.met is not None


# ------------------------------------------------------------- validation --


@pytest.mark.parametrize(
    ("rule", "where"),
    [
        ({"needs": {"fact": "unicorns", "at_least": 1}}, "needs.fact"),
        ({"needs": {"fact": "monitors"}}, "needs"),
        ({"needs": {"fact": "monitors", "of": [["or_tables", "-1"]]}}, "needs.of[0]"),
        ({"needs": {"fact": "monitors", "of": [["or_tables", 0.5]]}}, "needs.of[0]"),  # a float: exactness first
        ({"step": {"fact": "aicu_doctors", "of": "aicu_beds", "bands": [[5, 5], [4, 2]]}}, "step.bands[1]"),
        ({"by_level": {"4A": {"needs": {"fact": "monitors", "at_least": 1}}}}, "by_level"),
        ({"any": []}, "any"),
        ({"all": [{"nope": {}}]}, "all[0]"),
        ({"needs": {}, "all": []}, ""),
    ],
)
def test_a_malformed_rule_is_refused_with_where(rule: Any, where: str) -> None:
    with pytest.raises(rules.RuleError) as exc:
        rules.validate(rule, NUMERIC)
    assert exc.value.path == where
