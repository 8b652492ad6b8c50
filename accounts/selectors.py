"""Reads of hospitals and people, scoped to what the asking user may see.

`hospitals_visible_to` is the one place hospital isolation is written; every
other scoped queryset (assessments, later evidence and reports) filters through it.
"""

from django.db.models import QuerySet

from .models import Hospital, InspectorAssignment, Role, User
from .names import display_name
from .typing import AnyUser


def hospital_ids_visible_to(user: AnyUser) -> QuerySet | list[int] | None:
    """The hospital ids the user may see (a subquery, or a department's own id), or None meaning every hospital."""
    if not isinstance(user, User) or not user.is_active:
        return Hospital.objects.none().values("id")
    role = user.effective_role
    if role == Role.QC_ADMIN:
        return None
    if role == Role.INSPECTOR:
        return InspectorAssignment.objects.filter(inspector_id=user.pk).values("hospital_id")
    if role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF) and user.hospital_id:
        return [user.hospital_id]  # `IN (id)`: no subquery to build and plan on every request
    return Hospital.objects.none().values("id")


def scope_by_hospital(qs: QuerySet, user: AnyUser, *, field: str = "hospital_id") -> QuerySet:
    """Restrict any queryset with a hospital foreign key to the hospitals `user` may see."""
    ids = hospital_ids_visible_to(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{field}__in": ids})


def hospitals_visible_to(user: AnyUser) -> QuerySet[Hospital]:
    """Hospitals the user may see: all for qc_admin, assigned for inspectors, their own for departments."""
    return scope_by_hospital(Hospital.objects.all(), user, field="id")


def assignments_visible_to(user: AnyUser) -> QuerySet[InspectorAssignment]:
    """Inspector assignments: all for qc_admin, an inspector's own, none for departments."""
    qs = InspectorAssignment.objects.select_related("inspector", "hospital")
    if not isinstance(user, User) or not user.is_active:
        return qs.none()
    if user.effective_role == Role.QC_ADMIN:
        return qs
    if user.effective_role == Role.INSPECTOR:
        return qs.filter(inspector_id=user.pk)
    return qs.none()


def hospital_names(ids: set[int]) -> dict[int, str]:
    """{id: name} of these hospitals, whoever asks (the audit log shows them to the QC centre); one query."""
    return dict(Hospital.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def person_names(usernames: set[str]) -> dict[str, str]:
    """{username: display name} of these users (the audit history names people as the pages do); one query."""
    if not usernames:
        return {}
    users = User.objects.filter(username__in=usernames).only("username", "first_name", "last_name")
    return {u.username: display_name(u) for u in users}
