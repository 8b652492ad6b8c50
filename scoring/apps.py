from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_builtin_standards(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from .models import Standard
    from .standards import ensure_builtin_standards

    # A partial `migrate other_app` must not fail because scoring's tables are not there yet.
    if Standard._meta.db_table in connections[using].introspection.table_names():
        ensure_builtin_standards()


class ScoringConfig(AppConfig):
    """The standard as data, assessments, ratings and the scoring engine."""

    name = "scoring"
    verbose_name = _("评分")

    def ready(self) -> None:
        # Every database holds the built-in standards after `migrate` (and after a test flush).
        post_migrate.connect(_load_builtin_standards, sender=self, dispatch_uid="scoring.builtin_standards")
