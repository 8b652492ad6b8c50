from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """PDF reports of assessments and rounds, rendered by Celery from a ReportJob row."""

    name = "reports"
    verbose_name = _("报告")

    def ready(self) -> None:
        from common.next_steps import register_step_source

        from .selectors import ready_report_steps

        # The home page's next steps tell of finished reports; the workspace may not import reports.
        register_step_source(ready_report_steps)
