from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    """Rectification plans (整改): the shortfalls of a finalized inspection, answered and verified."""

    name = "rectification"
    verbose_name = _("整改")
