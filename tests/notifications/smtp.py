"""A real SMTP server for the tests: aiosmtpd on a free port of 127.0.0.1, keeping what it receives."""

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """What the server accepted: envelope recipients and the parsed message, in order."""

    envelopes: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.envelopes.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """The server's address and what it received; `start` / `stop` bring it up and down on the same port."""

    port: int
    received: Received
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.received, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [m for _rcpt, m in self.received.envelopes]


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """Django's SMTP backend pointed at a fresh aiosmtpd server (started; `stop()` it to take it down)."""
    server = SmtpServer(port=free_port(), received=Received())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://qc.example.cn"
    server.start()
    yield server
    server.stop()
