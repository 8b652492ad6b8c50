"""Celery tasks of reports: thin, taking only a job id; the work is in `services`.

`render_report` acknowledges late and is rejected (so re-delivered) when its worker process is
lost; its hard time limit (REPORT_TIME_LIMIT) stays below the broker's visibility timeout, and
the soft limit (80% of it) lets a render that runs too long fail with a message on the row.
Transient errors (database, disk) are retried with exponential backoff.
"""

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from common.jobs import job_task_options, worker_name

from . import services


@shared_task(**job_task_options(settings.REPORT_TIME_LIMIT))
def render_report(self: Task, job_id: int) -> str:
    """Render one report job (idempotent: a duplicate delivery finds it claimed or done and stops)."""
    outcome = services.report_run(job_id=int(job_id), worker=worker_name(self))
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_reports() -> dict[str, Any]:
    """Queue again report jobs lost on the way to or in a worker (celery beat runs this periodically)."""
    return services.report_sweep()
