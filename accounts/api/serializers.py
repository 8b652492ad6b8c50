"""Serializers of hospitals, users and assignments. Validation of rules lives in services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Hospital, InspectorAssignment, Level, Role, User
from accounts.selectors import hospitals_visible_to


@extend_schema_field(OpenApiTypes.INT)
class VisibleHospitalField(serializers.PrimaryKeyRelatedField):
    """A hospital id the requesting user may see; others read as 'does not exist' (no existence leak)."""

    def get_queryset(self):
        return hospitals_visible_to(self.context["request"].user)


class HospitalSerializer(serializers.ModelSerializer):
    level = serializers.ChoiceField(choices=Level.choices)

    class Meta:
        model = Hospital
        fields = ["id", "name", "level", "key_specialty", "teaching", "district"]
        read_only_fields = ["id"]
        # Uniqueness is checked by the service (full_clean); keep one place for it.
        extra_kwargs: dict[str, dict[str, list]] = {"name": {"validators": []}}


class UserCreateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices)
    hospital = VisibleHospitalField(allow_null=True, required=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def to_representation(self, instance: User) -> dict:
        return {
            "id": instance.pk,
            "username": instance.username,
            "role": instance.role,
            "hospital": instance.hospital_id,
            "full_name": instance.first_name,
        }


class AssignmentSerializer(serializers.ModelSerializer):
    inspector = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(role=Role.INSPECTOR))
    hospital = VisibleHospitalField()
    inspector_username = serializers.CharField(source="inspector.username", read_only=True)
    hospital_name = serializers.CharField(source="hospital.name", read_only=True)

    class Meta:
        model = InspectorAssignment
        fields = ["id", "inspector", "inspector_username", "hospital", "hospital_name", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []
