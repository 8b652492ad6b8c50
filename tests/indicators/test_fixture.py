"""The shipped indicator definitions (fixtures/indicators.json) against their sources (no database).

The seeds live outside the repository (../shared/seeds), so the phrases the fixture quotes are copied
here as constants; when the seeds are present, a further test checks the constants against them.
"""

import csv
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from indicators.models import CASE_FLAGS as MODEL_CASE_FLAGS
from indicators.models import AnesthesiaType

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "indicators.json"
SKELETON = ROOT / "fixtures" / "cq2011-skeleton.csv"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

DATA: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
SETS: list[dict[str, Any]] = DATA["sets"]
INDICATORS: dict[str, dict[str, Any]] = {i["code"]: i for s in SETS for i in s["indicators"]}
SET_OF: dict[str, dict[str, Any]] = {i["code"]: s for s in SETS for i in s["indicators"]}
SIDES = [(code, side) for code in INDICATORS for side in ("numerator", "denominator")]

# The case import schema, read from the case model: nothing else may appear in a "cases" filter.
ANESTHESIA_TYPES = set(AnesthesiaType.values)
NEURAXIAL_SUBTYPES = {"epidural", "spinal", "combined_spinal_epidural"}
CASE_FLAGS = set(MODEL_CASE_FLAGS)
CASE_FIELDS = {"anesthesia_type", "asa"} | CASE_FLAGS
UNITS = {"percent", "permille", "ratio", "per_10000"}
DIRECTIONS = {"higher", "lower"}
COMPARATORS = {"ge", "le", "eq"}
LEVELS = {"3A", "3B", "2A", "2B"}
SCALE = {"percent": 100, "permille": 1000}

# Targets as the sources set them (None: the source sets no fixed value).
EXPECTED_TARGETS: dict[str, tuple[str, str] | None] = {
    "cq2011.nerve_block_success": ("ge", "93"),
    "cq2011.epidural_success": ("ge", "93"),
    "cq2011.anesthesia_mortality": ("le", "0.01"),
    "cq2011.post_spinal_headache": ("le", "10"),
    "cq2011.invasive_anesthesia_infection": ("le", "0.1"),
    "cq2011.invasive_monitoring_infection": ("le", "0.1"),
    "cq2011.dural_puncture": ("le", "0.5"),
    "cq2011.epidural_vessel_injury": ("le", "1"),
    "cq2011.neuraxial_neuro_complication": ("le", "0.02"),
    "cq2011.paraplegia": ("le", "0.001"),
    "labor_analgesia_2025.neuraxial_labor_analgesia_rate": None,
    "labor_analgesia_2025.pain_relief_1h": None,
    "labor_analgesia_2025.neonatal_asphyxia": None,
    "labor_analgesia_2025.satisfaction": None,
    # Seed 003: "围手术期死亡、手术并发症、麻醉并发症等负性事件发生率进一步下降": a trend, no value (issue 14).
    "surgical_safety_2023.perioperative_mortality": None,
    "surgical_safety_2023.surgical_complication": None,
    "surgical_safety_2023.anesthesia_complication": None,
    "surgical_safety_2023.unplanned_return_to_or": ("le", "1.8"),
    "surgical_safety_2023.postop_acquired_conditions": ("le", "7.5"),
    "surgical_safety_2023.intraop_hypothermia": None,
    "surgical_safety_2023.class1_incision_antibiotic_prophylaxis": None,
    "surgical_safety_2023.day_surgery_share": None,
    "surgical_safety_2023.level4_mdt_discussion": ("ge", "100"),
    "workforce_2019.anesthesiologist_surgeon_ratio": None,
    "workforce_2019.anesthesiologists_per_10000": ("ge", "0.65"),
}
EXPECTED_UNITS = {
    "surgical_safety_2023.unplanned_return_to_or": "permille",
    "surgical_safety_2023.postop_acquired_conditions": "permille",
    "workforce_2019.anesthesiologist_surgeon_ratio": "ratio",
    "workforce_2019.anesthesiologists_per_10000": "per_10000",
}
EXPECTED_DIRECTIONS = {
    "labor_analgesia_2025.neuraxial_labor_analgesia_rate": "higher",
    "labor_analgesia_2025.pain_relief_1h": "higher",
    "labor_analgesia_2025.neonatal_asphyxia": "lower",
    "labor_analgesia_2025.satisfaction": "higher",
    "surgical_safety_2023.intraop_hypothermia": "lower",
    "surgical_safety_2023.class1_incision_antibiotic_prophylaxis": "lower",
    "surgical_safety_2023.day_surgery_share": "higher",
    "workforce_2019.anesthesiologist_surgeon_ratio": "higher",
}
EXPECTED_CRITERIA = {
    "cq2011.nerve_block_success": ["4.2-1-1"],
    "cq2011.epidural_success": ["4.2-2-1"],
    "cq2011.anesthesia_mortality": ["4.2-3-1"],
    "cq2011.post_spinal_headache": ["4.2-4-1"],
    "cq2011.invasive_anesthesia_infection": ["4.2-4-2"],
    "cq2011.invasive_monitoring_infection": ["4.2-4-2"],
    "cq2011.dural_puncture": ["4.2-4-3"],
    "cq2011.epidural_vessel_injury": ["4.2-4-3"],
    "cq2011.neuraxial_neuro_complication": ["4.2-4-4"],
    "cq2011.paraplegia": ["4.2-4-4"],
}
NEURAXIAL_INDICATORS = ("cq2011.neuraxial_neuro_complication", "cq2011.paraplegia")

