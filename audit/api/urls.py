"""API routes of the audit log, included under /api/v1/."""

from django.urls import path

from .views import AuditEventList

api_urlpatterns = [
    path("audit/events/", AuditEventList.as_view(), name="audit-event-list"),
]
