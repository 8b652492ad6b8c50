"""What a user may do to an assessment they can already see: one table by role, one by status.

Visibility (404) comes from the scoping selectors (`assessments_visible_to`); this module decides
403 and 409, and everything else asks it: the services, the pages and their templates, the API,
evidence, the score-sheet import.

- `ROLE_MAY` says what each seat may do on each kind of assessment: asking it alone answers 403.
  A round's team narrows inspectors further (`Team`), on the inspection and on the hospital's
  self-assessment alike: a member rates only their chapters, and submitting, reviewing and
  finalizing belong to the lead (or, when the team has no lead, to any member). An inspector
  off the team does none of them.
- `STATUS_ALLOWS` says what an assessment's status admits at all, whoever asks: asking it
  answers 409. On a returned assessment, rating is open only on the returned criteria.
- `allowed_actions(user, assessment)` is both: what the user may do now.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.roles import is_department_head, is_department_member
from accounts.typing import AnyUser

from . import hooks
from .errors import AssessmentLocked
from .hooks import Team
from .models import Assessment, AssessmentKind, AssessmentStatus, Criterion, CriterionReturn, ReturnStatus


class Action(StrEnum):
    """What can be done to an assessment. Templates compare with the plain strings ("rate" in allowed)."""

    RATE = "rate"  # rate criteria, import a score sheet
    ATTACH = "attach"  # attach and remove evidence on a criterion one rates (the department's, or the inspectors' own)
    SUBMIT = "submit"  # submit, or resubmit after a return
    REVIEW = "review"  # accept or reject evidence files, return criteria to the department
    FINALIZE = "finalize"  # lock the result
    REOPEN = "reopen"  # send a submitted inspection back to draft (the QC centre, with a reason)


class Seat(StrEnum):
    """Who the user is to one assessment."""

    QC_ADMIN = "qc_admin"
    INSPECTOR = "inspector"  # one who can see the assessment is assigned to its hospital
    HEAD = "head"  # the assessed hospital's department head
    STAFF = "staff"  # the assessed hospital's department staff


RATE, ATTACH, SUBMIT, REVIEW = Action.RATE, Action.ATTACH, Action.SUBMIT, Action.REVIEW
FINALIZE, REOPEN = Action.FINALIZE, Action.REOPEN
SELF, INSPECTION = AssessmentKind.SELF, AssessmentKind.INSPECTION

# Who may, by kind of assessment and seat. Departments rate and submit their self-assessment, with their
# evidence; the QC side reviews and finalizes it. Inspectors and the QC centre do all of an inspection,
# attaching their own evidence (a photo taken on site) to the criteria they rate.
ROLE_MAY: dict[tuple[str, Seat], frozenset[Action]] = {
    (SELF, Seat.HEAD): frozenset({RATE, ATTACH, SUBMIT}),
    (SELF, Seat.STAFF): frozenset({RATE, ATTACH}),
    (SELF, Seat.INSPECTOR): frozenset({REVIEW, FINALIZE}),
    (SELF, Seat.QC_ADMIN): frozenset({REVIEW, FINALIZE}),
    (INSPECTION, Seat.INSPECTOR): frozenset({RATE, ATTACH, SUBMIT, REVIEW, FINALIZE}),
    (INSPECTION, Seat.QC_ADMIN): frozenset({RATE, ATTACH, SUBMIT, REVIEW, FINALIZE, REOPEN}),
}

# What only a round's lead (or, in a team without a lead, any member) may do among an inspector's actions.
LEAD_ACTIONS = frozenset({SUBMIT, REVIEW, FINALIZE})

# What each status admits, whoever asks.
STATUS_ALLOWS: dict[str, frozenset[Action]] = {
    AssessmentStatus.DRAFT: frozenset({RATE, ATTACH, SUBMIT}),
    AssessmentStatus.SUBMITTED: frozenset({REVIEW, FINALIZE, REOPEN}),
    AssessmentStatus.RETURNED: frozenset({RATE, ATTACH, SUBMIT, REVIEW}),  # RATE, ATTACH: the returned criteria only
    AssessmentStatus.FINALIZED: frozenset(),
}

# Which kinds each role may open, for a hospital it can see (a head: their own hospital only).
CREATE_MAY: dict[str, tuple[str, ...]] = {
    Role.QC_ADMIN: (SELF, INSPECTION),
    Role.DEPARTMENT_HEAD: (SELF,),
    Role.INSPECTOR: (INSPECTION,),
}


# --- the round team -----------------------------------------------------------------------------------


_TEAM = "_round_team"  # kept on the assessment object: one lookup per request, however many questions


def team_of(assessment: Assessment) -> Team | None:
    """The round team of the assessment's hospital (for its inspection and its self-assessment alike);
    None when it is in no round or the team is still empty. Looked up once per assessment object."""
    if _TEAM not in assessment.__dict__:
        assessment.__dict__[_TEAM] = next(
            (team for lookup in hooks.team_lookups() if (team := lookup(assessment)) is not None), None
        )
    return assessment.__dict__[_TEAM]


def prime_team(assessment: Assessment, team: Team | None) -> None:
    """Give the assessment object its round team when the caller read it already (a page about many
    assessments reads every team in one query), so the questions below ask nothing more."""
    assessment.__dict__[_TEAM] = team


# --- the questions ----------------------------------------------------------------------------------


def seat_of(user: AnyUser, assessment: Assessment) -> Seat | None:
    """Who the user is to this assessment (None: nobody who may act on it)."""
    role = user.effective_role if isinstance(user, User) else None
    if role == Role.QC_ADMIN:
        return Seat.QC_ADMIN
    if role == Role.INSPECTOR:
        return Seat.INSPECTOR
    if is_department_head(user, assessment.hospital_id):
        return Seat.HEAD
    if is_department_member(user, assessment.hospital_id):
        return Seat.STAFF
    return None


def _narrowed_by_team(
    user: AnyUser, assessment: Assessment, seat: Seat, actions: frozenset[Action]
) -> frozenset[Action]:
    # Only an inspector's submitting, reviewing and finalizing depend on the round team: ask for it only then.
    if seat == Seat.INSPECTOR and isinstance(user, User) and actions & LEAD_ACTIONS:
        team = team_of(assessment)
        if team is not None and not team.leads(user.pk):
            return actions - LEAD_ACTIONS
    return actions


def status_allows(assessment: Assessment, action: Action) -> bool:
    """Whether the assessment's status admits the action at all."""
    return action in STATUS_ALLOWS.get(assessment.status, frozenset())


