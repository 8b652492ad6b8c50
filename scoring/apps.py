from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from audit import labels


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from .db_guards import install_finalized_guards, install_ratings_revision_triggers, install_revision_triggers
    from .models import Standard
    from .standards import ensure_builtin_standards

    # A partial `migrate other_app` must not fail because scoring's tables are not there yet.
    connection = connections[using]
    if Standard._meta.db_table in connection.introspection.table_names():
        install_finalized_guards(connection)
        install_revision_triggers(connection)
        install_ratings_revision_triggers(connection)
        ensure_builtin_standards()


class ScoringConfig(AppConfig):
    """The standard as data, assessments, ratings and the scoring engine."""

    name = "scoring"
    verbose_name = _("评分")

    def ready(self) -> None:
        # After every `migrate` (and test flush): the built-in standards, and the finalized guards.
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="scoring.builtin_standards")
        from .models import AssessmentKind, AssessmentStatus, RatingValue

        # How the audit log names the values that scoring's events carry.
        labels.register_value_labels("status", AssessmentStatus)
        labels.register_value_labels("kind", AssessmentKind)
        for field in ("rating", "suggested", "profile_suggested"):
            labels.register_value_labels(field, RatingValue)
