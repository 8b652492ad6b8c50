"""`{{ user|display_name }}`: a person as the pages name them (accounts.names.display_name)."""

from django import template
from django.contrib.auth.base_user import AbstractBaseUser

from accounts.names import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user: AbstractBaseUser | None) -> str:
    """Full name, else username; empty for nobody."""
    return _display_name(user)
