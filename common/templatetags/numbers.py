"""The one number formatter (`common.numbers.fmt`) for templates: `{{ total|points }}` writes 918.5, never 918.50."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from common.numbers import fmt

register = template.Library()


@register.filter
def points(value: Any) -> str:
    """A number as people write it (850, 10.5, 5.25); empty for None, as it is for anything not a number."""
    if value is None or value == "":
        return ""
    try:
        return fmt(value if isinstance(value, Decimal) else Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)
