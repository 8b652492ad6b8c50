"""Who may do what to an assessment they can already see.

Visibility (404) comes from the scoping selectors; these rules decide 403.
They are plain functions so services, views and templates ask the same question.
"""

from typing import Any

from accounts.models import Role

from .models import Assessment, AssessmentKind


def _is_department_member(user: Any, hospital_id: int) -> bool:
    return user.effective_role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF) and user.hospital_id == hospital_id


def _is_inspector_or_admin(user: Any) -> bool:
    # An inspector reaching here can see the hospital, so is assigned to it.
    return user.effective_role in (Role.QC_ADMIN, Role.INSPECTOR)


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


def can_submit(user: Any, assessment: Assessment) -> bool:
    """Only the department head submits a self-assessment; inspectors or qc_admin submit inspections."""
    if assessment.kind == AssessmentKind.SELF:
        return user.effective_role == Role.DEPARTMENT_HEAD and user.hospital_id == assessment.hospital_id
    return _is_inspector_or_admin(user)


def can_finalize(user: Any, assessment: Assessment) -> bool:
    """Only the QC side finalizes."""
    return _is_inspector_or_admin(user)
