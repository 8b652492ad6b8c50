"""Pointing the test process's Celery app at another broker (a dead port, or a Redis a test starts)."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from kombu import pools

from anesqc.celery import app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_pools() -> None:
    # The app caches its connection and producer pools on first use (celery.app.base.Celery._after_fork does the same).
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    # The app's pool is kombu's pool for the URL, kept in kombu's registries: forget those too, or the next
    # publish to a URL used before the switch would be handed the pool closed above.
    pools.reset()
    amqp = app.__dict__.get("amqp")  # a cached property: absent until first used
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Publish to `url` inside the block, and to the configured broker again after it."""
    before = app.conf.broker_url
    app.conf.broker_url = url
    _reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = before
        _reset_pools()
