"""Writes of notifications: deliver notices (inbox rows and queued mail), mark read, the e-mail choice,
the mail queue (claim, send, retry), the daily digest and the deadline reminders."""

import datetime
import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from audit.services import audit_record
from common.jobs import JUST_CREATED, RunOutcome

from . import mail as mailer
from .models import DigestClaim, EmailChoice, MailMessage, MailStatus, Notification, Preference, ReminderClaim
from .recipients import Notice

logger = logging.getLogger(__name__)

MAIL_LEASE = timedelta(minutes=2)


# --- the inbox ------------------------------------------------------------------------------------


def email_choice(user: User) -> str:
    """How the person wants to hear by mail (every notification when they never chose)."""
    chosen = Preference.objects.filter(user=user).values_list("email", flat=True).first()
    return chosen or EmailChoice.EVERY


def notices_deliver(notices: Iterable[Notice]) -> list[Notification]:
    """Write each notice for each of its people, and queue a mail for those who want every notification.

    Runs in the caller's transaction (the write the notice is about): the rows commit with it, and the
    mails are handed to the broker only after the commit.
    """
    created: list[Notification] = []
    mails: list[int] = []
    for notice in notices:
        for user in notice.users:
            if notice.key:
                existing = Notification.objects.select_for_update().filter(recipient=user, key=notice.key).first()
                if existing is not None:
                    # One more event of the same batch (a plan's next item): counted on the row already there.
                    existing.params = {**existing.params, "count": int(existing.params.get("count", 1)) + 1}
                    existing.save(update_fields=["params"])
                    continue
            notification = Notification.objects.create(
                recipient=user,
                kind=notice.kind,
                params=notice.params,
                link=notice.link,
                hospital_id=notice.hospital_id,
                key=notice.key,
            )
            created.append(notification)
            if user.email and email_choice(user) == EmailChoice.EVERY:
                mails.append(MailMessage.objects.create(recipient=user, notification=notification, to=user.email).pk)
    if mails:
        transaction.on_commit(partial(mail_enqueue, mails))
    return created


@transaction.atomic
def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (the caller found it in the actor's inbox)."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(actor=actor, action="notification.read", obj=notification, after={"kind": notification.kind})
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
    audit_record(
        actor=actor, action="notification.read_all", object_type="notifications.notification", after={"count": count}
    )
    return count


@transaction.atomic
def preference_set(*, actor: User, email: str) -> Preference:
    """Set how the actor hears by e-mail: every notification, a daily digest, or none."""
    if email not in EmailChoice.values:
        raise ValueError(email)
    preference, _created = Preference.objects.get_or_create(user=actor)
    before = preference.email if not _created else None
    preference.email = email
    preference.save(update_fields=["email", "updated_at"])
    audit_record(
        actor=actor, action="notification.preference", obj=preference, before={"email": before}, after={"email": email}
    )
    return preference


# --- the mail queue ---------------------------------------------------------------------------------


def mail_enqueue(mail_ids: Iterable[int]) -> int:
    """Hand mails to the broker; a broker that is down is logged, not raised (the sweep hands them over later)."""
    from .tasks import send_mail  # the task module imports these services

    sent = 0
    for mail_id in mail_ids:
        try:
            send_mail.delay(mail_id)
        except BrokerError as exc:
            logger.warning("mails %s not queued, broker unavailable: %s", list(mail_ids), exc)
            break
        sent += 1
    return sent


def _backoff(attempts: int) -> int:
    return min(settings.MAIL_RETRY_BACKOFF * 2 ** max(attempts - 1, 0), 3600)


def mail_send(*, mail_id: int) -> RunOutcome:
    """One delivery of the mail task: claim the row, send, mark sent; on failure leave it pending with a
    time for the next try (or failed once MAIL_MAX_ATTEMPTS are used). Idempotent: a sent mail is not sent again."""
    now = timezone.now()
    claimable = Q(status=MailStatus.PENDING) | Q(status=MailStatus.SENDING, lease_until__lt=now)
    claimed = MailMessage.objects.filter(claimable, pk=mail_id, attempts__lt=settings.MAIL_MAX_ATTEMPTS).update(
        status=MailStatus.SENDING, attempts=F("attempts") + 1, lease_until=now + MAIL_LEASE
    )
    if not claimed:
        return RunOutcome("not-claimed")
    mail = MailMessage.objects.select_related("notification").get(pk=mail_id)
    try:
        mailer.deliver(mail)
    except mailer.SEND_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if mail.attempts >= settings.MAIL_MAX_ATTEMPTS:
            MailMessage.objects.filter(pk=mail_id).update(status=MailStatus.FAILED, error=error, lease_until=None)
            logger.error("mail %s failed for good after %s attempts: %s", mail_id, mail.attempts, error)
            return RunOutcome("failed")
        wait = _backoff(mail.attempts)
        MailMessage.objects.filter(pk=mail_id).update(
            status=MailStatus.PENDING,
            error=error,
            lease_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
        logger.warning("mail %s not sent (attempt %s), retrying in %s s: %s", mail_id, mail.attempts, wait, error)
        return RunOutcome("retry", retry_in=wait)
    MailMessage.objects.filter(pk=mail_id).update(
        status=MailStatus.SENT, sent_at=timezone.now(), lease_until=None, error=""
    )
    return RunOutcome("sent")


def mail_sweep() -> int:
    """Queue again mails that are due and not in a worker's hands: never handed to the broker, due for their
    next try after a failure, or claimed by a worker that died. Run by celery beat; returns how many."""
    now = timezone.now()
    due = MailMessage.objects.filter(
        Q(status=MailStatus.PENDING, next_attempt_at__isnull=True, created_at__lt=now - JUST_CREATED)
        | Q(status=MailStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=MailStatus.SENDING, lease_until__lt=now),
        attempts__lt=settings.MAIL_MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    return mail_enqueue(list(due[:1000]))


# --- the daily digest -------------------------------------------------------------------------------


def digests_send(*, day: datetime.date) -> int:
    """Write the day's digest mail for everyone who chose one and has something unread not yet digested.

    Each person's digest is claimed by a DigestClaim row (person, day) first, so two beat runs or two
    workers write it once.
    """
    written = 0
    people = User.objects.filter(is_active=True, notification_preference__email=EmailChoice.DIGEST).exclude(email="")
    for user in people:
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update()
                .filter(recipient=user, read_at__isnull=True, digested_at__isnull=True)
                .order_by("created_at", "id")
            )
            if not pending or not _claimed(DigestClaim, user=user, day=day):
                continue
            subject, text, html = mailer.compose_digest(pending)
            mail = MailMessage.objects.create(
                recipient=user, to=user.email, subject=subject, body_text=text, body_html=html
            )
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(digested_at=timezone.now())
            transaction.on_commit(partial(mail_enqueue, [mail.pk]))
            written += 1
    return written


def _claimed(model: type[DigestClaim] | type[ReminderClaim], **fields: object) -> bool:
    """Insert the claim row; False if another run inserted it first (the unique constraint decides)."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def reminder_deliver(*, subject: str, day: datetime.date, notice: Notice) -> bool:
    """Send one deadline reminder unless it was sent already that day (claimed in the same transaction)."""
    with transaction.atomic():
        if not _claimed(ReminderClaim, subject=subject, day=day):
            return False
        notices_deliver([notice])
    return True
