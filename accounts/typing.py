"""The two kinds of user a request brings: a signed-in `User`, or Django's `AnonymousUser`.

Selectors and permission questions answer for whoever asks (`AnyUser`); services record who wrote
something, which only a signed-in `User` does. `signed_in` turns a view's `request.user`, typed
`AnyUser` by django-stubs, into the `User` it is once sign-in has been required (`login_required`,
DRF's `IsAuthenticated`, the admin). audit and common sit below accounts and do not use these.
"""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from .models import User

AnyUser: TypeAlias = User | AnonymousUser


def signed_in(user: AnyUser) -> User:
    """The user of a request that required sign-in; 403 for an anonymous visitor, as the services would answer."""
    if isinstance(user, User):
        return user
    raise PermissionDenied
