"""Request ids and client IPs for the audit log, and the record of refused requests.

`RequestIdMiddleware` comes first in MIDDLEWARE, so every response (redirects of the security
middleware included) carries `X-Request-ID`, and every event written while the request runs,
whatever service writes it, carries the request id and the client's IP (`common.proxy.client_ip`:
the address the deployment's TRUSTED_PROXY_COUNT lets us trust, as for the login lockout).
"""

import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase

from common.proxy import client_ip

from . import context, services

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Anonymous refusals are written at most this many times per address and minute: each row is permanent,
# so a script posting without a CSRF token must not be able to grow the trail at will.
ANONYMOUS_REFUSALS_PER_MINUTE = 5


def _anonymous_refusal_allowed(ip: str) -> bool:
    """Count an anonymous refusal from `ip` in the current minute; whether it is still within the limit."""
    key = f"audit:anonymous-refusals:{ip}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=120):
        return True
    try:
        return cache.incr(key) <= ANONYMOUS_REFUSALS_PER_MINUTE
    except ValueError:  # the key expired in between
        return cache.add(key, 1, timeout=120)


class RequestIdMiddleware:
    """Give each request an id (or keep a safe incoming X-Request-ID) and make it current for the audit log.

    Refused requests are recorded too: every 403 (Django views, DRF views, CSRF failures alike), and a
    404 on an object URL for a signed-in user, which is how a probe for another hospital's record
    (an IDOR attempt) looks from here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = context.clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or context.new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bound(context.AuditContext(request_id=request_id, ip=client_ip(request))):
            response = self.get_response(request)
            self._record_refusal(request, response)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def _record_refusal(self, request: HttpRequest, response: HttpResponseBase) -> None:
        user = getattr(request, "user", None)
        signed_in = bool(getattr(user, "is_authenticated", False))
        match = request.resolver_match
        if response.status_code == 403:
            action = "access.denied"
        elif response.status_code == 409 and request.method in WRITE_METHODS:
            action = "access.conflict"  # a write the object's state refused (submitted, finalized, changed since)
        elif response.status_code == 404 and signed_in and match is not None and match.kwargs:
            action = "access.not_found"
        else:
            return
        if not signed_in and not _anonymous_refusal_allowed(client_ip(request) or "-"):
            logger.warning(
                "not recording %s for anonymous %s %s: too many from this address", action, request.method, request.path
            )
            return
        try:
            services.audit_request_refused(
                actor=user if signed_in else None,
                action=action,
                method=request.method or "",
                path=request.get_full_path()[:500],
                view=match.view_name if match is not None else "",
                status=response.status_code,
            )
        except DatabaseError:
            # The refusal stands whether or not it could be written; the failure is logged.
            logger.exception("could not record %s for %s %s", action, request.method, request.path)
