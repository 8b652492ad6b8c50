"""Reads of notifications: a person's own, never anyone else's."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.typing import AnyUser

from .models import Notification


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The user's own notifications, newest first; the one scope for the inbox, the bell and the API."""
    if not isinstance(user, User) or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: AnyUser) -> int:
    """How many of the user's notifications are unread (one query)."""
    return notifications_of(user).filter(read_at__isnull=True).count()