# Words of each numerator and denominator that the quoted source must contain too.
KEY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cq2011.nerve_block_success": (("神经阻滞", "成功例数"), ("同期", "神经阻滞", "总例数")),
    "cq2011.epidural_success": (("硬膜外阻滞", "成功例数"), ("同期", "硬膜外阻滞", "总例数")),
    "cq2011.anesthesia_mortality": (("麻醉相关死亡", "病例数"), ("同期", "麻醉", "总例数")),
    "cq2011.post_spinal_headache": (("腰麻后头痛", "发生例数"), ("同期", "腰麻", "总例数")),
    "cq2011.invasive_anesthesia_infection": (("有创性麻醉操作", "感染", "例数"), ("同期", "有创性麻醉操作", "总数")),
    "cq2011.invasive_monitoring_infection": (("有创性监测操作", "感染", "例数"), ("同期", "有创性监测操作", "总数")),
    "cq2011.dural_puncture": (("硬膜外麻醉", "硬脊膜穿破", "例数"), ("同期", "硬膜外麻醉", "总例数")),
    "cq2011.epidural_vessel_injury": (("硬膜外麻醉", "血管损伤", "例数"), ("同期", "硬膜外麻醉", "总例数")),
    "cq2011.neuraxial_neuro_complication": (("椎管内", "并发症", "发生例数"), ("同期", "椎管内", "总例数")),
    "cq2011.paraplegia": (("椎管内", "截瘫"), ("同期", "椎管内", "总例数")),
    "labor_analgesia_2025.neuraxial_labor_analgesia_rate": (
        ("实施椎管内分娩镇痛人次数", "剖宫产"),
        ("年度阴道分娩人次数",),
    ),
    "labor_analgesia_2025.pain_relief_1h": (
        ("椎管内分娩镇痛实施后一小时VAS评分≤3的产妇",),
        ("实施椎管内分娩镇痛人次数", "剖宫产"),
    ),
    "labor_analgesia_2025.neonatal_asphyxia": (
        ("接受分娩镇痛的产妇分娩出现新生儿窒息数量",),
        ("接受分娩镇痛的产妇分娩新生儿总数",),
    ),
    "labor_analgesia_2025.satisfaction": (("接受分娩镇痛产妇满意人次数",), ("接受分娩镇痛产妇人次数", "剖宫产")),
    "surgical_safety_2023.perioperative_mortality": (("围手术期死亡",), ("手术",)),
    "surgical_safety_2023.surgical_complication": (("手术并发症",), ("手术",)),
    "surgical_safety_2023.anesthesia_complication": (("麻醉并发症",), ("麻醉",)),
    "surgical_safety_2023.unplanned_return_to_or": (("非计划重返手术室再手术",), ("手术",)),
    "surgical_safety_2023.postop_acquired_conditions": (("手术后获得性指标",), ("手术",)),
    "surgical_safety_2023.intraop_hypothermia": (("手术麻醉期间低体温",), ("麻醉",)),
    "surgical_safety_2023.class1_incision_antibiotic_prophylaxis": (("I类切口手术", "抗菌药物"), ("I类切口手术",)),
    "surgical_safety_2023.day_surgery_share": (("日间手术",), ("择期手术",)),
    "surgical_safety_2023.level4_mdt_discussion": (("四级手术", "多学科讨论"), ("四级手术",)),
    "workforce_2019.anesthesiologist_surgeon_ratio": (("麻醉科医师",), ("手术科室医师",)),
    "workforce_2019.anesthesiologists_per_10000": (("麻醉医师数",), ("人口",)),
}

