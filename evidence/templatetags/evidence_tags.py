"""Template helpers for the evidence block, so the file picker and the server agree on what is accepted."""

from django import template

from .. import validation

register = template.Library()


@register.simple_tag
def evidence_accept() -> str:
    """The `accept` attribute of the file picker: every accepted extension and content type."""
    return validation.ACCEPT


@register.simple_tag
def evidence_max_size() -> str:
    """The size limit of one file, e.g. "20 MB"."""
    return validation.human_size(validation.max_bytes())
