from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from .builtin import ensure_builtin_rules
    from .models import CriterionRule

    if CriterionRule._meta.db_table in connections[using].introspection.table_names():
        ensure_builtin_rules()


class DepartmentsConfig(AppConfig):
    """Department profiles (tables, beds, staff, equipment by year) and the rules that judge them."""

    name = "departments"
    verbose_name = _("科室概况")

    def ready(self) -> None:
        # After scoring's post_migrate has loaded the standard: rules belong to its criteria.
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="departments.builtin")
