from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from audit import labels


class AccountsConfig(AppConfig):
    """Hospitals, users with one role each, and inspector assignments."""

    name = "accounts"
    verbose_name = _("医院与用户")

    def ready(self) -> None:
        from . import receivers, selectors

        receivers.connect()
        labels.register_hospital_names(selectors.hospital_names)
        labels.register_person_names(selectors.person_names)
