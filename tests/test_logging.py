"""Log lines that user input cannot forge (issue 12, L3): control characters are escaped in every record."""

import io
import logging

import pytest
from django.test import Client

from common.logfilters import EscapeControlCharacters

pytestmark = pytest.mark.django_db


def _console() -> logging.Handler:
    return next(
        h for h in logging.getLogger().handlers if any(isinstance(f, EscapeControlCharacters) for f in h.filters)
    )


def test_a_newline_in_an_attempted_username_stays_on_its_own_log_line() -> None:
    handler = _console()
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        Client().post("/accounts/login/", {"username": "bob\nAXES: User qcadmin logged in\r\x1b[2J", "password": "x"})
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]

    written = stream.getvalue()
    assert "bob\\nAXES: User qcadmin logged in\\r\\x1b[2J" in written
    assert not any(line.startswith("AXES: User qcadmin") for line in written.splitlines())


def test_the_filter_keeps_plain_messages_and_their_arguments() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s from %s", ("张三", "10.0.0.1"), None)
    assert EscapeControlCharacters().filter(record)
    assert record.getMessage() == "user 张三 from 10.0.0.1"
    forged = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s", ("a\u2028b",), None)
    EscapeControlCharacters().filter(forged)
    assert forged.getMessage() == "user a\\u2028b"
