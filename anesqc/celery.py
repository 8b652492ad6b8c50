"""The Celery application. Tasks stay thin: they receive a job id and call a service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anesqc.settings")

app = Celery("anesqc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