# Minimal snippets of the seeds, copied verbatim (the PDF extraction lost ≥/≤ and flattened fractions).
SEED_SNIPPETS: dict[str, tuple[str, ...]] = {
    "000": (
        "三级 综合医院麻醉科医师和手术科室医师比例逐步达到1:3。二级及以下综合医院可以根据诊疗情况合理确定比例，"
        "但不低于1:5。专科医院根据需要合理确定比例。",
        "力争到2020年， 全市每万人口麻醉医师数达到0.65人以上；到2030年，全市每万人口麻醉医师达到1人；"
        "到2035 年，麻醉医师数稳定增长，每万人口麻醉医师数达到1人以上并保持稳定。",
    ),
    "001": (
        "2-1 神经阻滞麻醉成功率 2-1-1 标准:93%",
        "2-2 硬膜外阻滞成功率 2-1-2 标准:93%",
        "2-3 麻醉相关死亡率 2-1-3 标准:0.01%",
        "2-4-1 腰麻后头痛发生率 标准:10%",
        "2-4-2-1 有创性麻醉操作感染发生率标准:0.1%",
        "2-4-2-2 有创性监测操作感染发生率标准:0.1%",
        "硬膜外麻醉硬脊膜穿破发生率标准:0.5%",
        "2-4-3-2 硬膜外麻醉血管损伤操作发生率标准:1%",
        "2-4-4 椎管内麻醉神经并发症发生率 标准:0.02%(其中截瘫发生率应0.001%)",
        "计算公式:同期神经阻滞总例数神经阻滞成功例数100%",
        "计算公式:同期硬膜外阻滞总例数硬膜外阻滞成功例数100%",
        "计算公式:同期麻醉总例数麻醉相关死亡病例数100%",
        "计算公式:同期腰麻后头痛总例数腰麻后头痛发生例数100%",
        "计算公式:例数同期有创性麻醉操作总数有创性麻醉操作感染例100%",
        "计算公式:例数同期有创性监测操作总数有创性监测操作感染例100%",
        "计算公式:同期硬膜外麻醉总例数例数硬膜外麻醉硬脊膜穿破100%",
        "计算公式:同期硬膜外麻醉总例数生例数硬膜外麻醉血管损伤发100%",
        "计算公式:发症总例数同期椎管内神经麻醉并发生例数椎管内神经麻醉并发症100%",
    ),
    "002": (
        "一、椎管内分娩镇痛率 【计算方法】实施椎管内分娩镇痛人次数/年度阴道分娩人次数×100%。",
        "二、椎管内分娩镇痛实施后一小时产妇疼痛缓解率 【计算方法】椎管内分娩镇痛实施后一小时VAS评分≤3的产妇"
        "/实施椎管内分娩镇痛人次数×100%。",
        "三、新生儿窒息率 【计算方法】接受分娩镇痛的产妇分娩出现新生儿窒息数量/接受分娩镇痛的产妇分娩新生儿总数×100%。"
        " 【指标说明】通过新生儿阿普加评分(Apgar)检查新生儿娩出后身体状况。",
        "四、分娩镇痛产妇满意度 【计算方法】接受分娩镇痛产妇满意人次数/接受分娩镇痛产妇人次数×100%。",
        "注:评估指标涉及的“分娩镇痛人次数”均包含经阴道试产并实施镇痛后，因符合剖宫产指征后转为剖宫产的人次数。",
    ),
    "003": (
        "到2025年末，住院患者围手术期死亡、手术并发症、麻醉并发症等负性事件发生率进一步下降，"
        "非计划重返手术室再手术率不高于1.8‰，住院患者手术后获得性指标发生率不高于7.5‰，"
        "手术麻醉期间低体温发生率、I类切口手术抗菌药物预防使用率进一步降低，手术相关不良事件上报进一步规范，"
        "日间手术占择期手术的比例进一步提高，四级手术术前多学科讨论制度得到全面落实。",
        "对于四级、疑难高危手术应进行多学科讨论",
    ),
}


def squeeze(text: str) -> str:
    """The text without whitespace, as the PDF extraction scattered it."""
    return re.sub(r"\s+", "", text)


def test_file_is_utf8_json_with_two_space_indent_and_no_escapes() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    assert text == json.dumps(DATA, ensure_ascii=False, indent=2) + "\n"
    assert DATA["format"] == "anesqc-indicators/1"


