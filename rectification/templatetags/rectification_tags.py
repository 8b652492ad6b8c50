"""Template helpers for rectification plans."""

from collections.abc import Iterable

from django import template

from ..models import ItemStatus, RectificationItem

register = template.Library()


@register.simple_tag
def plan_counts(items: Iterable[RectificationItem]) -> dict[str, int]:
    """How many items of a plan are open, answered, verified and overdue, counted from the list given."""
    counts = {"total": 0, "overdue": 0, **{status.value: 0 for status in ItemStatus}}
    for item in items:
        counts["total"] += 1
        counts[item.status] += 1
        counts["overdue"] += int(item.is_overdue)
    return counts
