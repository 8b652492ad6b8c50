"""The scoring engine: pure functions over plain data, exact in Decimal.

Nothing here touches the database or Django, so it is tested directly and with
hypothesis. Callers (selectors, services) translate model rows into these
dataclasses and back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.numbers import fmt

MET = "met"
PARTIAL = "partial"
UNMET = "unmet"
RATINGS = (MET, PARTIAL, UNMET)

APPLIES_ALL = "all"
APPLIES_KEY_SPECIALTY = "key_specialty"

INCOMPLETE = "incomplete"
FAIL = "fail"
PASS = "pass"  # noqa: S105 (an outcome, not a password)

ZERO = Decimal("0")
ONE = Decimal("1")
HALF = Decimal("0.5")


class RatingError(ValueError):
    """A rating or score that the standard does not allow.

    `field` names the input at fault, `code` the rule broken, `params` its values;
    `message` is the default (Chinese) wording, which callers may translate by code.
    """

    MESSAGES = {
        "invalid_rating": "“{rating}”不是有效的评定，应为 met、partial 或 unmet。",
        "not_a_number": "得分必须是数字。",
        "not_half_point": "得分的最小单位为 0.5 分。",
        "met_needs_max": "评定为达标时得分应为满分 {max_points}。",
        "unmet_needs_zero": "评定为未达标时得分应为 0。",
        "partial_needs_score": "评定为基本达标时必须填写得分。",
        "partial_out_of_range": "基本达标的得分应大于 0 且小于满分 {max_points}。",
    }

    def __init__(self, field: str, code: str, **params: str) -> None:
        self.field = field
        self.code = code
        self.params = params
        self.message = self.MESSAGES[code].format(**params)
        super().__init__(self.message)


@dataclass(frozen=True)
class CriterionSpec:
    """What the engine needs to know about one scored leaf."""

    code: str
    chapter: int
    item: str
    max_points: Decimal
    veto: bool = False
    applies_to: str = APPLIES_ALL
    key_specialty_weight: Decimal = ONE
    not_applicable_levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionSpec:
    """A chapter or an item: its key, title, and (for items) its chapter."""

    key: str
    title: str


@dataclass(frozen=True)
class RatingInput:
    """A stored rating: the verdict and its unweighted score."""

    rating: str
    score: Decimal


@dataclass(frozen=True)
class Subtotal:
    """Score and maximum of one chapter or item, both weighted."""

    key: str
    title: str
    score: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class NextThreshold:
    """The lowest level threshold the total has not reached, and how far off it is."""

    level: str
    points: Decimal
    gap: Decimal


@dataclass(frozen=True)
class Result:
    """Everything a result page, the API or a report shows about one assessment."""

    total: Decimal
    max_total: Decimal
    rated: int
    applicable: int
    chapters: list[Subtotal]
    items: list[Subtotal]
    veto_failed: list[str]
    unrated: list[str]
    level: str
    threshold: Decimal | None
    threshold_gap: Decimal | None
    outcome: str
    thresholds_met: list[str]
    next_threshold: NextThreshold | None
    weighted_scores: dict[str, Decimal] = field(default_factory=dict)
    # The outcome that can no longer change, even while criteria are unrated: "fail" as soon as a ★ item
    # is unmet (reason "veto"); once complete, the outcome itself. None: still open.
    outcome_fixed: str | None = None
    reason: str | None = None


def is_half_point(value: Decimal) -> bool:
    """True when `value` is a whole multiple of 0.5."""
    return value.is_finite() and (value / HALF) == (value / HALF).to_integral_value()


def applies(criterion: CriterionSpec, *, key_specialty: bool, level: str | None = None) -> bool:
    """Key-only criteria apply only to key-specialty departments; the rest apply to all, except at a hospital
    level the criterion is marked not applicable to (`not_applicable_levels`)."""
    if level is not None and level in criterion.not_applicable_levels:
        return False
    return criterion.applies_to != APPLIES_KEY_SPECIALTY or key_specialty


def weight(criterion: CriterionSpec, *, key_specialty: bool) -> Decimal:
    """The factor a criterion's score counts with in totals (0.7 on general items for key departments)."""
    return criterion.key_specialty_weight if key_specialty else ONE


