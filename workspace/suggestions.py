"""What the indicators and the department profile suggest for the criteria of one assessment.

Scoring honours suggestions but cannot ask for them: indicators and departments build on it.
The workspace asks both and hands scoring the answers as data (`workspace.services`), and
shows them beside the rating buttons (`workspace.selectors`).
"""

from typing import Any

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

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


def criterion_for_rating(assessment: Assessment, code: str) -> Criterion | None:
    """The criterion `code` of the assessment's standard, with whether an indicator or a profile rule in force
    in the assessment's year speaks to it (`has_indicator`, `has_rule`): one query for a save, and none more for
    its suggestions when neither does (the common case; see rating_suggestions)."""
    # Plain EXISTS clauses (table names from the models, no input): the ORM's Exists(…) cost more to compile
    # than the query takes to run. (standard, code) is unique: no ordering needed.
    links, rules, criteria = (
        Indicator.criteria.through._meta.db_table,
        CriterionRule._meta.db_table,
        Criterion._meta.db_table,
    )
    has_indicator = f"EXISTS (SELECT 1 FROM {links} l WHERE l.criterion_id = {criteria}.id)"  # noqa: S608
    has_rule = f"EXISTS (SELECT 1 FROM {rules} r WHERE r.criterion_id = {criteria}.id AND r.valid_from <= %s)"  # noqa: S608
    found = Criterion.objects.filter(
        standard_id=assessment.standard_id, code=code
    ).annotate(
        has_indicator=RawSQL(has_indicator, (), output_field=BooleanField()),  # noqa: S611 - constant SQL
        has_rule=RawSQL(has_rule, (assessment.year,), output_field=BooleanField()),  # noqa: S611 - year a parameter
    )[:1]
    return next(iter(found), None)


def rating_suggestions(assessment: Assessment, criterion: Criterion) -> Suggestions:
    """The suggestions `scoring.services.rating_set` must honour for one criterion, asked once per save.

    A criterion from `criterion_for_rating` says already whether anything speaks to it: no query then when
    nothing does. Otherwise one query each for the links, and what the indicators or the rule then need.
    """
    linked = getattr(criterion, "has_indicator", None)
    if linked is None:
        linked = _linked([criterion.pk])
    ruled = getattr(criterion, "has_rule", None)
    indicator = None
    if linked:
        indicator = suggestions_for(assessment.hospital, assessment.year).get(criterion.code, {}).get("rating")
    profile = None
    if ruled is None or ruled:
        profile = suggestion_for(assessment.hospital, criterion, assessment.year)
    return {"suggested": indicator, "profile_suggested": profile}


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
