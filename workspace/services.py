"""Writes that take one step across several apps, for the pages and the API of the workspace.

Each calls the services of the apps below it, in one transaction where the step must be whole:
a rating with the suggestions it must honour, a score-sheet import likewise, and a
finalization that opens the inspection's rectification plan.
"""

from decimal import Decimal

from django.db import transaction

from accounts.models import User
from rectification.services import rectification_plan_create
from scoring import services as scoring
from scoring.excel import ParsedSheet
from scoring.models import Assessment, AssessmentKind, Criterion, Rating

from . import suggestions


def rating_save(
    *,
    actor: User,
    assessment: Assessment,
    criterion: Criterion,
    rating: str,
    score: Decimal | None = None,
    remark: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> Rating:
    """Rate one criterion, honouring what the indicators and the department profile suggest for it."""
    scoring.rating_authorize(actor=actor, assessment=assessment)
    return scoring.rating_set(
        actor=actor,
        assessment=assessment,
        criterion=criterion,
        rating=rating,
        score=score,
        remark=remark,
        expected_version=expected_version,
        reason=reason,
        suggestions=suggestions.rating_suggestions(assessment, criterion),
    )


def score_sheet_import(
    *, actor: User, assessment: Assessment, sheet: ParsedSheet, file_name: str = ""
) -> scoring.RatingsImported:
    """Import a filled score sheet, every row honouring its criterion's suggestions, or nothing at all."""
    scoring.rating_authorize(actor=actor, assessment=assessment)
    return scoring.ratings_import(
        actor=actor,
        assessment=assessment,
        sheet=sheet,
        file_name=file_name,
        suggestions=suggestions.sheet_suggestions(assessment),
    )


@transaction.atomic
def assessment_finalize(*, actor: User, assessment: Assessment) -> Assessment:
    """Finalize an assessment; a finalized inspection turns every 未达标 or 基本达标 criterion into a rectification item."""
    assessment = scoring.assessment_finalize(actor=actor, assessment=assessment)
    if assessment.kind == AssessmentKind.INSPECTION:
        rectification_plan_create(actor=actor, assessment=assessment)
    return assessment
