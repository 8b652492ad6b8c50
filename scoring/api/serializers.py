"""Serializers of standards, assessments, ratings and results. Rules live in services and the engine."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import VisibleHospitalField
from common.api import PointsField
from common.numbers import fmt
from common.params import YEAR_MAX, YEAR_MIN
from scoring import engine
from scoring.models import (
    Assessment,
    AssessmentKind,
    Chapter,
    Criterion,
    Item,
    Rating,
    RatingValue,
    Standard,
)
from scoring.services import REMARK_MAX_CHARS


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "decimal"}})
class GradeThresholdsField(serializers.ReadOnlyField):
    """{"3A": "850", ...} from the prefetched thresholds."""

    def to_representation(self, value: Any) -> dict[str, str]:
        return {t.level: fmt(t.points) for t in value.all()}


class CriterionSerializer(serializers.ModelSerializer):
    max_points = PointsField(read_only=True)
    key_specialty_weight = PointsField(read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "code",
            "content",
            "text",
            "remark",
            "note",
            "max_points",
            "veto",
            "applies_to",
            "key_specialty_weight",
            "not_applicable_levels",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CriterionVetoSerializer(serializers.Serializer):
    veto = serializers.BooleanField(required=False)
    not_applicable_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=["3A", "3B", "2A", "2B"]),
        required=False,
        allow_empty=True,
        help_text="Hospital levels the criterion does not apply to (excluded from the applicable count and the "
        "maximum there; thresholds unchanged). Changing it needs a reason.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs: dict) -> dict:
        if "veto" not in attrs and "not_applicable_levels" not in attrs:
            raise serializers.ValidationError({"veto": _("veto 或 not_applicable_levels 至少给出一个。")})
        return attrs


class ItemSerializer(serializers.ModelSerializer):
    max_points = PointsField(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = ["code", "title", "max_points", "criteria"]


class ChapterSerializer(serializers.ModelSerializer):
    max_points = PointsField(read_only=True)
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Chapter
        fields = ["number", "title", "max_points", "items"]


class StandardListSerializer(serializers.ModelSerializer):
    total_points = PointsField(read_only=True)
    grade_thresholds = GradeThresholdsField(source="thresholds")

    class Meta:
        model = Standard
        fields = ["code", "title", "issuer", "document_number", "issued_on", "total_points", "grade_thresholds"]


class StandardDetailSerializer(StandardListSerializer):
    chapters = ChapterSerializer(many=True, read_only=True)

    class Meta(StandardListSerializer.Meta):
        fields = [*StandardListSerializer.Meta.fields, "chapters"]


class AssessmentSerializer(serializers.ModelSerializer):
    hospital = VisibleHospitalField()
    hospital_name = serializers.CharField(source="hospital.name", read_only=True)
    standard = serializers.SlugRelatedField(slug_field="code", queryset=Standard.objects.all())
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "hospital",
            "hospital_name",
            "standard",
            "kind",
            "year",
            "status",
            "created_at",
            "submitted_at",
            "finalized_at",
        ]
        read_only_fields = ["id", "status", "created_at", "submitted_at", "finalized_at"]
        # Uniqueness per hospital/standard/kind/year is the service's to check.
        validators: list = []


class RatingWriteSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=RatingValue.choices)
    score = PointsField(required=False, allow_null=True)
    remark = serializers.CharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_CHARS)
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        source="expected_version",
        help_text="The rating's version you loaded (0 if unrated); a save over a newer version answers 409.",
    )


class RatingSerializer(serializers.ModelSerializer):
    criterion = serializers.CharField(source="criterion.code", read_only=True)
    score = PointsField(read_only=True)
    weighted_score = serializers.SerializerMethodField()
    rated_by = serializers.CharField(source="rated_by.username", read_only=True, default=None)

    class Meta:
        model = Rating
        fields = ["criterion", "rating", "score", "weighted_score", "remark", "rated_by", "rated_at", "version"]

    def get_weighted_score(self, obj: Rating) -> str:
        return fmt(
            engine.weighted_score(
                obj.score,
                key_specialty_weight=obj.criterion.key_specialty_weight,
                key_specialty=obj.assessment.hospital.key_specialty,
            )
        )


_POINTS = PointsField()
_DATETIME = serializers.DateTimeField()


def rating_data(rating: Rating, *, key_specialty: bool) -> dict[str, Any]:
    """What RatingSerializer gives for one rating, without building a serializer (the save and the list of 102
    answer with it; tests/scoring/test_api_plain_serialization.py keeps the two equal).

    Needs `rating.criterion` and `rating.rated_by` loaded (or None).
    """
    criterion = rating.criterion
    return {
        "criterion": criterion.code,
        "rating": rating.rating,
        "score": _POINTS.to_representation(rating.score),
        "weighted_score": fmt(
            engine.weighted_score(
                rating.score, key_specialty_weight=criterion.key_specialty_weight, key_specialty=key_specialty
            )
        ),
        "remark": rating.remark,
        "rated_by": rating.rated_by.username if rating.rated_by is not None else None,
        "rated_at": _DATETIME.to_representation(rating.rated_at) if rating.rated_at else None,
        "version": rating.version,
    }


class SubtotalSerializer(serializers.Serializer):
    score = PointsField()
    max_points = PointsField()
    title = serializers.CharField()


class ChapterSubtotalSerializer(SubtotalSerializer):
    number = serializers.SerializerMethodField()

    def get_number(self, obj: engine.Subtotal) -> int:
        return int(obj.key)


class ItemSubtotalSerializer(SubtotalSerializer):
    code = serializers.CharField(source="key")


class NextThresholdSerializer(serializers.Serializer):
    level = serializers.CharField()
    points = PointsField()
    gap = PointsField()


class ResultSerializer(serializers.Serializer):
    """The engine's Result, as the public contract names it."""

    total = PointsField()
    max_total = PointsField()
    rated = serializers.IntegerField()
    applicable = serializers.IntegerField()
    chapters = ChapterSubtotalSerializer(many=True)
    items = ItemSubtotalSerializer(many=True)
    veto_failed = serializers.ListField(child=serializers.CharField())
    unrated = serializers.ListField(child=serializers.CharField())
    level = serializers.CharField()
    threshold = PointsField(allow_null=True)
    threshold_gap = PointsField(allow_null=True, help_text="Points still missing to the hospital level's threshold.")
    outcome = serializers.ChoiceField(
        choices=[engine.INCOMPLETE, engine.FAIL, engine.PASS],
        help_text="incomplete until every applicable criterion is rated, whatever is already certain.",
    )
    outcome_fixed = serializers.ChoiceField(
        choices=[engine.FAIL, engine.PASS],
        allow_null=True,
        help_text='The outcome that can no longer change: "fail" as soon as a ★ item is unmet, even while '
        "criteria are unrated; once complete, the outcome; null while still open.",
    )
    reason = serializers.ChoiceField(
        choices=[engine.VETO, engine.BELOW_THRESHOLD, engine.NO_THRESHOLD],
        allow_null=True,
        help_text='Why outcome_fixed is "fail": "veto" (a ★ item unmet), "below_threshold", "no_threshold".',
    )
    thresholds_met = serializers.ListField(child=serializers.CharField())
    next_threshold = NextThresholdSerializer(allow_null=True)


class ScoreSheetUploadSerializer(serializers.Serializer):
    """The multipart body of a score-sheet import (documents the schema; the file is read by the view)."""

    file = serializers.FileField(help_text="A score sheet (.xlsx) exported by anesqc and filled in.")


class ScoreSheetImportedSerializer(serializers.Serializer):
    imported = serializers.IntegerField(help_text="Ratings written, each through the same service as the form.")
    unchanged = serializers.IntegerField(help_text="Rated rows equal to the stored rating, left alone.")


class SheetErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Worksheet row (as Excel numbers it); null: the file.")
    column = serializers.CharField(help_text='Column letter(s), e.g. "J" or "G–I"; empty: the whole row or file.')
    header = serializers.CharField(help_text="That column's heading in the sheet.")
    reason = serializers.CharField()
