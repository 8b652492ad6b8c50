from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    """Shared helpers (HTTP, API, uploads, stored files, database guards) and the backup commands; no models."""

    name = "common"
    verbose_name = _("通用")
