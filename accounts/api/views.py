"""API views for hospitals, users and inspector assignments: thin wrappers over selectors and services."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.filters import HospitalFilter
from accounts.models import Hospital, InspectorAssignment
from accounts.selectors import assignments_visible_to, hospitals_visible_to
from accounts.typing import signed_in

from .serializers import AssignmentSerializer, HospitalSerializer, UserCreateSerializer


class HospitalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Hospitals the caller may see; qc_admin registers new ones."""

    serializer_class = HospitalSerializer
    filterset_class = HospitalFilter

    def get_queryset(self) -> QuerySet[Hospital]:
        return hospitals_visible_to(self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        services.require_qc_admin(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hospital = services.hospital_create(actor=signed_in(request.user), **serializer.validated_data)
        return Response(self.get_serializer(hospital).data, status=status.HTTP_201_CREATED)


class UserViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """User accounts, created by the QC centre."""

    serializer_class = UserCreateSerializer

    @extend_schema(responses={201: UserCreateSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        services.require_qc_admin(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(actor=signed_in(request.user), **serializer.validated_data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)


class AssignmentViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Which inspector sees which hospital; qc_admin manages them, inspectors see their own."""

    serializer_class = AssignmentSerializer

    def get_queryset(self) -> QuerySet[InspectorAssignment]:
        return assignments_visible_to(self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        services.require_qc_admin(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.assignment_create(actor=signed_in(request.user), **serializer.validated_data)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        assignment = self.get_object()
        services.assignment_delete(actor=signed_in(request.user), assignment=assignment)
        return Response(status=status.HTTP_204_NO_CONTENT)
