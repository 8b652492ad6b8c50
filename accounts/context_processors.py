"""Template context of the sign-in state."""

from typing import Any

from django.http import HttpRequest

from .security import SECOND_FACTOR


def sign_in(request: HttpRequest) -> dict[str, Any]:
    """`signed_in`: authenticated and past every sign-in step (no second factor still to give).

    On the second step nothing but that step opens yet, so base.html shows no navigation and no notification
    bell there (the bell's request was answered by a redirect to the step and kept the leave-page guard up).
    """
    user = getattr(request, "user", None)
    done = bool(user is not None and user.is_authenticated and not request.session.get(SECOND_FACTOR))
    return {"signed_in": done}
