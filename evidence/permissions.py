"""Who may attach, remove and review evidence on an assessment they can already see.

Visibility (404) comes from the scoping selectors; the rules are scoring's one table
(`scoring.permissions`): attaching evidence is its `ATTACH` (on a round's team, on one's own
chapters), reviewing it goes with reviewing the assessment. `may_*` ask about the role only; `can_*` also ask whether
the assessment's status allows the action now, which is what a template needs to know.
"""

from accounts.typing import AnyUser
from scoring import permissions as scoring_permissions
from scoring.models import Assessment, Criterion
from scoring.permissions import Action


def may_attach(user: AnyUser, assessment: Assessment, criterion: Criterion | None = None) -> bool:
    """Those who rate an assessment (the criterion, if given) upload and remove its evidence."""
    if criterion is not None:
        # In an inspection round, a team inspector only works on the chapters they were given.
        return scoring_permissions.may_attach_criterion(user, assessment, criterion)
    return scoring_permissions.may(user, assessment, Action.ATTACH)


def may_review(user: AnyUser, assessment: Assessment) -> bool:
    """The QC side (assigned inspectors, qc_admin) reviews evidence."""
    return scoring_permissions.may(user, assessment, Action.REVIEW)


def can_upload(user: AnyUser, assessment: Assessment) -> bool:
    """Upload or delete now: the role allows it and the assessment is a draft or returned in part.

    For a returned assessment the page offers upload only on the returned criteria.
    """
    return Action.ATTACH in scoring_permissions.allowed_actions(user, assessment)


def can_review(user: AnyUser, assessment: Assessment) -> bool:
    """Review now: the role allows it and the assessment is submitted (not yet finalized)."""
    return Action.REVIEW in scoring_permissions.allowed_actions(user, assessment)
