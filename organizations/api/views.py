from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet

from .. import services
from ..filtersets import OrganizationFilterSet, PostFilterSet
from ..models import Organization, Post
from ..services import ORG_FIELDS
from .serializers import (
    OrganizationMoveSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    PostSerializer,
    PostUpdateSerializer,
)


class OrganizationViewSet(ScopedModelViewSet):
    """Organizations of the caller's subtree. Creating needs a parent in scope; `move` carries the subtree along."""

    filterset_class = OrganizationFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Organization.objects.select_related("parent")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return OrganizationUpdateSerializer
        if self.action == "move":
            return OrganizationMoveSerializer
        return OrganizationSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        fields = {k: v for k, v in data.items() if k in ORG_FIELDS}
        serializer.instance = services.organization_create(actor=self.request.user, parent=data["parent"], **fields)

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in ORG_FIELDS}
        serializer.instance = services.organization_update(
            actor=self.request.user, organization=serializer.instance, **fields
        )

    @extend_schema(request=OrganizationMoveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the organization (and its whole subtree) under another organization."""
        org = self.get_object()
        serializer = OrganizationMoveSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        org = services.organization_move(
            actor=request.user, organization=org, new_parent=serializer.validated_data["parent_id"]
        )
        return Response(OrganizationSerializer(org, context=self.get_serializer_context()).data)


class PostViewSet(ScopedModelViewSet):
    """Posts (who held which post where, when). The person is matched by ID number, created if unknown."""

    filterset_class = PostFilterSet

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return Post.objects.select_related("organization", "person")

    def get_serializer_class(self):
        return PostUpdateSerializer if self.action == "partial_update" else PostSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.post_appoint(
                actor=self.request.user,
                organization=data["organization"],
                name=data["person_name"],
                id_number=data["person_id_number"],
                title=data["title"],
                start_on=data["start_on"],
                end_on=data.get("end_on"),
            )
        except ValidationError as exc:
            # The API names the write-only person fields as they appear in the request.
            renamed = {
                {"id_number": "person_id_number", "name": "person_name"}.get(k, k): v
                for k, v in exc.message_dict.items()
            }
            raise ValidationError(renamed) from None

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in services.POST_FIELDS}
        serializer.instance = services.post_update(actor=self.request.user, post=serializer.instance, **fields)

    def perform_destroy(self, instance):
        services.post_delete(actor=self.request.user, post=instance)
