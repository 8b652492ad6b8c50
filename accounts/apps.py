from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Hospitals, users with one role each, and inspector assignments."""

    name = "accounts"
    verbose_name = _("医院与用户")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
