"""The API shape of a notification: its wording in the caller's language and the exact page it is about."""

from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """One of the caller's notifications."""

    text = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_display", "text", "link", "params", "created_at", "read_at", "is_read"]
        read_only_fields = fields
