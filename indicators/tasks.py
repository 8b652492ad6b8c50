"""Celery tasks of indicators: thin, taking only a case import's id; the work is in `cases.jobs`.

`run_case_import` acknowledges late and is rejected (so re-delivered) when its worker process is
lost; its hard time limit (CASE_IMPORT_TIME_LIMIT) stays below the broker's visibility timeout, and
the soft limit (80% of it) lets an import that runs too long fail with a message on the row.
Transient errors (database, disk) are retried with exponential backoff.
"""

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from common.jobs import job_task_options, worker_name

from .cases import jobs


@shared_task(**job_task_options(settings.CASE_IMPORT_TIME_LIMIT))
def run_case_import(self: Task, job_id: int) -> str:
    """Import one queued case file (idempotent: a duplicate delivery finds it claimed or done and stops)."""
    outcome = jobs.case_import_run(job_id=int(job_id), worker=worker_name(self))
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_case_imports() -> dict[str, Any]:
    """Queue again case imports lost on the way to or in a worker (celery beat runs this periodically)."""
    return jobs.case_import_sweep()
