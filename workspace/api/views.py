"""API of assessments: list, create, result, ratings, submit and finalize; thin wrappers over selectors and services."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.typing import signed_in
from scoring import selectors
from scoring import services as scoring_services
from scoring.api.serializers import (
    AssessmentSerializer,
    RatingSerializer,
    RatingWriteSerializer,
    ReasonSerializer,
    ResultSerializer,
    rating_data,
)
from scoring.filters import AssessmentFilter
from scoring.models import Assessment, Chapter, Rating
from workspace import services, suggestions

# What `selectors.assessment_result_data` reads of an assessment (a finalized one's frozen result included):
# the ORM builds, compiles and loads a third of the columns (tests/scoring/api/test_query_counts.py: no more).
RESULT_FIELDS = (
    "kind",
    "status",
    "final_result",
    "ratings_revision",
    "hospital__level",
    "hospital__key_specialty",
    "standard__revision",
)


class AssessmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Assessments of the hospitals the caller may see; a foreign one answers 404."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_queryset(self) -> QuerySet[Assessment]:
        qs = selectors.assessments_visible_to(self.request.user)
        if self.action == "result":  # the most frequent request: only what a result is keyed by and shows
            qs = qs.only(*RESULT_FIELDS)
        return qs

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The filters narrow the list; a detail URL names one assessment, so no FilterSet is built for it.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = scoring_services.assessment_create(actor=signed_in(request.user), **serializer.validated_data)
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ResultSerializer})
    @action(detail=True, methods=["get"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        # ResultSerializer documents this shape; engine.result_as_dict produces it.
        assessment = self.get_object()  # read just now: its ratings revision is current, the cache may answer
        return Response(selectors.assessment_result_data(assessment, ratings_revision=assessment.ratings_revision))

    @extend_schema(request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        assessment = scoring_services.assessment_submit(actor=signed_in(request.user), assessment=self.get_object())
        return Response(self.get_serializer(assessment).data)

    @extend_schema(request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: str | None = None) -> Response:
        assessment = services.assessment_finalize(actor=signed_in(request.user), assessment=self.get_object())
        return Response(self.get_serializer(assessment).data)

    @extend_schema(request=ReasonSerializer, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Send a submitted inspection back to draft (qc_admin, with a reason)."""
        assessment = self.get_object()
        scoring_services.assessment_reopen_authorize(actor=request.user, assessment=assessment)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = scoring_services.assessment_reopen(
            actor=signed_in(request.user), assessment=assessment, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(assessment).data)

    @extend_schema(responses={200: RatingSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="ratings", pagination_class=None)
    def ratings(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        ratings = (
            Rating.objects.filter(assessment=assessment)
            .select_related("criterion", "rated_by")
            .order_by("criterion__position")
        )
        key = assessment.hospital.key_specialty
        return Response([rating_data(r, key_specialty=key) for r in ratings])

    @extend_schema(request=RatingWriteSerializer, responses={200: RatingSerializer})
    @action(
        detail=True,
        methods=["put"],
        url_path=r"ratings/(?P<criterion_code>[0-9A-Za-z.\-_]+)",
        serializer_class=RatingWriteSerializer,
    )
    def rating(self, request: Request, pk: str | None = None, criterion_code: str = "") -> Response:
        assessment = self.get_object()
        criterion = suggestions.criterion_for_rating(assessment, criterion_code)
        if criterion is None:
            return Response(
                {
                    "detail": _("标准 %(standard)s 中没有细则 %(code)s。")
                    % {"standard": assessment.standard.code, "code": criterion_code}
                },
                status=status.HTTP_404_NOT_FOUND,
            )
        scoring_services.rating_authorize(actor=request.user, assessment=assessment)
        data = RatingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rating_save(
            actor=signed_in(request.user), assessment=assessment, criterion=criterion, **data.validated_data
        )
        return Response(rating_data(rating, key_specialty=assessment.hospital.key_specialty))

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "ChapterRestMet",
                fields={
                    "chapter": serializers.IntegerField(),
                    "rated": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], url_path=r"chapters/(?P<chapter>[0-9]{1,4})/rest-met")
    def chapter_rest_met(self, request: Request, pk: str | None = None, chapter: str = "") -> Response:
        """Rate every still-unrated criterion of the chapter 达标 (★ items and unmet suggestions aside), all or none."""
        assessment = self.get_object()
        number = int(chapter)
        if not Chapter.objects.filter(standard_id=assessment.standard_id, number=number).exists():
            return Response(
                {
                    "detail": _("标准 %(standard)s 中没有第 %(n)s 章。")
                    % {"standard": assessment.standard.code, "n": number}
                },
                status=status.HTTP_404_NOT_FOUND,
            )
        done = services.chapter_rest_met(actor=signed_in(request.user), assessment=assessment, chapter_number=number)
        return Response({"chapter": number, "rated": [r.criterion.code for r in done]})
