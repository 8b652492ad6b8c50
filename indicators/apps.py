from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from .db_guards import install_case_guards
    from .definitions import ensure_builtin_indicators
    from .models import Case, Indicator

    connection = connections[using]
    tables = connection.introspection.table_names()
    if Case._meta.db_table in tables:
        install_case_guards(connection)
    if Indicator._meta.db_table in tables:
        ensure_builtin_indicators()


class IndicatorsConfig(AppConfig):
    """Quality-control indicators (definitions, period values, case imports)."""

    name = "indicators"
    verbose_name = _("质控指标")

    def ready(self) -> None:
        # After the scoring app's post_migrate (the standard must exist: indicators link to criteria).
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="indicators.builtin")
