from rest_framework import serializers

from ..models import RoleGrant, User


class RoleGrantSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code")
    organization_name = serializers.CharField(source="organization.name")
    role_label = serializers.CharField(source="get_role_display")

    class Meta:
        model = RoleGrant
        fields = ["role", "role_label", "organization_code", "organization_name"]


class MeSerializer(serializers.ModelSerializer):
    grants = RoleGrantSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "grants"]
