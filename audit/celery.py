"""Celery tasks inherit the request id of the request that queued them.

The id travels as a message header (`anesqc_request_id`); while the task runs it is the
current audit context, so events a task writes name the request that caused them. Tasks
queued outside a request (celery beat) carry none. No IP: a worker has no client.
"""

from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from . import context

HEADER = "anesqc_request_id"

# Context tokens of the running tasks, by task id, to restore the previous context afterwards.
_tokens: dict[str, Any] = {}


def _publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = context.current().request_id
    if headers is not None and request_id:
        headers[HEADER] = request_id


def _prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    raw = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    request_id = context.clean_request_id(raw)
    # No header (a task run eagerly inside a request, or queued by beat): the current context stands.
    if request_id:
        _tokens[task_id] = context.enter(context.AuditContext(request_id=request_id))


def _postrun(task_id: str = "", **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        context.leave(token)


def connect() -> None:
    """Subscribe to Celery's publish and run signals (once)."""
    before_task_publish.connect(_publish, dispatch_uid="audit.celery.publish", weak=False)
    task_prerun.connect(_prerun, dispatch_uid="audit.celery.prerun", weak=False)
    task_postrun.connect(_postrun, dispatch_uid="audit.celery.postrun", weak=False)
