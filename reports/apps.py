from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """PDF reports of assessments and rounds, rendered by Celery from a ReportJob row."""

    name = "reports"
    verbose_name = _("报告")
