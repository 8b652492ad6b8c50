from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from scoring.hooks import register_team_lookup


class RoundsConfig(AppConfig):
    """Inspection rounds (检查轮次): hospitals taking part, inspector teams, progress."""

    name = "rounds"
    verbose_name = _("检查轮次")

    def ready(self) -> None:
        from .selectors import inspection_team

        # Scoring's permission rules ask rounds who is on an inspection's team.
        register_team_lookup(inspection_team)
