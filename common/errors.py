"""Errors shared by every app, mapped to HTTP status codes at the edges (common.api)."""

from typing import Any


class Conflict(Exception):
    """A domain error that answers 409: the request was understood, but the object's state refuses it.

    Apps subclass it for their own conflicts (a locked assessment, a rating saved by someone else)
    and say what the JSON answer carries.
    """

    def response_data(self) -> dict[str, Any]:
        return {"detail": str(self)}
