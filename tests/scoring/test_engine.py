"""The pure scoring engine: no database, plain data in and out."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from scoring import engine
from scoring.engine import CriterionSpec, RatingInput

D = Decimal
THRESHOLDS = {"3A": D("850"), "3B": D("800"), "2A": D("700"), "2B": D("600")}
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "cq2011.json"


def cq2011_specs() -> list[CriterionSpec]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [
        CriterionSpec(
            code=c["code"],
            chapter=ch["number"],
            item=it["code"],
            max_points=D(c["max_points"]),
            veto=c["veto"],
            applies_to=c["applies_to"],
            key_specialty_weight=D(c["key_specialty_weight"]),
        )
        for ch in data["chapters"]
        for it in ch["items"]
        for c in it["criteria"]
    ]


SPECS = cq2011_specs()
BY_CODE = {c.code: c for c in SPECS}


def all_met(*, key_specialty: bool) -> dict[str, RatingInput]:
    return {
        c.code: RatingInput(engine.MET, c.max_points) for c in SPECS if engine.applies(c, key_specialty=key_specialty)
    }


def evaluate(ratings: dict[str, RatingInput], *, key_specialty: bool = False, level: str = "3A") -> engine.Result:
    return engine.evaluate(
        criteria=SPECS, ratings=ratings, key_specialty=key_specialty, level=level, thresholds=THRESHOLDS
    )


class TestResolveScore:
    def test_met_scores_the_max_points(self) -> None:
        assert engine.resolve_score(rating="met", max_points=D("15")) == D("15")

    def test_met_accepts_the_max_points_given_explicitly(self) -> None:
        assert engine.resolve_score(rating="met", max_points=D("15"), score=D("15.0")) == D("15")

    def test_unmet_scores_zero(self) -> None:
        assert engine.resolve_score(rating="unmet", max_points=D("15")) == D("0")

    def test_partial_keeps_a_half_point_score_within_range(self) -> None:
        assert engine.resolve_score(rating="partial", max_points=D("15"), score=D("7.5")) == D("7.5")

    @pytest.mark.parametrize(
        ("rating", "score", "field"),
        [
            ("met", D("14"), "score"),
            ("unmet", D("1"), "score"),
            ("partial", None, "score"),
            ("partial", D("0"), "score"),
            ("partial", D("15"), "score"),
            ("partial", D("16"), "score"),
            ("partial", D("-1"), "score"),
            ("partial", D("7.25"), "score"),
            ("partial", D("NaN"), "score"),
            ("great", None, "rating"),
        ],
    )
    def test_contradictions_are_refused_naming_the_field(self, rating: str, score: Decimal | None, field: str) -> None:
        with pytest.raises(engine.RatingError) as exc:
            engine.resolve_score(rating=rating, max_points=D("15"), score=score)
        assert exc.value.field == field
        assert exc.value.message


class TestTotals:
    def test_general_department_totals_1000_with_everything_met(self) -> None:
        result = evaluate(all_met(key_specialty=False))
        assert result.total == D("1000")
        assert result.max_total == D("1000")
        assert result.applicable == 92
        assert result.rated == 92
        assert result.outcome == engine.PASS

    def test_key_specialty_department_totals_1000_with_everything_met(self) -> None:
        result = evaluate(all_met(key_specialty=True), key_specialty=True)
        assert result.total == D("1000")
        assert result.applicable == 102
        chapter3 = next(c for c in result.chapters if c.key == "3")
        assert chapter3.score == chapter3.max_points == D("330")
        items = {i.key: i for i in result.items}
        assert items["3.1"].max_points == D("231")
        assert items["3.2"].max_points == D("99")

    def test_chapter_maxima_match_the_standard(self) -> None:
        for key_specialty in (False, True):
            result = evaluate({}, key_specialty=key_specialty)
            assert [(c.key, c.max_points) for c in result.chapters] == [
                ("1", D("180")),
                ("2", D("150")),
                ("3", D("330")),
                ("4", D("220")),
                ("5", D("120")),
            ]

    def test_general_items_count_at_seven_tenths_for_key_specialties(self) -> None:
        ratings = {"3.1-3": RatingInput(engine.PARTIAL, D("7.5"))}
        result = evaluate(ratings, key_specialty=True)
        assert result.weighted_scores["3.1-3"] == D("5.25")
        assert result.total == D("5.25")

    def test_general_items_count_in_full_for_other_departments(self) -> None:
        result = evaluate({"3.1-3": RatingInput(engine.PARTIAL, D("7.5"))}, key_specialty=False)
        assert result.total == D("7.5")

    def test_key_only_ratings_are_ignored_for_other_departments(self) -> None:
        ratings = all_met(key_specialty=False) | {"3.2-1-1": RatingInput(engine.MET, D("15"))}
        result = evaluate(ratings, key_specialty=False)
        assert result.total == D("1000")
        assert "3.2-1-1" not in result.weighted_scores

    def test_totals_are_exact_decimals_never_floats(self) -> None:
        result = evaluate(all_met(key_specialty=True), key_specialty=True)
        assert isinstance(result.total, Decimal)
        assert all(isinstance(c.score, Decimal) for c in result.chapters)


class TestOutcome:
    def test_an_unrated_applicable_criterion_makes_the_outcome_incomplete(self) -> None:
        ratings = all_met(key_specialty=False)
        del ratings["5.2-5"]
        result = evaluate(ratings)
        assert result.outcome == engine.INCOMPLETE
        assert result.unrated == ["5.2-5"]
        assert result.rated == result.applicable - 1

    def test_unmet_veto_item_fails_whatever_the_total(self) -> None:
        ratings = all_met(key_specialty=False)
        ratings["4.1-7-1"] = RatingInput(engine.UNMET, D("0"))
        result = evaluate(ratings, level="2B")
        assert result.total == D("995")
        assert result.outcome == engine.FAIL
        assert result.veto_failed == ["4.1-7-1"]

    def test_partial_on_a_veto_item_is_not_a_veto_failure(self) -> None:
        ratings = all_met(key_specialty=False)
        ratings["4.1-7-1"] = RatingInput(engine.PARTIAL, D("2.5"))
        assert evaluate(ratings).veto_failed == []

    def test_total_below_the_level_threshold_fails(self) -> None:
        ratings = all_met(key_specialty=False)
        # 160 points lost on non-veto items: 840 < 850 for 三级甲等, but ≥ 800 for 三级乙等.
        for code in ("3.1-17-1", "3.1-1-1", "3.1-10-1", "1.3-2-1", "2.1-1"):
            ratings[code] = RatingInput(engine.UNMET, D("0"))
        ratings["1.1-1-2"] = RatingInput(engine.PARTIAL, D("15"))
        result_3a = evaluate(ratings, level="3A")
        assert result_3a.total == D("840")
        assert result_3a.outcome == engine.FAIL
        assert result_3a.thresholds_met == ["3B", "2A", "2B"]
        assert result_3a.next_threshold == engine.NextThreshold(level="3A", points=D("850"), gap=D("10"))
        assert evaluate(ratings, level="3B").outcome == engine.PASS

    def test_exactly_the_threshold_passes(self) -> None:
        specs = [CriterionSpec(code="x", chapter=1, item="1.1", max_points=D("850"))]
        result = engine.evaluate(
            criteria=specs,
            ratings={"x": RatingInput(engine.MET, D("850"))},
            key_specialty=False,
            level="3A",
            thresholds=THRESHOLDS,
        )
        assert result.outcome == engine.PASS
        assert result.next_threshold is None

    def test_unknown_level_cannot_pass(self) -> None:
        result = evaluate(all_met(key_specialty=False), level="1A")
        assert result.threshold is None
        assert result.outcome == engine.FAIL

    def test_half_point_scores_add_up_exactly(self) -> None:
        ratings = all_met(key_specialty=False)
        ratings["1.1-1-2"] = RatingInput(engine.PARTIAL, D("19.5"))
        ratings["1.1-1-3"] = RatingInput(engine.PARTIAL, D("0.5"))
        assert evaluate(ratings).total == D("985")


class TestFormatting:
    @pytest.mark.parametrize(
        ("value", "text"),
        [(D("850.00"), "850"), (D("10.50"), "10.5"), (D("5.25"), "5.25"), (D("0"), "0"), (D("1E+3"), "1000")],
    )
    def test_fmt_prints_plain_decimals(self, value: Decimal, text: str) -> None:
        assert engine.fmt(value) == text


def test_the_gap_to_the_levels_own_threshold() -> None:
    ratings = all_met(key_specialty=False)
    ratings["2.1-1"] = RatingInput(engine.UNMET, D("0"))
    ratings["1.3-2-1"] = RatingInput(engine.UNMET, D("0"))
    ratings["3.1-17-1"] = RatingInput(engine.UNMET, D("0"))
    ratings["3.1-1-1"] = RatingInput(engine.UNMET, D("0"))
    result = evaluate(ratings, level="3A")  # 1000 − 130 = 870 ≥ 850
    assert (result.total, result.threshold_gap) == (D("870"), D("0"))
    ratings["3.1-10-1"] = RatingInput(engine.UNMET, D("0"))
    assert evaluate(ratings, level="3A").threshold_gap == D("5")  # 845 < 850


@pytest.mark.parametrize(
    ("veto_failed", "total", "threshold", "reasons"),
    [
        ([], "900", "850", []),
        (["4.1-7-1"], "990", "850", [engine.VETO]),
        (["4.1-7-1"], "800", "850", [engine.VETO, engine.BELOW_THRESHOLD]),
        ([], "849.5", "850", [engine.BELOW_THRESHOLD]),
        ([], "900", None, [engine.NO_THRESHOLD]),
    ],
)
def test_failure_reasons_name_the_veto_and_the_threshold(
    veto_failed: list[str], total: str, threshold: str | None, reasons: list[str]
) -> None:
    result = {"veto_failed": veto_failed, "total": total, "threshold": threshold}
    assert engine.failure_reasons(result) == reasons
