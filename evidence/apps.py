from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from audit import labels


class EvidenceConfig(AppConfig):
    """Evidence files (佐证材料) attached to the criteria of an assessment, and their review."""

    name = "evidence"
    verbose_name = _("佐证材料")

    def ready(self) -> None:
        from .models import ReviewStatus

        labels.register_value_labels("review_status", ReviewStatus)
