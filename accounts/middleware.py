"""Session rules enforced on every request of a signed-in browser session."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .security import PASSWORD_EXPIRED, SECOND_FACTOR, VERIFY, session_expired, session_touch

# Views a user may reach while a step is owed: the step's own pages, signing out or in, the language.
_ALWAYS_OPEN = {"login", "logout", "set_language", "admin:logout", "two-factor-verify", "two-factor-setup"}
SECOND_FACTOR_OPEN = frozenset(_ALWAYS_OPEN)
PASSWORD_OPEN = frozenset(_ALWAYS_OPEN | {"password_change", "password_change_done", "admin:password_change"})


class SessionPolicyMiddleware:
    """The session's idle timeout and absolute lifetime, and the steps a sign-in still owes (accounts/security.py).

    - A session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_TIMEOUT is ended (logged
      out server-side) and the request goes on as anonymous, so pages send the user to sign in and
      htmx calls answer 401 (common.middleware.HtmxSessionExpiredMiddleware). Otherwise the request
      is noted, which writes the session back (pushing its stored expiry on) once a minute at most.
    - While a TOTP code or an enrolment is owed, every other page leads there; then, while the
      password is expired, to the password change. API calls on such a session answer 403.

    Mostly only the session is read: no query is added to a request of a user who owes nothing. Token-
    authenticated API calls have no signed-in session and are checked at the token endpoint instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = request.session
        if SESSION_KEY in session:
            if session_expired(session):
                logout(request)
            else:
                session_touch(session)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponseBase | None:
        session = request.session
        if SESSION_KEY not in session:
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        step = session.get(SECOND_FACTOR)
        if step and view_name not in SECOND_FACTOR_OPEN:
            target = "two-factor-verify" if step == VERIFY else "two-factor-setup"
            return _hold(request, target, _("请先完成两步验证。"))
        if session.get(PASSWORD_EXPIRED) and view_name not in PASSWORD_OPEN:
            return _hold(request, "password_change", _("密码已过期，请先修改密码。"))
        return None


def _hold(request: HttpRequest, url_name: str, message: str) -> HttpResponseBase:
    """Send the user to the page of the step they owe, then back to where they were going."""
    match = request.resolver_match
    if match is not None and "api" in match.app_names:
        return JsonResponse({"detail": message}, status=403)
    url = f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
