"""API plumbing shared by every app: exact decimals in and out, and one error shape.

Errors are JSON objects keyed by the field at fault ({"score": ["…"]});
errors not tied to a field use "detail".
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import Conflict
from common.numbers import fmt, parse_points

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
        # str() of a Decimal from the JSON parser may use an exponent ("1E+999999999"): refused like any other.
        value = parse_points(str(data))
        if value is None:
            self.fail("invalid")
        return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ValidationError → 400 by field and a Conflict → 409 with its own data."""
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
    elif isinstance(exc, Conflict):
        return Response(exc.response_data(), status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
