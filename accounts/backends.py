"""Authentication backend that maps roles onto Django permissions."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import User
from .typing import AnyUser


class RoleBackend(ModelBackend):
    """ModelBackend where an active qc_admin holds every permission, like a superuser.

    The QC centre administers the whole system; per-permission grants would only
    be a second, drifting copy of the role.
    """

    def has_perm(self, user_obj: AnyUser, perm: str, obj: Any = None) -> bool:
        if isinstance(user_obj, User) and user_obj.is_qc_admin:
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj: AnyUser, app_label: str) -> bool:
        if isinstance(user_obj, User) and user_obj.is_qc_admin:
            return True
        return super().has_module_perms(user_obj, app_label)