def weighted_score(score: Decimal, *, key_specialty_weight: Decimal, key_specialty: bool) -> Decimal:
    """One stored score as it counts in totals."""
    return score * (key_specialty_weight if key_specialty else ONE)


def resolve_score(*, rating: str, max_points: Decimal, score: Decimal | None = None) -> Decimal:
    """The unweighted score a rating earns, or RatingError when rating and score disagree.

    met → max points; unmet → 0; partial → a score strictly between 0 and max,
    required. Scores move in half points.
    """
    if rating not in RATINGS:
        raise RatingError("rating", "invalid_rating", rating=str(rating))
    if score is not None:
        if not isinstance(score, Decimal) or not score.is_finite():
            raise RatingError("score", "not_a_number")
        if not is_half_point(score):
            raise RatingError("score", "not_half_point")
    if rating == MET:
        if score is not None and score != max_points:
            raise RatingError("score", "met_needs_max", max_points=fmt(max_points))
        return max_points
    if rating == UNMET:
        if score is not None and score != ZERO:
            raise RatingError("score", "unmet_needs_zero")
        return ZERO
    if score is None:
        raise RatingError("score", "partial_needs_score")
    if not ZERO < score < max_points:
        raise RatingError("score", "partial_out_of_range", max_points=fmt(max_points))
    return score


def evaluate(
    *,
    criteria: Sequence[CriterionSpec],
    ratings: Mapping[str, RatingInput],
    key_specialty: bool,
    level: str,
    thresholds: Mapping[str, Decimal],
    chapters: Iterable[SectionSpec] = (),
    items: Iterable[SectionSpec] = (),
) -> Result:
    """Score an assessment: weighted totals per chapter and item, vetoes, outcome and thresholds.

    Ratings of criteria that do not apply to the department are ignored.
    Chapter and item maxima are the weighted sums of their applicable criteria,
    so a well-formed standard totals its nominal points for every department, less the points of criteria
    not applicable at its level (the level's threshold stays as the standard sets it).
    """
    chapter_titles = {c.key: c.title for c in chapters}
    item_titles = {i.key: i.title for i in items}
    chapter_score: dict[str, Decimal] = {}
    chapter_max: dict[str, Decimal] = {}
    item_score: dict[str, Decimal] = {}
    item_max: dict[str, Decimal] = {}
    weighted: dict[str, Decimal] = {}
    veto_failed: list[str] = []
    unrated: list[str] = []
    rated = applicable = 0

    for criterion in criteria:
        ch_key = str(criterion.chapter)
        # Every chapter and item appears, even when nothing in it applies.
        chapter_score.setdefault(ch_key, ZERO)
        chapter_max.setdefault(ch_key, ZERO)
        item_score.setdefault(criterion.item, ZERO)
        item_max.setdefault(criterion.item, ZERO)
        if not applies(criterion, key_specialty=key_specialty, level=level):
            continue
        applicable += 1
        w = weight(criterion, key_specialty=key_specialty)
        chapter_max[ch_key] += criterion.max_points * w
        item_max[criterion.item] += criterion.max_points * w
        rating = ratings.get(criterion.code)
        if rating is None:
            unrated.append(criterion.code)
            continue
        rated += 1
        value = rating.score * w
        weighted[criterion.code] = value
        chapter_score[ch_key] += value
        item_score[criterion.item] += value
        if criterion.veto and rating.rating == UNMET:
            veto_failed.append(criterion.code)

    total = sum(chapter_score.values(), ZERO)
    max_total = sum(chapter_max.values(), ZERO)
    threshold = thresholds.get(level)

    if rated < applicable:
        outcome = INCOMPLETE
    elif veto_failed or threshold is None or total < threshold:
        outcome = FAIL
    else:
        outcome = PASS

    outcome_fixed, reason = fixed_outcome(
        outcome=outcome, veto_failed=bool(veto_failed), total=total, threshold=threshold
    )

    ordered = sorted(thresholds.items(), key=lambda kv: (kv[1], kv[0]))
    thresholds_met = [lvl for lvl, pts in sorted(ordered, key=lambda kv: (-kv[1], kv[0])) if total >= pts]
    next_threshold = next(
        (NextThreshold(level=lvl, points=pts, gap=pts - total) for lvl, pts in ordered if total < pts),
        None,
    )

    return Result(
        total=total,
        max_total=max_total,
        rated=rated,
        applicable=applicable,
        chapters=[
            Subtotal(key=k, title=chapter_titles.get(k, ""), score=chapter_score[k], max_points=chapter_max[k])
            for k in chapter_score
        ],
        items=[
            Subtotal(key=k, title=item_titles.get(k, ""), score=item_score[k], max_points=item_max[k])
            for k in item_score
        ],
        veto_failed=veto_failed,
        unrated=unrated,
        level=level,
        threshold=threshold,
        threshold_gap=max(threshold - total, ZERO) if threshold is not None else None,
        outcome=outcome,
        thresholds_met=thresholds_met,
        next_threshold=next_threshold,
        weighted_scores=weighted,
        outcome_fixed=outcome_fixed,
        reason=reason,
    )


