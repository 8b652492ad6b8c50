"""Middleware of the browser UI."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url


class HtmxSessionExpiredMiddleware:
    """An htmx request whose session has expired answers 401, not the login page.

    Otherwise htmx would follow the redirect and swap the login form into the
    criterion card. On 401 the page's script keeps the unsaved answer, sends the
    user to sign in, and replays the answer when they are back (static/js/app.js).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            expired = HttpResponse(status=401)
            expired["HX-Trigger"] = "sessionExpired"
            expired["X-Login-URL"] = response["Location"]
            return expired
        return response
