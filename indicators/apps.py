from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Quality-control indicators (definitions, period values, case imports)."""

    name = "indicators"
    verbose_name = _("质控指标")
