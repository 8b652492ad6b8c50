"""Sign-ins, sign-outs and failed sign-ins, recorded from Django's authentication signals; damaged files too.

Every way in ends in these signals: the login page and the admin's (`login()` sends
user_logged_in), the API token endpoint (`authenticate()` sends user_login_failed), and
`logout()`. The attempted username of a failure is kept; the password never reaches here
(Django masks it before sending the signal).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from common.files import file_integrity_failure

from .services import audit_record


def _login(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", obj=user)


def _logout(sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any) -> None:
    # `user` is None when nobody was signed in; a logout of nobody is still worth a line.
    if user is not None and getattr(user, "pk", None):
        audit_record(actor=user, action="auth.logout", obj=user)
    else:
        audit_record(actor=None, action="auth.logout", object_type="accounts.user")


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    model = get_user_model()
    username = str(credentials.get(model.USERNAME_FIELD) or credentials.get("username") or "")[:150]
    known = model._default_manager.filter(**{model.USERNAME_FIELD: username}).values_list("pk", flat=True).first()
    audit_record(
        actor=None,
        action="auth.login_failed",
        object_type=model._meta.label_lower,
        object_id=str(known) if known is not None else "",
        object_repr=username,
        after={"username": username},
    )


def _locked_out(sender: Any, request: HttpRequest | None, username: str, ip_address: str, **kwargs: Any) -> None:
    model = get_user_model()
    username = str(username or "")[:150]
    known = model._default_manager.filter(**{model.USERNAME_FIELD: username}).values_list("pk", flat=True).first()
    audit_record(
        actor=None,
        action="auth.locked_out",
        object_type=model._meta.label_lower,
        object_id=str(known) if known is not None else "",
        object_repr=username,
        after={"username": username},
    )


def _file_integrity_failure(sender: Any, request: HttpRequest, stored: Any, actual: str, **kwargs: Any) -> None:
    audit_record(
        actor=request.user,
        action="file.integrity_failure",
        obj=stored,
        before={"sha256": stored.sha256},
        after={"sha256": actual, "file": stored.file.name},
        assessment=getattr(stored, "assessment", None),
        criterion=getattr(stored, "criterion", None),
    )


def connect() -> None:
    """Subscribe to the authentication signals and the stored-file integrity signal (once)."""
    user_logged_in.connect(_login, dispatch_uid="audit.login")
    user_logged_out.connect(_logout, dispatch_uid="audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit.login_failed")
    file_integrity_failure.connect(_file_integrity_failure, dispatch_uid="audit.file_integrity_failure")
    # django-axes' signal module reads its settings on import, so it is imported once Django is set up.
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit.locked_out")
