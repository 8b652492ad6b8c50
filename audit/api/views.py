"""API of the audit log: the same filter and selector as the QC centre's page; qc_admin only."""

from django.db.models import QuerySet
from rest_framework import generics, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from audit import selectors
from audit.filters import AuditEventFilter
from audit.models import AuditEvent

from .serializers import AuditEventSerializer


class CanReadAuditLog(permissions.BasePermission):
    """Signed-in qc_admin only (others 403; no credentials 401)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return selectors.can_read_audit_log(request.user)


class AuditEventList(generics.ListAPIView):
    """Audit events, newest first, filtered like the page (`?actor=&action=&since=&until=&hospital=&…`), paginated."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    permission_classes = [permissions.IsAuthenticated, CanReadAuditLog]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.audit_log_events(self.request.user)
