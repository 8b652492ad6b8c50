"""Who a user is to a hospital: the one place "a member of hospital X's department" is written."""

from typing import Any

from .models import HOSPITAL_ROLES, Role


def is_department_member(user: Any, hospital_id: int | None) -> bool:
    """The user is head or staff of that hospital's anesthesia department."""
    return getattr(user, "effective_role", None) in HOSPITAL_ROLES and user.hospital_id == hospital_id


def is_department_head(user: Any, hospital_id: int | None) -> bool:
    """The user is that hospital's department head (科主任)."""
    return getattr(user, "effective_role", None) == Role.DEPARTMENT_HEAD and user.hospital_id == hospital_id
