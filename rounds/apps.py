from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    """Inspection rounds (检查轮次): hospitals taking part, inspector teams, progress."""

    name = "rounds"
    verbose_name = _("检查轮次")
