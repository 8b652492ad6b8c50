"""A Celery task runs under the request id of the request that queued it (a worker has no client IP)."""

from types import SimpleNamespace

from celery.signals import before_task_publish, task_postrun, task_prerun

from audit import context
from audit.celery import HEADER


class Task:
    """A task as the worker's signals see it: message headers become attributes of task.request."""

    def __init__(self, **headers: str) -> None:
        self.request = SimpleNamespace(**headers)


def test_the_request_id_travels_with_the_task_message_and_is_current_while_it_runs() -> None:
    headers: dict[str, str] = {}
    with context.bound(context.AuditContext(request_id="req-7", ip="192.0.2.9")):
        before_task_publish.send(sender="reports.tasks.render_report", headers=headers, body=None)
    assert headers == {HEADER: "req-7"}

    task = Task(**headers)
    task_prerun.send(sender=task, task_id="t-1", task=task)
    assert context.current() == context.AuditContext(request_id="req-7")
    task_postrun.send(sender=task, task_id="t-1", task=task)
    assert context.current() == context.AuditContext()


def test_a_task_queued_outside_a_request_carries_none() -> None:
    headers: dict[str, str] = {}
    before_task_publish.send(sender="reports.tasks.sweep_reports", headers=headers, body=None)
    task = Task(**headers)

    task_prerun.send(sender=task, task_id="t-2", task=task)
    assert context.current() == context.AuditContext()
    task_postrun.send(sender=task, task_id="t-2", task=task)


def test_a_forged_header_is_not_taken() -> None:
    task = Task(**{HEADER: "<script>"})

    task_prerun.send(sender=task, task_id="t-3", task=task)
    assert context.current().request_id == ""
    task_postrun.send(sender=task, task_id="t-3", task=task)