def allowed_actions(user: AnyUser, assessment: Assessment) -> frozenset[Action]:
    """What the user may do to the assessment now: their seat allows it and its status admits it."""
    seat = seat_of(user, assessment)
    if seat is None:
        return frozenset()
    actions = ROLE_MAY.get((assessment.kind, seat), frozenset()) & STATUS_ALLOWS.get(assessment.status, frozenset())
    return _narrowed_by_team(user, assessment, seat, actions)


def may(user: AnyUser, assessment: Assessment, action: Action) -> bool:
    """Whether the user's seat allows the action, whatever the status (False answers 403)."""
    seat = seat_of(user, assessment)
    if seat is None:
        return False
    return action in _narrowed_by_team(
        user, assessment, seat, ROLE_MAY.get((assessment.kind, seat), frozenset()) & {action}
    )


def require(user: AnyUser, assessment: Assessment, action: Action, message: str) -> None:
    """403 with `message` unless the user's seat allows the action."""
    if not may(user, assessment, action):
        raise PermissionDenied(message)


def require_status(assessment: Assessment, action: Action, message: str) -> None:
    """409 with `message` unless the assessment's status admits the action."""
    if not status_allows(assessment, action):
        raise AssessmentLocked(message, status=assessment.status)


def rateable_chapters(user: AnyUser, assessment: Assessment) -> frozenset[int] | None:
    """The chapters a rater may rate (None: all); a round team member gets only theirs, the lead all."""
    if assessment.kind != INSPECTION or seat_of(user, assessment) != Seat.INSPECTOR or not isinstance(user, User):
        return None
    team = team_of(assessment)
    return None if team is None else team.chapters_of(user.pk)


def may_rate_criterion(user: AnyUser, assessment: Assessment, criterion: Criterion) -> bool:
    """The user may rate the assessment and, on a round's team, this criterion's chapter."""
    if not may(user, assessment, RATE):
        return False
    allowed = rateable_chapters(user, assessment)
    return allowed is None or criterion.item.chapter.number in allowed


def may_attach_criterion(user: AnyUser, assessment: Assessment, criterion: Criterion) -> bool:
    """The user may attach evidence to the assessment and, on a round's team, to this criterion's chapter.

    The team's rule is rating's: the lead (and a member given no chapters) on every chapter, a member
    given chapters on those only, an inspector off the team on none.
    """
    if not may(user, assessment, ATTACH):
        return False
    allowed = rateable_chapters(user, assessment)
    return allowed is None or criterion.item.chapter.number in allowed


def require_editable(assessment: Assessment, criterion: Criterion) -> None:
    """409 unless the criterion is open: the assessment is a draft, or the criterion is returned to the department."""
    if assessment.status == AssessmentStatus.DRAFT:
        return
    if (
        assessment.status == AssessmentStatus.RETURNED
        and CriterionReturn.objects.filter(
            assessment=assessment, criterion=criterion, status=ReturnStatus.OPEN
        ).exists()
    ):
        return
    if assessment.status == AssessmentStatus.RETURNED:
        raise AssessmentLocked(_("只能修改被退回的细则。"), status=assessment.status)
    raise AssessmentLocked(_("评审已提交或已定稿，不能再修改评分。"), status=assessment.status)


def creatable_kinds(user: AnyUser) -> tuple[str, ...]:
    """The kinds of assessment the user may open (for some hospital they can see)."""
    return CREATE_MAY.get(user.effective_role if isinstance(user, User) else "", ())


def can_create_assessment(user: AnyUser, *, hospital_id: int, kind: str) -> bool:
    """Departments open their own self-assessment; inspectors and the QC centre open inspections."""
    if kind not in creatable_kinds(user) or not isinstance(user, User):
        return False
    return user.effective_role != Role.DEPARTMENT_HEAD or user.hospital_id == hospital_id
