"""Properties of the engine over random ratings of the real 2011 standard (hypothesis, no database)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import engine
from scoring.engine import RatingInput

from .test_engine import SPECS, THRESHOLDS

D = Decimal


@st.composite
def rating_for(draw: st.DrawFn, max_points: Decimal) -> RatingInput:
    """Any valid rating of a criterion worth `max_points`."""
    halves = int(max_points * 2)
    verdict = draw(st.sampled_from(engine.RATINGS) if halves > 1 else st.sampled_from((engine.MET, engine.UNMET)))
    if verdict == engine.MET:
        return RatingInput(verdict, max_points)
    if verdict == engine.UNMET:
        return RatingInput(verdict, D(0))
    return RatingInput(verdict, D(draw(st.integers(min_value=1, max_value=halves - 1))) / 2)


@st.composite
def assessments(draw: st.DrawFn) -> tuple[bool, str, dict[str, RatingInput]]:
    """A department profile, a level, and ratings of any subset of the criteria."""
    key_specialty = draw(st.booleans())
    level = draw(st.sampled_from(sorted(THRESHOLDS)))
    ratings = {}
    for spec in SPECS:
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            continue  # about one criterion in ten left unrated
        ratings[spec.code] = draw(rating_for(spec.max_points))
    return key_specialty, level, ratings


def run(key_specialty: bool, level: str, ratings: dict[str, RatingInput]) -> engine.Result:
    return engine.evaluate(
        criteria=SPECS, ratings=ratings, key_specialty=key_specialty, level=level, thresholds=THRESHOLDS
    )


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_total_is_the_sum_of_weighted_scores(case: tuple[bool, str, dict[str, RatingInput]]) -> None:
    key_specialty, level, ratings = case
    result = run(key_specialty, level, ratings)
    expected = sum(
        (
            ratings[s.code].score * engine.weight(s, key_specialty=key_specialty)
            for s in SPECS
            if s.code in ratings and engine.applies(s, key_specialty=key_specialty)
        ),
        D(0),
    )
    assert result.total == expected
    assert result.total == sum((c.score for c in result.chapters), D(0))
    assert result.total == sum((i.score for i in result.items), D(0))


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_total_stays_between_0_and_1000(case: tuple[bool, str, dict[str, RatingInput]]) -> None:
    result = run(*case)
    assert D(0) <= result.total <= D(1000)
    assert result.max_total == D(1000)
    for chapter in result.chapters:
        assert D(0) <= chapter.score <= chapter.max_points


@settings(max_examples=200, deadline=None)
@given(assessments(), st.data())
def test_raising_one_rating_never_lowers_the_total(
    case: tuple[bool, str, dict[str, RatingInput]], data: st.DataObject
) -> None:
    key_specialty, level, ratings = case
    spec = data.draw(st.sampled_from(SPECS))
    before = ratings.get(spec.code)
    floor = before.score if before else D(0)
    raised = data.draw(rating_for(spec.max_points).filter(lambda r: r.score >= floor))
    after = run(key_specialty, level, {**ratings, spec.code: raised})
    assert after.total >= run(key_specialty, level, ratings).total


@settings(max_examples=200, deadline=None)
@given(assessments(), st.data())
def test_any_unmet_veto_item_means_no_pass(case: tuple[bool, str, dict[str, RatingInput]], data: st.DataObject) -> None:
    key_specialty, level, ratings = case
    veto = data.draw(st.sampled_from([s for s in SPECS if s.veto]))
    result = run(key_specialty, level, {**ratings, veto.code: RatingInput(engine.UNMET, D(0))})
    assert result.outcome != engine.PASS
    assert veto.code in result.veto_failed


@settings(max_examples=100, deadline=None)
@given(assessments())
def test_outcome_follows_completeness_vetoes_and_threshold(case: tuple[bool, str, dict[str, RatingInput]]) -> None:
    key_specialty, level, ratings = case
    result = run(key_specialty, level, ratings)
    if result.rated < result.applicable:
        assert result.outcome == engine.INCOMPLETE
    elif result.veto_failed or result.total < THRESHOLDS[level]:
        assert result.outcome == engine.FAIL
    else:
        assert result.outcome == engine.PASS
    assert set(result.thresholds_met) == {lvl for lvl, pts in THRESHOLDS.items() if result.total >= pts}
