"""Who may do what to an assessment they can already see.

Visibility (404) comes from the scoping selectors; these rules decide 403.
They are plain functions so services, views and templates ask the same question.
"""

from typing import Any

from accounts.models import Role

from .models import Assessment, AssessmentKind, Criterion


def _is_department_member(user: Any, hospital_id: int) -> bool:
    return user.effective_role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF) and user.hospital_id == hospital_id


def _is_inspector_or_admin(user: Any) -> bool:
    # An inspector reaching here can see the hospital, so is assigned to it.
    return user.effective_role in (Role.QC_ADMIN, Role.INSPECTOR)


def _round_team(user: Any, assessment: Assessment) -> tuple[bool, Any] | None:
    """(is this user on the round team, their membership) for an inspection in a round; None if not in a round."""
    from rounds.models import RoundInspector  # rounds builds on scoring; import lazily

    team = list(RoundInspector.objects.filter(entry__inspection_id=assessment.pk))
    if not team:
        return None
    mine = next((m for m in team if m.inspector_id == user.pk), None)
    return (mine is not None, mine)


def can_create_assessment(user: Any, *, hospital_id: int, kind: str) -> bool:
    """Departments open their own self-assessment; inspectors and the QC centre open inspections."""
    if user.effective_role == Role.QC_ADMIN:
        return True
    if kind == AssessmentKind.SELF:
        return user.effective_role == Role.DEPARTMENT_HEAD and user.hospital_id == hospital_id
    return user.effective_role == Role.INSPECTOR


def can_rate(user: Any, assessment: Assessment) -> bool:
    """Department head and staff rate self-assessments; inspectors and qc_admin rate inspections."""
    if assessment.kind == AssessmentKind.SELF:
        return _is_department_member(user, assessment.hospital_id)
    return _is_inspector_or_admin(user)


def rateable_chapters(user: Any, assessment: Assessment) -> set[int] | None:
    """The chapters a rater may rate (None: all); a round's team member gets only theirs, the lead all."""
    if assessment.kind != AssessmentKind.INSPECTION or user.effective_role != Role.INSPECTOR:
        return None
    team = _round_team(user, assessment)
    if team is None:
        return None
    on_team, member = team
    if not on_team:
        return set()
    if member.is_lead or not member.chapters:
        return None
    return set(member.chapters)


def can_rate_criterion(user: Any, assessment: Assessment, criterion: Criterion) -> bool:
    """can_rate, and for a round's inspection team member only the chapters they were given."""
    if not can_rate(user, assessment):
        return False
    allowed = rateable_chapters(user, assessment)
    return allowed is None or criterion.item.chapter.number in allowed


def can_submit(user: Any, assessment: Assessment) -> bool:
    """Only the department head submits a self-assessment; inspectors or qc_admin submit inspections."""
    if assessment.kind == AssessmentKind.SELF:
        return user.effective_role == Role.DEPARTMENT_HEAD and user.hospital_id == assessment.hospital_id
    return _is_inspector_or_admin(user)


def can_review(user: Any, assessment: Assessment) -> bool:
    """The QC side reviews a department's submission: evidence decisions and returns."""
    return _is_inspector_or_admin(user)


def can_finalize(user: Any, assessment: Assessment) -> bool:
    """Only the QC side finalizes; in a round with a lead, an inspector must be that lead."""
    if user.effective_role == Role.QC_ADMIN:
        return True
    if user.effective_role != Role.INSPECTOR:
        return False
    if assessment.kind != AssessmentKind.INSPECTION:
        return True
    team = _round_team(user, assessment)
    if team is None:
        return True
    on_team, member = team
    has_lead = member is not None and member.is_lead
    return on_team and (has_lead or not _team_has_lead(assessment))


def _team_has_lead(assessment: Assessment) -> bool:
    from rounds.models import RoundInspector

    return RoundInspector.objects.filter(entry__inspection_id=assessment.pk, is_lead=True).exists()
