"""Template helpers for file pickers (evidence, rectification), so the picker and the server agree on what is accepted."""

from django import template

from common import uploads

register = template.Library()


@register.simple_tag
def upload_accept() -> str:
    """The `accept` attribute of the file picker: every accepted extension and content type."""
    return uploads.ACCEPT


@register.simple_tag
def upload_max_size() -> str:
    """The size limit of one file, e.g. "20 MB"."""
    return uploads.human_size(uploads.max_bytes())
