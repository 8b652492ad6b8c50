"""The progressive web app's service worker, served at /sw.js so that its scope is the whole site.

The worker's code is the hand-written static/js/sw.js; this view prefixes it with the cache version
(a digest of the worker and of the app shell it caches, so a deploy that changes either replaces the
old caches) and the list of the shell's static URLs. It is served without caching, so the browser
sees a new worker at once. `OfflineUserMiddleware` names the signed-in user on each page, so the
worker files a page in that user's cache only, never in another's (caches are per user, and emptied
on sign-out).
"""

import hashlib
import json
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_safe

# The app shell: what every page needs, cached when the worker installs, so a page opened before
# the network dropped reloads without it. Other static files are cached as they are used.
SHELL = (
    "vendor/pico/pico.min.css",
    "css/app.css",
    "css/evidence.css",
    "css/workspace.css",
    "vendor/htmx/htmx.min.js",
    "js/app.js",
    "js/evidence.js",
    "js/offline.js",
    "js/workspace.js",
    "manifest.webmanifest",
    "icons/anesqc-192.png",
    "icons/anesqc-512.png",
)
WORKER = "js/sw.js"
USER_HEADER = "X-Anesqc-User"


def _read(name: str) -> bytes:
    path = finders.find(name)
    if not path or isinstance(path, list):
        raise FileNotFoundError(f"static file {name!r} not found")
    with open(path, "rb") as handle:
        return handle.read()


def worker_source() -> str:
    """The worker's script; read once per process, or at each request with DEBUG (files change as one works)."""
    return _worker_source() if settings.DEBUG else _cached_worker_source()


@cache
def _cached_worker_source() -> str:
    return _worker_source()


def _worker_source() -> str:
    """The worker's script: its version and shell, then static/js/sw.js."""
    body = _read(WORKER)
    digest = hashlib.sha256(body)
    for name in SHELL:
        digest.update(_read(name))
    header = (
        f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
        f"const SHELL = {json.dumps([static(name) for name in SHELL])};\n"
    )
    return header + body.decode()


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: the service worker, scope `/`, never cached by the browser's HTTP cache.

    The browser fetches it in the background, on every page load, to look for a new worker: that is not
    the user's activity, so it writes nothing to the session (no idle-timeout extension, no cookie). A
    session cookie set by this answer could also land after a sign-in made meanwhile and undo it.
    """
    session = getattr(request, "session", None)
    if session is not None:
        session.modified = False
    response = HttpResponse(worker_source(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache, no-store, max-age=0"
    return response


class OfflineUserMiddleware:
    """Names the signed-in user in a header of each page, for the service worker's per-user cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and user is not None
            and user.is_authenticated
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response[USER_HEADER] = str(user.pk)
        return response
