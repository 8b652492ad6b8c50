"""Domain errors of rectification, mapped to HTTP status codes at the edges."""


class ItemStateError(Exception):
    """An action the item's status no longer (or not yet) allows, e.g. answering a closed item (answers 409)."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
