"""API views of the standard: reference data, and the ★ flag a qc_admin may change. Assessments: workspace.api."""

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.typing import signed_in
from scoring import selectors, services
from scoring.models import Criterion, Standard

from .serializers import (
    CriterionSerializer,
    CriterionVetoSerializer,
    StandardDetailSerializer,
    StandardListSerializer,
)


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """Scoring standards: reference data every signed-in user may read."""

    lookup_field = "code"
    lookup_value_regex = "[a-z0-9_-]+"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Standard]:
        if self.action == "retrieve":
            return selectors.standard_detail_queryset()
        return selectors.standards_list()

    def get_serializer_class(self):
        return StandardDetailSerializer if self.action == "retrieve" else StandardListSerializer


class CriterionView(GenericAPIView):
    """One criterion of a standard; qc_admin may change its veto (★) flag and the hospital levels it does not
    apply to, each with an audit record."""

    serializer_class = CriterionSerializer

    def get_object(self) -> Criterion:
        return get_object_or_404(
            Criterion.objects.select_related("standard"),
            standard__code=self.kwargs["code"],
            code=self.kwargs["criterion_code"],
        )

    def get(self, request: Request, code: str, criterion_code: str) -> Response:
        return Response(CriterionSerializer(self.get_object()).data)

    @extend_schema(request=CriterionVetoSerializer, responses={200: CriterionSerializer})
    def patch(self, request: Request, code: str, criterion_code: str) -> Response:
        services.require_qc_admin(request.user)
        criterion = self.get_object()
        data = CriterionVetoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        actor = signed_in(request.user)
        with transaction.atomic():  # both changes or neither
            if "not_applicable_levels" in body:
                criterion = services.criterion_set_not_applicable(
                    actor=actor, criterion=criterion, levels=body["not_applicable_levels"], reason=body["reason"]
                )
            if "veto" in body:
                criterion = services.criterion_set_veto(
                    actor=actor, criterion=criterion, veto=body["veto"], reason=body["reason"]
                )
        return Response(CriterionSerializer(criterion).data)