def fixed_outcome(
    *, outcome: str, veto_failed: bool, total: Decimal, threshold: Decimal | None
) -> tuple[str | None, str | None]:
    """The outcome that is already certain, and why: (outcome_fixed, reason).

    The standard: "★为基本要求，实行单项否决" — one ★ item unmet fails the assessment whatever the rest,
    so an incomplete assessment with a ★ item unmet is already ("fail", "veto"). A complete one is fixed
    at its outcome, with the first reason it fails (veto, below_threshold, no_threshold) or None when it
    passes. An incomplete one without a ★ miss is still open: (None, None).
    """
    if veto_failed:
        return FAIL, VETO
    if outcome == INCOMPLETE:
        return None, None
    if outcome == PASS:
        return PASS, None
    return FAIL, (NO_THRESHOLD if threshold is None else BELOW_THRESHOLD)


def with_fixed_outcome(result: Mapping[str, Any]) -> dict[str, Any]:
    """A result dict (live, or a snapshot frozen before `outcome_fixed` existed) with `outcome_fixed` and `reason`."""
    data = dict(result)
    if "outcome_fixed" not in data:
        threshold = data.get("threshold")
        data["outcome_fixed"], data["reason"] = fixed_outcome(
            outcome=str(data.get("outcome")),
            veto_failed=bool(data.get("veto_failed")),
            total=Decimal(str(data.get("total", "0"))),
            threshold=Decimal(str(threshold)) if threshold is not None else None,
        )
    return data


def result_as_dict(result: Result) -> dict[str, Any]:
    """The result as JSON-ready data (decimals as strings): the API's shape and the finalized snapshot."""
    return {
        "total": fmt(result.total),
        "max_total": fmt(result.max_total),
        "rated": result.rated,
        "applicable": result.applicable,
        "chapters": [
            {"number": int(c.key), "title": c.title, "score": fmt(c.score), "max_points": fmt(c.max_points)}
            for c in result.chapters
        ],
        "items": [
            {"code": i.key, "title": i.title, "score": fmt(i.score), "max_points": fmt(i.max_points)}
            for i in result.items
        ],
        "veto_failed": list(result.veto_failed),
        "unrated": list(result.unrated),
        "level": result.level,
        "threshold": fmt(result.threshold) if result.threshold is not None else None,
        "threshold_gap": fmt(result.threshold_gap) if result.threshold_gap is not None else None,
        "outcome": result.outcome,
        "outcome_fixed": result.outcome_fixed,
        "reason": result.reason,
        "thresholds_met": list(result.thresholds_met),
        "next_threshold": (
            {
                "level": result.next_threshold.level,
                "points": fmt(result.next_threshold.points),
                "gap": fmt(result.next_threshold.gap),
            }
            if result.next_threshold
            else None
        ),
    }


VETO = "veto"
BELOW_THRESHOLD = "below_threshold"
NO_THRESHOLD = "no_threshold"


def failure_reasons(result: Mapping[str, Any]) -> list[str]:
    """Why a result (as `result_as_dict` gives it, or a finalized snapshot) fails or will fail.

    A ★ item unmet (VETO) fails it whatever the total; so does a total below the level's
    threshold (BELOW_THRESHOLD), or a level without one (NO_THRESHOLD). A passing result has none.
    """
    reasons = [VETO] if result.get("veto_failed") else []
    threshold = result.get("threshold")
    if threshold is None:
        reasons.append(NO_THRESHOLD)
    elif Decimal(str(result["total"])) < Decimal(str(threshold)):
        reasons.append(BELOW_THRESHOLD)
    return reasons
