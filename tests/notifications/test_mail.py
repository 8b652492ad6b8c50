"""E-mail through a real SMTP server (aiosmtpd on a free port): recipients, subject, Chinese body, the link;
with the server down the mail stays queued and goes out once it is back, never twice."""

import datetime
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from notifications import services, tasks
from notifications.models import EmailChoice, Kind, MailMessage, MailStatus, Notification, Preference
from scoring.services import criterion_return
from tests.conftest import Cast
from tests.notifications.conftest import CODE, criterion, submitted_self
from tests.notifications.smtp import SmtpServer, smtp

__all__ = ["smtp"]  # the fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The broker hop replaced by running the task at once, as a worker would (the rest is real)."""
    handed: list[int] = []

    def deliver(mail_id: int) -> None:
        handed.append(mail_id)
        tasks.send_mail.apply(args=[mail_id])

    monkeypatch.setattr(tasks.send_mail, "delay", deliver)
    return handed


def with_addresses(cast: Cast) -> None:
    for who in ("head_a", "staff_a", "inspector"):
        user = cast.users[who]
        user.email = f"{who}@hospital.example.cn"
        user.save(update_fields=["email"])


@pytest.mark.django_db
def test_a_returned_criterion_is_mailed_after_commit_in_chinese_with_both_parts_and_the_link(
    cast: Cast, smtp: SmtpServer, worker: list[int], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with_addresses(cast)
    assessment = submitted_self(cast)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")
        returned = MailMessage.objects.filter(notification__kind=Kind.CRITERION_RETURNED)
        assert returned.count() == 2 and smtp.messages == []  # written, not sent before the commit
    for callback in callbacks:
        callback()

    # (the inspector was mailed of the submission before; here only the return counts)
    assert sorted(
        rcpt
        for rcpts, _m in smtp.received.envelopes
        for rcpt in rcpts
        if "hospital" in rcpt and "inspector" not in rcpt
    ) == [
        "head_a@hospital.example.cn",
        "staff_a@hospital.example.cn",
    ]
    message = next(m for rcpts, m in smtp.received.envelopes if rcpts == ["head_a@hospital.example.cn"])
    assert message["To"] == "head_a@hospital.example.cn"
    assert message["Subject"].strip() == "【麻醉质控】细则被退回"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://qc.example.cn/assessments/{assessment.pk}/#c-{CODE}"
    assert "甲医院 2026 年自评的细则 1.1-1-1 被退回：缺少签字页" in plain and link in plain
    assert f'href="{link}"' in html and "缺少签字页" in html
    assert set(returned.values_list("status", flat=True)) == {MailStatus.SENT}


@pytest.mark.django_db
def test_no_mail_for_those_who_chose_none_or_a_digest(cast: Cast, smtp: SmtpServer, worker: list[int]) -> None:
    with_addresses(cast)
    Preference.objects.create(user=cast.head_a, email=EmailChoice.NONE)
    Preference.objects.create(user=cast.staff_a, email=EmailChoice.DIGEST)
    assessment = submitted_self(cast)

    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")

    assert MailMessage.objects.filter(notification__kind=Kind.CRITERION_RETURNED).count() == 0
    assert Notification.objects.filter(kind=Kind.CRITERION_RETURNED).count() == 2  # the inbox still has them


@pytest.mark.django_db
def test_with_the_server_down_the_mail_is_retried_and_nothing_is_lost(cast: Cast, smtp: SmtpServer) -> None:
    with_addresses(cast)
    smtp.stop()
    assessment = submitted_self(cast)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")
    mail = MailMessage.objects.get(to="head_a@hospital.example.cn")

    first = services.mail_send(mail_id=mail.pk)

    mail.refresh_from_db()
    assert first.status == "retry" and first.retry_in is not None
    assert mail.status == MailStatus.PENDING and mail.attempts == 1 and mail.error
    assert mail.next_attempt_at is not None and mail.next_attempt_at > timezone.now()

    # Not due yet: the sweep leaves it; the server comes back; once due, the sweep hands it over and it goes.
    handed: list[int] = []
    smtp.start()
    with time_machine.travel(timezone.now(), tick=False):
        assert _sweep(handed) == [] or mail.pk not in handed
    with time_machine.travel(mail.next_attempt_at + datetime.timedelta(seconds=1), tick=False):
        handed = []
        assert mail.pk in _sweep(handed)
        for mail_id in handed:
            services.mail_send(mail_id=mail_id)

    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 2
    to_head = [m for rcpts, m in smtp.received.envelopes if rcpts == ["head_a@hospital.example.cn"]]
    assert len(to_head) == 1
    # A duplicate delivery of the task (a second worker) finds it sent and sends nothing.
    assert services.mail_send(mail_id=mail.pk).status == "not-claimed"
    assert len([1 for rcpts, _m in smtp.received.envelopes if rcpts == ["head_a@hospital.example.cn"]]) == 1


def _sweep(handed: list[int]) -> list[int]:
    original = tasks.send_mail.delay
    tasks.send_mail.delay = handed.append  # type: ignore[method-assign]
    try:
        services.mail_sweep()
    finally:
        tasks.send_mail.delay = original  # type: ignore[method-assign]
    return handed


@pytest.mark.django_db
def test_a_mail_that_keeps_failing_is_marked_failed_after_the_last_attempt(
    cast: Cast, smtp: SmtpServer, settings: Any
) -> None:
    settings.MAIL_MAX_ATTEMPTS = 2
    with_addresses(cast)
    smtp.stop()
    submitted = submitted_self(cast)
    criterion_return(actor=cast.inspector, assessment=submitted, criterion=criterion(), reason="缺少签字页")
    mail = MailMessage.objects.get(to="head_a@hospital.example.cn")

    services.mail_send(mail_id=mail.pk)
    MailMessage.objects.filter(pk=mail.pk).update(next_attempt_at=None)
    assert services.mail_send(mail_id=mail.pk).status == "failed"

    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED and mail.attempts == 2 and "Error" in mail.error


@pytest.mark.django_db
def test_the_daily_digest_goes_once_with_every_unread_notification(
    cast: Cast, smtp: SmtpServer, worker: list[int]
) -> None:
    with_addresses(cast)
    Preference.objects.create(user=cast.head_a, email=EmailChoice.DIGEST)
    assessment = submitted_self(cast)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("1.1-1-2"), reason="缺少记录")
    day = timezone.localdate()

    first = services.digests_send(day=day)
    second = services.digests_send(day=day)  # a second beat run the same day
    for mail in MailMessage.objects.filter(to="head_a@hospital.example.cn", status=MailStatus.PENDING):
        services.mail_send(mail_id=mail.pk)

    assert (first, second) == (1, 0)
    [digest] = [m for rcpts, m in smtp.received.envelopes if rcpts == ["head_a@hospital.example.cn"]]
    assert digest["Subject"].strip() == "【麻醉质控】每日摘要：2 条新通知"
    plain = digest.get_body(("plain",)).get_content()
    assert "缺少签字页" in plain and "缺少记录" in plain and "https://qc.example.cn/assessments/" in plain


def _mail_settings(tmp_path: Path, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "EMAIL_URL"}}
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**clean, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1].split()


def test_the_mail_server_comes_from_email_url_and_defaults_to_the_console(tmp_path: Path) -> None:
    assert _mail_settings(tmp_path)[0] == "django.core.mail.backends.console.EmailBackend"
    assert _mail_settings(tmp_path, EMAIL_URL="smtp+tls://qc%40hospital.cn:secret@smtp.hospital.cn:587") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.hospital.cn",
        "587",
        "True",
        "qc@hospital.cn",
    ]
