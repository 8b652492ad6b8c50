"""Domain errors of scoring, mapped to HTTP status codes at the edges."""


class AssessmentLocked(Exception):
    """A write to an assessment whose status no longer allows it (answers 409)."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
