"""A step on the home page's "下一步" list, and the registry through which an app adds steps of its own.

The workspace builds most steps itself (it may read the feature apps); an app it must not import,
such as reports, registers a source in its AppConfig.ready. A source takes the user and today's date
and returns its steps in a bounded number of queries, whatever the number of rows behind them.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NextStep:
    """One thing to do now: what (text), how many (count), where exactly (url), and how urgent."""

    kind: str  # e.g. "self_due", "returned", "review", "rectification_overdue", "reports_ready"
    text: str
    count: int
    url: str
    overdue: bool = False
    due: datetime.date | None = None


StepSource = Callable[[Any, datetime.date], list[NextStep]]
_sources: list[StepSource] = []


def register_step_source(source: StepSource) -> None:
    """Add a source of steps (once, whatever the number of calls)."""
    if source not in _sources:
        _sources.append(source)


def step_sources() -> tuple[StepSource, ...]:
    """The registered sources, in the order they were registered."""
    return tuple(_sources)
