"""What the indicators and the department profile suggest for the criteria of one assessment.

Scoring honours suggestions but cannot ask for them: indicators and departments build on it.
The workspace asks both and hands scoring the answers as data (`workspace.services`), and
shows them beside the rating buttons (`workspace.selectors`).
"""

from typing import Any

from departments.models import CriterionRule
from departments.selectors import evaluations_for, suggestion_for
from indicators.models import Indicator
from indicators.selectors import suggestions_for
from scoring.engine import UNMET
from scoring.models import Assessment, Criterion
from scoring.services import SUGGESTION_KEYS, Suggestions


def _linked(criterion_ids: list[int]) -> bool:
    """Whether any of these criteria has an indicator (one query)."""
    return Indicator.criteria.through.objects.filter(criterion_id__in=criterion_ids).exists()


def _ruled(criterion_ids: list[int]) -> bool:
    """Whether any of these criteria has a profile rule (one query)."""
    return CriterionRule.objects.filter(criterion_id__in=criterion_ids).exists()


def indicator_suggestions(assessment: Assessment, criterion_ids: list[int]) -> dict[str, Any]:
    """Ratings suggested by quality indicators for these criteria (4.2-*), for the assessment's year, by code."""
    if not _linked(criterion_ids):
        return {}
    return suggestions_for(assessment.hospital, assessment.year)


def rule_evaluations(assessment: Assessment, criterion_ids: list[int]) -> dict[str, Any]:
    """What the department profile's rules say about these criteria, for the assessment's year, by code."""
    if not _ruled(criterion_ids):
        return {}
    return evaluations_for(assessment.hospital, assessment.year, assessment.standard_id)


def rating_suggestions(assessment: Assessment, criterion: Criterion) -> Suggestions:
    """The suggestions `scoring.services.rating_set` must honour for one criterion (a few queries)."""
    indicator = None
    if _linked([criterion.pk]):
        indicator = suggestions_for(assessment.hospital, assessment.year).get(criterion.code, {}).get("rating")
    return {
        "suggested": indicator,
        "profile_suggested": suggestion_for(assessment.hospital, criterion, assessment.year),
    }


def sheet_suggestions(assessment: Assessment) -> dict[str, Suggestions]:
    """The same for every criterion of the assessment's standard at once, by code (for a score-sheet import)."""
    ids = list(Criterion.objects.filter(standard_id=assessment.standard_id).values_list("pk", flat=True))
    indicators = indicator_suggestions(assessment, ids)
    rules = rule_evaluations(assessment, ids)
    return {
        code: {
            "suggested": indicators.get(code, {}).get("rating"),
            "profile_suggested": rules[code].suggestion if code in rules else None,
        }
        for code in {*indicators, *rules}
    }


def definitely_unmet(suggestions: Suggestions) -> bool:
    """Whether the indicators or the profile suggest 未达标 for a criterion (a definite suggestion, not "no data")."""
    return any(suggestions.get(key) == UNMET for key in SUGGESTION_KEYS)


def needs_explicit_choice(criterion: Criterion, suggestions: Suggestions) -> bool:
    """★ items, and criteria that something suggests are unmet, are never rated in bulk: someone must choose."""
    return criterion.veto or definitely_unmet(suggestions)
