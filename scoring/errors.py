"""Domain errors of scoring, mapped to HTTP status codes at the edges."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Rating


class AssessmentLocked(Exception):
    """A write to an assessment whose status no longer allows it (answers 409)."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RatingConflict(Exception):
    """Someone else saved the criterion since the writer loaded it (answers 409 with their value)."""

    def __init__(self, current: "Rating | None") -> None:
        super().__init__("rating changed since it was loaded")
        self.current = current
