"""Authentication backend that maps roles onto Django permissions."""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class RoleBackend(ModelBackend):
    """ModelBackend where an active qc_admin holds every permission, like a superuser.

    The QC centre administers the whole system; per-permission grants would only
    be a second, drifting copy of the role.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if getattr(user_obj, "is_qc_admin", False):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if getattr(user_obj, "is_qc_admin", False):
            return True
        return super().has_module_perms(user_obj, app_label)
