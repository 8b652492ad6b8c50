"""Where the current write comes from: the request id and client IP, without threading them through services.

`audit.middleware.RequestIdMiddleware` sets the context for each request; Celery tasks inherit the
request id of the request that queued them (see `audit.celery`); anything else (management commands,
a shell) has none, and its events carry no IP and no request id.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

# A caller-supplied id (a proxy's $request_id, a client's trace id) is kept only if it is a short,
# plain token: it ends up in logs, CSV files and response headers.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


@dataclass(frozen=True)
class AuditContext:
    """The origin of the events written while it is current."""

    request_id: str = ""
    ip: str | None = None


_current: ContextVar[AuditContext] = ContextVar("audit_context", default=AuditContext())  # noqa: B039


def current() -> AuditContext:
    """The context of the running request or task (empty outside both)."""
    return _current.get()


def new_request_id() -> str:
    """A fresh request id: 32 hex digits."""
    return uuid.uuid4().hex


def clean_request_id(raw: str | None) -> str:
    """`raw` if it is a safe short token, else ""."""
    raw = (raw or "").strip()
    return raw if SAFE_REQUEST_ID.fullmatch(raw) else ""


def enter(context: AuditContext) -> Token[AuditContext]:
    """Make `context` current until `leave` is called with the returned token."""
    return _current.set(context)


def leave(token: Token[AuditContext]) -> None:
    """Restore the context that was current before `enter`."""
    _current.reset(token)


@contextmanager
def bound(context: AuditContext) -> Iterator[AuditContext]:
    """Make `context` current for the duration of the block."""
    token = enter(context)
    try:
        yield context
    finally:
        leave(token)
