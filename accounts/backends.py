"""Authentication backends: the per-account lockout, and roles mapped onto Django permissions."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import lockout
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


class AccountLockoutBackend:
    """Refuse every sign-in of an account that has failed too often from anywhere, before any password check.

    django-axes locks an (account, address) pair after LOGIN_FAILURE_LIMIT failures for LOGIN_LOCKOUT_MINUTES,
    which leaves a colleague at another desk unaffected. This adds a limit per account across all addresses
    (ACCOUNT_FAILURE_LIMIT failures within ACCOUNT_LOCKOUT_HOURS), against guessing from many addresses.
    A qc_admin lifts it in the admin; with no qc_admin left to do so, `manage.py unlock_account USERNAME`.

    It has no get_user(), on purpose: sessions belong to the backend that signs users in (RoleBackend),
    and Django's test client would otherwise pick this one for force_login.
    """

    def authenticate(self, request: Any, username: str | None = None, **kwargs: Any) -> None:
        if request is not None and username and lockout.account_locked(username):
            # django-axes' middleware (pages) and the token endpoint show their lockout answer for this flag.
            request.axes_locked_out = True
            request.axes_credentials = {"username": username}
            raise PermissionDenied
        return None
