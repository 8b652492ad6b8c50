"""Who may assign, answer and verify a rectification item they can already see.

Visibility (404) comes from `selectors.rectification_items_visible_to`; these rules decide 403.
`may_*` ask about the role only; `can_*` also ask whether the item's status allows the action now,
which is what a template needs to know.
"""

from accounts.models import User
from accounts.roles import is_department_member
from accounts.typing import AnyUser
from scoring import permissions as scoring_permissions
from scoring.permissions import Action

from .models import ItemStatus, RectificationItem


def _signed_in(user: AnyUser) -> bool:
    return isinstance(user, User) and user.is_active


def may_manage(user: AnyUser, item: RectificationItem) -> bool:
    """The QC side (the assessment's inspectors, qc_admin) assigns owners and due dates and verifies."""
    return _signed_in(user) and scoring_permissions.may(user, item.assessment, Action.REVIEW)


def may_answer(user: AnyUser, item: RectificationItem) -> bool:
    """The department (head and staff of the inspected hospital) answers with what it did."""
    return _signed_in(user) and is_department_member(user, item.assessment.hospital_id)


def can_assign(user: AnyUser, item: RectificationItem) -> bool:
    """Assign now: the role allows it and the item is not closed."""
    return item.status != ItemStatus.VERIFIED and may_manage(user, item)


def can_answer(user: AnyUser, item: RectificationItem) -> bool:
    """Answer now: the role allows it and the item is open or answered (not yet verified)."""
    return item.status != ItemStatus.VERIFIED and may_answer(user, item)


def can_verify(user: AnyUser, item: RectificationItem) -> bool:
    """Verify now: the role allows it and the department has answered."""
    return item.status == ItemStatus.ANSWERED and may_manage(user, item)
