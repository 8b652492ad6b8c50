"""Who a user is to a hospital: the one place "a member of hospital X's department" is written."""

from .models import HOSPITAL_ROLES, Role, User
from .typing import AnyUser


def is_department_member(user: AnyUser, hospital_id: int | None) -> bool:
    """The user is head or staff of that hospital's anesthesia department."""
    return isinstance(user, User) and user.effective_role in HOSPITAL_ROLES and user.hospital_id == hospital_id


def is_department_head(user: AnyUser, hospital_id: int | None) -> bool:
    """The user is that hospital's department head (科主任)."""
    return isinstance(user, User) and user.effective_role == Role.DEPARTMENT_HEAD and user.hospital_id == hospital_id
