"""Celery tasks of notifications: thin, over the services. The mail task takes only a mail id."""

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from . import reminders, services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_mail(self: Task, mail_id: int) -> str:
    """Send one queued mail (idempotent); when the server is down, try again later with backoff."""
    outcome = services.mail_send(mail_id=int(mail_id))
    if outcome.retry_in is not None:
        # The row keeps its next try too (next_attempt_at): if this retry message is lost, the sweep sends it.
        raise self.retry(countdown=outcome.retry_in, max_retries=settings.MAIL_MAX_ATTEMPTS)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_mail() -> int:
    """Queue again mails that are due and in no worker's hands (celery beat, every minute)."""
    return services.mail_sweep()


@shared_task(acks_late=True, ignore_result=True)
def send_reminders() -> dict[str, Any]:
    """The day's deadline reminders (celery beat, daily); each sent once per subject and day."""
    result = reminders.reminders_send(day=timezone.localdate())
    return {"sent": result.sent, "already": result.already}


@shared_task(acks_late=True, ignore_result=True)
def send_digests() -> int:
    """The daily digest mails of those who chose them (celery beat, daily)."""
    return services.digests_send(day=timezone.localdate())
