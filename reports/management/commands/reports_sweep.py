"""`manage.py reports_sweep`: queue again report jobs lost on the way (what celery beat runs every minute)."""

from typing import Any

from django.core.management.base import BaseCommand

from reports.services import report_sweep


class Command(BaseCommand):
    help = "Queue again report jobs never handed to the broker, pending too long, or whose worker was lost."

    def handle(self, *args: Any, **options: Any) -> None:
        result = report_sweep()
        self.stdout.write(f"requeued {result['requeued']}, failed {result['failed']}")