def test_set_and_indicator_codes_are_unique_and_prefixed_by_their_set() -> None:
    set_codes = [s["code"] for s in SETS]
    codes = [i["code"] for s in SETS for i in s["indicators"]]
    assert len(set_codes) == len(set(set_codes))
    assert len(codes) == len(set(codes))
    assert set_codes == ["cq2011", "labor_analgesia_2025", "surgical_safety_2023", "workforce_2019"]
    for code, indicator_set in SET_OF.items():
        assert code.startswith(indicator_set["code"] + ".")


def test_each_set_names_its_source_and_seed() -> None:
    assert {s["code"]: s["source_seed"] for s in SETS} == {
        "cq2011": "001",
        "labor_analgesia_2025": "002",
        "surgical_safety_2023": "003",
        "workforce_2019": "000",
    }
    for s in SETS:
        assert s["name"]
        assert s["source"]
        assert s["indicators"]


@pytest.mark.parametrize("code", INDICATORS)
def test_unit_direction_target_and_minimum_are_well_formed(code: str) -> None:
    ind = INDICATORS[code]
    assert ind["name"]
    assert ind["definition"]
    assert ind["unit"] in UNITS
    assert ind["direction"] in DIRECTIONS
    assert isinstance(ind["min_denominator"], int)
    assert ind["min_denominator"] >= 1
    assert isinstance(ind["criteria"], list)
    targets = [ind["target"], *ind["level_targets"].values()]
    assert set(ind["level_targets"]) <= LEVELS
    for target in targets:
        if target is None:
            continue
        assert target["comparator"] in COMPARATORS
        assert isinstance(target["value"], str)
        try:
            Decimal(target["value"])
        except InvalidOperation:
            pytest.fail(f"{code}: target value {target['value']!r} is not a decimal")


@pytest.mark.parametrize(("code", "side"), SIDES)
def test_case_filters_use_only_the_import_schema(code: str, side: str) -> None:
    part = INDICATORS[code][side]
    assert part["text"]
    cases = part["cases"]
    if cases is None:
        return
    assert isinstance(cases, dict)
    assert set(cases) <= CASE_FIELDS
    for field, value in cases.items():
        if field == "anesthesia_type":
            assert isinstance(value, list)
            assert value
            assert set(value) <= ANESTHESIA_TYPES
        elif field == "asa":
            assert isinstance(value, list)
            assert all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 6 for v in value)
        else:
            assert isinstance(value, bool)


def test_case_fields_document_exactly_the_import_schema() -> None:
    assert set(DATA["case_fields"]) == CASE_FIELDS
    assert all(isinstance(text, str) and text for text in DATA["case_fields"].values())


@pytest.mark.parametrize("code", INDICATORS)
def test_numerator_cases_are_a_subset_of_denominator_cases(code: str) -> None:
    numerator, denominator = INDICATORS[code]["numerator"]["cases"], INDICATORS[code]["denominator"]["cases"]
    if numerator is None or denominator is None:
        return
    # Every denominator condition also holds for the numerator, so numerator ≤ denominator.
    assert {k: v for k, v in numerator.items() if k in denominator} == denominator


def test_targets_are_exactly_those_the_sources_set() -> None:
    assert set(INDICATORS) == set(EXPECTED_TARGETS)
    for code, expected in EXPECTED_TARGETS.items():
        target = INDICATORS[code]["target"]
        if expected is None:
            assert target is None, code
        else:
            assert (target["comparator"], Decimal(target["value"])) == (expected[0], Decimal(expected[1])), code


def test_units_and_directions_where_the_sources_fix_them() -> None:
    for code, unit in EXPECTED_UNITS.items():
        assert INDICATORS[code]["unit"] == unit, code
    for code in INDICATORS:
        if code not in EXPECTED_UNITS:
            assert INDICATORS[code]["unit"] == "percent", code
    for code, direction in EXPECTED_DIRECTIONS.items():
        assert INDICATORS[code]["direction"] == direction, code


@pytest.mark.parametrize("code", INDICATORS)
def test_a_target_points_the_way_of_its_direction(code: str) -> None:
    ind = INDICATORS[code]
    for target in [ind["target"], *ind["level_targets"].values()]:
        if target is not None:
            assert target["comparator"] == {"higher": "ge", "lower": "le"}[ind["direction"]]


