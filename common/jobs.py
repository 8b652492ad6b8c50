"""What every long job of anesqc shares: a database row claimed by a thin Celery task (report renders,
case imports). The rows and their services stay in their apps; the rules of the road are here."""

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError

# Errors worth another try: the database or the disk were briefly unavailable.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, OSError)
# A claim lasts the task's hard time limit plus this: after it, the worker holding it has been killed for sure.
LEASE_MARGIN = timedelta(seconds=5)
# A row created this recently may still be on its way to the broker (its on_commit hook runs after the request).
JUST_CREATED = timedelta(seconds=10)


@dataclass(frozen=True)
class RunOutcome:
    """What one delivery of a job's task did, and when to try again if it could not start."""

    status: str
    retry_in: int | None = None


def job_task_options(time_limit: int) -> dict[str, Any]:
    """Celery options of a job's task: acknowledged late and rejected when its worker is lost (so delivered
    again), transient errors retried with backoff, a hard limit below the broker's visibility timeout and a
    soft one at 80% so a job that runs too long fails with a message on its row."""
    return {
        "bind": True,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": TRANSIENT_ERRORS,
        "retry_backoff": 5,
        "retry_backoff_max": 120,
        "retry_jitter": True,
        "max_retries": 5,
        "time_limit": time_limit,
        "soft_time_limit": time_limit * 4 // 5,
    }


def worker_name(task: Task) -> str:
    """Who claims a job: the worker's host name and process, written on the row."""
    return f"{task.request.hostname or 'local'}:{os.getpid()}"
