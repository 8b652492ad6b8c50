"""Reads of rectification items and their files, scoped to what the asking user may see."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import HOSPITAL_ROLES, Role, User
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from scoring.models import Assessment

from .models import ItemStatus, RectificationEvidence, RectificationItem


def _items() -> QuerySet[RectificationItem]:
    return RectificationItem.objects.select_related(
        "assessment__hospital", "criterion__item__chapter", "owner", "answered_by", "verified_by"
    )


def rectification_items_visible_to(user: AnyUser) -> QuerySet[RectificationItem]:
    """Items of the hospitals the user may see; the one scope for every rectification page."""
    return scope_by_hospital(_items(), user, field="assessment__hospital_id")


def overdue_q() -> Q:
    """Past the due date and not yet verified, as a filter (`RectificationItem.is_overdue` per row)."""
    return Q(due_date__lt=timezone.localdate()) & ~Q(status=ItemStatus.VERIFIED)


def plan_for(assessment: Assessment) -> list[RectificationItem]:
    """The rectification plan of one inspection, in the standard's order; for a page that already checked access."""
    return list(_items().filter(assessment=assessment).order_by("criterion__position"))


def rectification_evidence_visible_to(user: AnyUser) -> QuerySet[RectificationEvidence]:
    """Follow-up files of the items the user may see; foreign files are simply absent."""
    qs = RectificationEvidence.objects.select_related("item__assessment", "uploaded_by")
    return scope_by_hospital(qs, user, field="item__assessment__hospital_id")


def evidence_of(item: RectificationItem) -> list[RectificationEvidence]:
    """An item's files in upload order, in one query."""
    return list(item.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))


def department_people(hospital_id: int) -> QuerySet[User]:
    """The active department head and staff of a hospital: who may own an item."""
    return User.objects.filter(hospital_id=hospital_id, role__in=HOSPITAL_ROLES, is_active=True).order_by(
        "role", "username"
    )


def default_owner(hospital_id: int) -> User | None:
    """The hospital's department head when there is exactly one, else nobody (the QC side assigns)."""
    heads = list(department_people(hospital_id).filter(role=Role.DEPARTMENT_HEAD)[:2])
    return heads[0] if len(heads) == 1 else None


def due_counts(user: AnyUser, *, soon: int = 14) -> dict[str, Any]:
    """The user's items that call for action, counted in one query: the department's open items overdue
    or due within `soon` days, items awaiting verification; and each group's only item when it has one."""
    today = timezone.localdate()
    visible = rectification_items_visible_to(user)
    open_items = Q(status=ItemStatus.OPEN)
    groups = {
        "overdue": open_items & Q(due_date__lt=today),
        "due_soon": open_items & Q(due_date__gte=today, due_date__lte=today + timedelta(days=soon)),
        "answered": Q(status=ItemStatus.ANSWERED),
    }
    counts = visible.aggregate(
        **{name: Count("id", filter=q) for name, q in groups.items()},
        **{f"{name}_id": Min("id", filter=q) for name, q in groups.items()},
        soonest=Min("due_date", filter=groups["due_soon"]),
    )
    return counts