def test_anesthesiologist_surgeon_ratio_by_level() -> None:
    ind = INDICATORS["workforce_2019.anesthesiologist_surgeon_ratio"]
    level_targets = {level: (t["comparator"], Decimal(t["value"])) for level, t in ind["level_targets"].items()}
    assert level_targets == {
        "3A": ("ge", Decimal("0.3333")),
        "3B": ("ge", Decimal("0.3333")),
        "2A": ("ge", Decimal("0.2")),
        "2B": ("ge", Decimal("0.2")),
    }
    # Exactly 1:3 and 1:5 meet their targets; the definition states the value's meaning.
    assert Decimal(1) / Decimal(3) >= level_targets["3A"][1]
    assert Decimal(1) / Decimal(5) >= level_targets["2A"][1]
    assert "麻醉科医师数 ÷ 手术科室医师数" in ind["definition"]


def test_anesthesiologists_per_10000_is_the_2020_figure_and_no_2025_one_is_invented() -> None:
    ind = INDICATORS["workforce_2019.anesthesiologists_per_10000"]
    assert ind["target_year"] == 2020
    assert [m["year"] for m in ind["milestones"]] == [2020, 2030, 2035]
    assert "未设2025年目标" in ind["definition"]


def test_cq2011_indicators_feed_their_criteria_and_no_other_set_does() -> None:
    for code, ind in INDICATORS.items():
        assert ind["criteria"] == EXPECTED_CRITERIA.get(code, []), code


def test_every_process_quality_criterion_of_the_skeleton_is_fed() -> None:
    with SKELETON.open(encoding="utf-8", newline="") as f:
        process = {row["code"] for row in csv.DictReader(f) if row["code"].startswith("4.2-")}
    assert process == {"4.2-1-1", "4.2-2-1", "4.2-3-1", "4.2-4-1", "4.2-4-2", "4.2-4-3", "4.2-4-4"}
    fed = {c for ind in INDICATORS.values() for c in ind["criteria"]}
    assert process <= fed


@pytest.mark.parametrize("code", NEURAXIAL_INDICATORS)
def test_neuraxial_indicators_list_every_neuraxial_type(code: str) -> None:
    for side in ("numerator", "denominator"):
        assert set(INDICATORS[code][side]["cases"]["anesthesia_type"]) >= NEURAXIAL_SUBTYPES


def test_labor_analgesia_counts_include_trials_of_labor_converted_to_caesarean() -> None:
    for code, side in SIDES:
        if not code.startswith("labor_analgesia_2025."):
            continue
        part = INDICATORS[code][side]
        cases = part["cases"]
        if cases is not None:
            assert cases == {"labor_analgesia": True}, (code, side)
            assert "转为剖宫产" in part["text"], (code, side)
    assert INDICATORS["labor_analgesia_2025.neuraxial_labor_analgesia_rate"]["denominator"]["cases"] is None


@pytest.mark.parametrize("code", [c for c, ind in INDICATORS.items() if ind["target"] and ind["direction"] == "lower"])
def test_rare_event_minimum_is_where_one_event_no_longer_breaches_the_target(code: str) -> None:
    ind = INDICATORS[code]
    expected = max(30, math.ceil(Decimal(SCALE[ind["unit"]]) / Decimal(ind["target"]["value"])))
    assert ind["min_denominator"] == expected


@pytest.mark.parametrize("code", INDICATORS)
def test_numerator_and_denominator_words_are_in_the_quoted_source(code: str) -> None:
    ind = INDICATORS[code]
    quoted = squeeze("".join(ind["source_quotes"]))
    numerator_words, denominator_words = KEY_WORDS[code]
    for side, words in (("numerator", numerator_words), ("denominator", denominator_words)):
        text = squeeze(ind[side]["text"])
        for word in words:
            assert word in text, (code, side, word)
            assert word in quoted, (code, side, word)


@pytest.mark.parametrize("code", INDICATORS)
def test_quotes_are_verbatim_seed_snippets(code: str) -> None:
    ind = INDICATORS[code]
    snippets = [squeeze(s) for s in SEED_SNIPPETS[SET_OF[code]["source_seed"]]]
    assert ind["source_quotes"]
    for quote in ind["source_quotes"]:
        assert any(squeeze(quote) in snippet for snippet in snippets), (code, quote)


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="the shared seeds are not checked out here")
def test_seed_snippets_are_in_the_shared_seeds() -> None:
    for seed, snippets in SEED_SNIPPETS.items():
        (path,) = SHARED_SEEDS.glob(f"{seed}_*.txt")
        text = squeeze(path.read_text(encoding="utf-8"))
        for snippet in snippets:
            assert squeeze(snippet) in text, (seed, snippet)
