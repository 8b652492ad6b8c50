"""Who may attach, remove and review evidence on an assessment they can already see.

Visibility (404) comes from the scoping selectors; these rules decide 403.
`may_*` ask about the role only; `can_*` also ask whether the assessment's
status allows the action now, which is what a template needs to know.
"""

from typing import Any

from scoring import permissions as scoring_permissions
from scoring.models import Assessment, AssessmentStatus, Criterion


def may_attach(user: Any, assessment: Assessment, criterion: Criterion | None = None) -> bool:
    """Those who rate an assessment (the criterion, if given) upload and remove its evidence."""
    if not getattr(user, "is_authenticated", False):
        return False
    if criterion is not None:
        # In an inspection round, a team inspector only works on the chapters they were given.
        return scoring_permissions.can_rate_criterion(user, assessment, criterion)
    return scoring_permissions.can_rate(user, assessment)


def may_review(user: Any, assessment: Assessment) -> bool:
    """The QC side (assigned inspectors, qc_admin) reviews evidence."""
    return bool(getattr(user, "is_authenticated", False)) and scoring_permissions.can_review(user, assessment)


def can_upload(user: Any, assessment: Assessment) -> bool:
    """Upload or delete now: the role allows it and the assessment is a draft or returned in part.

    For a returned assessment the page offers upload only on the returned criteria.
    """
    return assessment.status in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED) and may_attach(user, assessment)


def can_review(user: Any, assessment: Assessment) -> bool:
    """Review now: the role allows it and the assessment is submitted (not yet finalized)."""
    return assessment.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED) and may_review(user, assessment)
