"""The session bookkeeping of a sign-in, from Django's user_logged_in signal.

Every way in sends it (the sign-in page, the admin's, `force_login`), so every signed-in session
carries its start time and the steps its user still owes (accounts/security.py).
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

from .models import User
from .security import session_start


def _session_start(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session_start(session, user)


def connect() -> None:
    """Subscribe to user_logged_in (once)."""
    user_logged_in.connect(_session_start, dispatch_uid="accounts.session_start")
