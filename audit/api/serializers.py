"""Serializer of audit events: the stored row as it is (read-only)."""

from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    hospital = serializers.IntegerField(source="hospital_id", read_only=True, allow_null=True)
    assessment = serializers.IntegerField(source="assessment_id", read_only=True, allow_null=True)
    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "hospital",
            "assessment",
            "criterion_code",
            "ip",
            "request_id",
            "before",
            "after",
            "reason",
        ]
        read_only_fields = fields
