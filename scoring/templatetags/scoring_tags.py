"""Template filters of scoring."""

from django import template

from accounts.models import Level

register = template.Library()


@register.filter
def level_name(code: str) -> str:
    """三级甲等 for "3A"; an unknown code is shown as it is."""
    try:
        return str(Level(code).label)
    except ValueError:
        return code
