"""Sign-in policy: password age, the second factor, and the session's own clock.

What a sign-in still owes (a TOTP code, an enrolment, a new password) is decided once, when the
user signs in, and kept in the session; `accounts.middleware.SessionPolicyMiddleware` then holds
every other page back until it is done. Deciding at sign-in keeps each later request free of
queries, and covers every way in: the sign-in page, the admin's and a test's `force_login`.
"""

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SecurityPolicy, User

# Session keys. AUTH_AT: when the user signed in (epoch seconds), for the absolute lifetime.
AUTH_AT = "anesqc_auth_at"
# LAST_SEEN: the last request (epoch seconds, to within SESSION_REFRESH_INTERVAL), for the idle timeout.
LAST_SEEN = "anesqc_last_seen"
# The session is written back (pushing its expiry on) at most this often, not at every request.
SESSION_REFRESH_INTERVAL = 60
# SECOND_FACTOR: "verify" (enter a TOTP code) or "enrol" (bind an authenticator first).
SECOND_FACTOR = "anesqc_second_factor"
VERIFY = "verify"
ENROL = "enrol"
# PASSWORD_EXPIRED: True while a qc_admin's or inspector's password is older than allowed.
PASSWORD_EXPIRED = "anesqc_password_expired"  # noqa: S105 (a session key, not a password)


def password_expired(user: User, *, now: Any = None) -> bool:
    """True if the user's role has expiring passwords and theirs is older than PASSWORD_MAX_AGE_DAYS."""
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if max_age <= 0 or not user.is_privileged:
        return False
    # Accounts made by the manager (createsuperuser) got their first password with the account.
    changed = user.password_changed_at or user.date_joined
    now = now or timezone.now()
    return now - changed > timedelta(days=max_age)


def second_factor_required() -> bool:
    """Whether a qc_admin has made the second factor mandatory for qc_admin and inspector accounts."""
    return SecurityPolicy.objects.filter(pk=1, second_factor_required=True).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    """The user's TOTP authenticator, once enrolment has confirmed it."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_step(user: User) -> str | None:
    """What a signing-in user owes for the second factor: VERIFY, ENROL, or None."""
    if not user.is_privileged:
        return None
    if confirmed_device(user) is not None:
        return VERIFY
    if second_factor_required():
        return ENROL
    return None


def session_start(session: SessionBase, user: User) -> None:
    """Note in a new session when it began and which steps the user still owes."""
    session[AUTH_AT] = session[LAST_SEEN] = int(time.time())
    session.pop(SECOND_FACTOR, None)
    session.pop(PASSWORD_EXPIRED, None)
    step = second_factor_step(user)
    if step:
        session[SECOND_FACTOR] = step
    if password_expired(user):
        session[PASSWORD_EXPIRED] = True


def session_expired(session: SessionBase) -> bool:
    """True if a signed-in session has been idle too long, or is too old however active it has been.

    Idle: no request for SESSION_COOKIE_AGE seconds (SESSION_IDLE_TIMEOUT). Old: SESSION_ABSOLUTE_TIMEOUT
    seconds since sign-in. A session from before these rules starts both clocks now.
    """
    now = int(time.time())
    started, seen = session.get(AUTH_AT), session.get(LAST_SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        session[AUTH_AT] = started if isinstance(started, int) else now
        session[LAST_SEEN] = now
        return False
    return now - seen > settings.SESSION_COOKIE_AGE or now - started > settings.SESSION_ABSOLUTE_TIMEOUT


def session_touch(session: SessionBase) -> None:
    """Note a request; at most once a SESSION_REFRESH_INTERVAL, so that most requests write nothing.

    Writing the session pushes its stored expiry (SESSION_COOKIE_AGE) on as well.
    """
    now = int(time.time())
    if now - int(session.get(LAST_SEEN, 0)) >= SESSION_REFRESH_INTERVAL:
        session[LAST_SEEN] = now
