"""What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE): a page in the UI's language, 429."""

import datetime
from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessFailureLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def account_failures(username: str, *, now: datetime.datetime | None = None) -> int:
    """Failed sign-ins of this account from any address within ACCOUNT_LOCKOUT_HOURS."""
    since = (now or timezone.now()) - datetime.timedelta(hours=settings.ACCOUNT_LOCKOUT_HOURS)
    return AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count()


def account_locked(username: str) -> bool:
    """Whether the account has reached ACCOUNT_FAILURE_LIMIT failures within the window (from any address)."""
    return account_failures(username) >= settings.ACCOUNT_FAILURE_LIMIT


def account_unlock(username: str) -> int:
    """Forget the account's failures, per address and across addresses; returns how many records went.

    The audit trail keeps every failed sign-in (auth.login_failed) whatever is forgotten here.
    """
    cleared = axes_reset(username=username)
    cleared += AccessFailureLog.objects.filter(username=username).delete()[0]
    return cleared


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """The lockout page of the sign-in page and the admin's (the API's token endpoint answers for itself)."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "lockout_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
