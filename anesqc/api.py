"""API plumbing shared by every app: exact decimals in and out, and one error shape.

Errors are JSON objects keyed by the field at fault ({"score": ["…"]});
errors not tied to a field use "detail".
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scoring.engine import fmt
from scoring.errors import AssessmentLocked, RatingConflict

# The 200 answer of a list endpoint that returns plain JSON objects (no serializer): an array, not an object.
OBJECT_LIST = {200: {"type": "array", "items": {"type": "object", "additionalProperties": {}}}}


@extend_schema_field({"type": "string", "format": "decimal", "example": "7.5"})
class PointsField(serializers.Field):
    """A score or point value: a JSON string like "7.5" out; a string or number in, kept exact."""

    default_error_messages = {"invalid": gettext_lazy('必须是数字，如 "7.5"。')}

    def to_representation(self, value: Decimal) -> str:
        return fmt(Decimal(value))

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except (InvalidOperation, ValueError):
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ValidationError → 400 by field and AssessmentLocked → 409."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
            if "__all__" in detail:
                detail["non_field_errors"] = detail.pop("__all__")
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RatingConflict):
        current = exc.current
        return Response(
            {
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
            },
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, AssessmentLocked):
        return Response(
            {"detail": exc.message, "status": exc.status, "code": "assessment_locked"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
