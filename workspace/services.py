"""Writes that take one step across several apps, for the pages and the API of the workspace.

Each calls the services of the apps below it, in one transaction where the step must be whole:
a rating with the suggestions it must honour, a score-sheet import likewise, and a
finalization that opens the inspection's rectification plan.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from rectification.services import rectification_plan_create
from scoring import permissions
from scoring import services as scoring
from scoring.engine import MET
from scoring.excel import ParsedSheet
from scoring.models import (
    AppliesTo,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Criterion,
    CriterionReturn,
    Rating,
    ReturnStatus,
)
from scoring.permissions import Action

from . import suggestions


def rating_save(
    *,
    actor: User,
    assessment: Assessment,
    criterion: Criterion,
    rating: str,
    score: Decimal | None = None,
    remark: str | None = "",
    expected_version: int | None = None,
    reason: str = "",
) -> Rating:
    """Rate one criterion, honouring what the indicators and the department profile suggest for it.

    `remark=None` keeps the stored remark (the workspace posts none while a criterion's details were never loaded).
    """
    scoring.rating_authorize(actor=actor, assessment=assessment)
    if remark is None:
        stored = Rating.objects.filter(assessment=assessment, criterion=criterion).values_list("remark", flat=True)
        remark = next(iter(stored), "")
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


@transaction.atomic
def chapter_rest_met(*, actor: User, assessment: Assessment, chapter_number: int) -> list[Rating]:
    """Rate every still-unrated criterion of one chapter 达标, all in one transaction or none.

    ★ items and criteria that the indicators or the profile suggest are unmet are left alone: they need
    an explicit choice. Each criterion is one `rating_set`, checked, versioned (over version 0, so a
    criterion someone rated meanwhile is a conflict and nothing is stored) and audited on its own.
    A round team member may do it only in their chapters; a returned assessment only on its open returns.
    """
    scoring.rating_authorize(actor=actor, assessment=assessment)
    permissions.require_status(assessment, Action.RATE, _("评审已提交或已定稿，不能再修改评分。"))
    chapters = permissions.rateable_chapters(actor, assessment)
    if chapters is not None and chapter_number not in chapters:
        raise PermissionDenied(_("您在本检查组只负责其他章节。"))
    criteria = list(
        Criterion.objects.filter(standard_id=assessment.standard_id, item__chapter__number=chapter_number)
        .select_related("item__chapter")
        .order_by("position")
    )
    rated = set(
        Rating.objects.filter(assessment=assessment, criterion__in=criteria).values_list("criterion_id", flat=True)
    )
    open_returns: set[int] | None = None
    if assessment.status == AssessmentStatus.RETURNED:
        open_returns = set(
            CriterionReturn.objects.filter(
                assessment=assessment, criterion__in=criteria, status=ReturnStatus.OPEN
            ).values_list("criterion_id", flat=True)
        )
    by_code = suggestions.sheet_suggestions(assessment)
    key = assessment.hospital.key_specialty
    done = []
    for criterion in criteria:
        offered = by_code.get(criterion.code, scoring.NO_SUGGESTIONS)
        if (
            criterion.pk in rated
            or (criterion.applies_to == AppliesTo.KEY_SPECIALTY and not key)
            or assessment.hospital.level in (criterion.not_applicable_levels or [])
            or (open_returns is not None and criterion.pk not in open_returns)
            or suggestions.needs_explicit_choice(criterion, offered)
        ):
            continue
        done.append(
            scoring.rating_set(
                actor=actor,
                assessment=assessment,
                criterion=criterion,
                rating=MET,
                expected_version=0,
                reason=_("第 %(n)s 章其余未评细则一并标为达标") % {"n": chapter_number},
                suggestions=offered,
            )
        )
    return done


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
