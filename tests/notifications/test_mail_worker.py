"""The whole way with real parts: a real Celery worker (Redis broker, PostgreSQL) sends a notification mail
to a real SMTP server (aiosmtpd) that is down at first; the mail waits, is retried, and arrives once."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from notifications.models import MailMessage, MailStatus
from scoring.services import criterion_return
from tests.conftest import Cast
from tests.notifications.conftest import criterion, submitted_self
from tests.notifications.smtp import SmtpServer, smtp
from tests.reports.test_worker import Worker, start_worker, wait_for

__all__ = ["smtp", "start_worker"]  # the fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_real_worker_retries_while_the_server_is_down_and_delivers_once(
    cast: Cast, smtp: SmtpServer, start_worker: Callable[..., Worker]
) -> None:
    cast.head_a.email = "head_a@hospital.example.cn"
    cast.head_a.save(update_fields=["email"])
    smtp.stop()
    worker = start_worker(
        env={
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "5",
            "SITE_URL": "https://qc.example.cn",
            "MAIL_RETRY_BACKOFF": "2",
        }
    )
    assessment = submitted_self(cast)

    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")

    mail = MailMessage.objects.get(to="head_a@hospital.example.cn")
    failed_once = wait_for(
        "the first attempt to fail",
        lambda: MailMessage.objects.filter(pk=mail.pk, attempts=1, status=MailStatus.PENDING).exclude(error="").first(),
        log=worker.text,
    )
    assert "Connection refused" in failed_once.error or "Error" in failed_once.error
    smtp.start()
    wait_for(
        "the retry to send it",
        lambda: MailMessage.objects.filter(pk=mail.pk, status=MailStatus.SENT).exists(),
        log=worker.text,
    )

    [(rcpts, message)] = smtp.received.envelopes
    assert rcpts == ["head_a@hospital.example.cn"]
    assert "缺少签字页" in message.get_body(("plain",)).get_content()
    assert f"https://qc.example.cn/assessments/{assessment.pk}/#c-1.1-1-1" in message.get_body(("html",)).get_content()
    assert MailMessage.objects.get(pk=mail.pk).attempts == 2
