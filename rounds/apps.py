from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from scoring.hooks import register_team_lookup


class RoundsConfig(AppConfig):
    """Inspection rounds (检查轮次): hospitals taking part, inspector teams, progress."""

    name = "rounds"
    verbose_name = _("检查轮次")

    def ready(self) -> None:
        from .selectors import assessment_team

        # Scoring's permission rules ask rounds who is on a hospital's round team.
        register_team_lookup(assessment_team)
