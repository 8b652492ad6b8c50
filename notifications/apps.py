from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Notifications: the inbox, e-mail, and deadline reminders; told of events by audit's signal."""

    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
