"""How people are named on pages, in messages and in reports: the one rule."""

from django.contrib.auth.base_user import AbstractBaseUser


def display_name(user: AbstractBaseUser | None) -> str:
    """The user's full name, else their username; empty for nobody (a deleted or absent user)."""
    if user is None:
        return ""
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or user.get_username())
