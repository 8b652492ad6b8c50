"""The browser fixtures wait for the live server's requests in flight before the database is flushed.

A request the browser sent just before its page closed used to be served while pytest-django flushed the
database: the flush failed and the next test found the previous one's rows (CI of 2026-12-06).
"""

import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import wait_for_requests_in_flight

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_still_being_served_is_waited_for(live_server: Any) -> None:
    address = urlsplit(live_server.url)
    client = socket.create_connection((address.hostname, address.port))
    # Half a request: the server's thread for it waits for the rest.
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: testserver\r\n")
    time.sleep(0.2)

    def finish() -> None:
        client.sendall(b"Connection: close\r\n\r\n")
        client.recv(65536)
        client.close()

    threading.Timer(1.0, finish).start()
    started = time.monotonic()
    assert wait_for_requests_in_flight(live_server) == 0
    assert time.monotonic() - started >= 0.7


def test_a_request_that_never_ends_is_named_after_the_timeout(live_server: Any) -> None:
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.2)
        assert wait_for_requests_in_flight(live_server, timeout=0.5) == 1
    assert wait_for_requests_in_flight(live_server) == 0
