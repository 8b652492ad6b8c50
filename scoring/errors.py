"""Domain errors of scoring, mapped to HTTP status codes at the edges."""

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from common.errors import Conflict
from common.numbers import fmt

if TYPE_CHECKING:
    from .models import Rating


class AssessmentLocked(Conflict):
    """A write to an assessment whose status no longer allows it (answers 409)."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def response_data(self) -> dict[str, Any]:
        return {"detail": self.message, "status": self.status, "code": "assessment_locked"}


class RatingConflict(Conflict):
    """Someone else saved the criterion since the writer loaded it (answers 409 with their value)."""

    def __init__(self, current: "Rating | None") -> None:
        super().__init__("rating changed since it was loaded")
        self.current = current

    def response_data(self) -> dict[str, Any]:
        current = self.current
        return {
            "detail": _("其他人已修改此细则的评分；请查看对方的值后再保存。"),
            "code": "rating_conflict",
            "current": {
                "rating": current.rating,
                "score": fmt(current.score),
                "remark": current.remark,
                "rated_by": current.rated_by.username if current.rated_by else None,
                "version": current.version,
            }
            if current is not None
            else None,
        }
