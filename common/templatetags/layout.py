"""Pieces of the page layout (templates/base.html)."""

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_links(context: dict[str, Any]) -> SafeString:
    """The main navigation's links for the signed-in user, rendered once per page.

    base.html shows them twice (in a row on wide screens, in the 菜单 dropdown on narrow ones): `{% nav_links
    as nav %}` renders them once and the page prints `{{ nav }}` in both places.
    """
    return SafeString(render_to_string("common/nav_links.html", {"user": context["user"]}))
