"""REST endpoints of weak and lax organizations (软弱涣散): /api/weak-organizations/ with the steps of each, and the
workflow as actions (add-step, lift). Every write calls supervision.services.weak."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from core.exceptions import NotInScope
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer
from organizations.models import Organization

from ..filtersets.weak import WeakFilterSet
from ..models import WeakOrganization, WeakRectificationStep
from ..selectors import weak as selectors
from ..services import weak as services


class WeakStepSerializer(serializers.ModelSerializer):
    """One rectification step."""

    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, allow_null=True, default=None, help_text="登记人账号"
    )

    class Meta:
        model = WeakRectificationStep
        fields = ["id", "done_on", "description", "recorded_by", "recorded_at"]
        read_only_fields = fields


class WeakOrganizationSerializer(serializers.ModelSerializer):
    """A designation as listed: the organization, dates, reason, how many steps and the last one."""

    organization = OrganizationBriefSerializer(read_only=True)
    state = serializers.SerializerMethodField(help_text="整顿中 / 已摘帽")
    steps_count = serializers.IntegerField(read_only=True, help_text="整顿进展条数")
    last_step_on = serializers.DateField(read_only=True, allow_null=True, help_text="最近一次整顿进展日期")
    days = serializers.SerializerMethodField(help_text="整顿天数（认定至摘帽，未摘帽的至今天）")

    class Meta:
        model = WeakOrganization
        fields = [
            "id",
            "organization",
            "designated_on",
            "reason",
            "measures",
            "state",
            "lifted_on",
            "lift_note",
            "steps_count",
            "last_step_on",
            "days",
            "created_at",
        ]
        read_only_fields = fields

    def get_state(self, obj) -> str:
        return "已摘帽" if obj.lifted_on else "整顿中"

    def get_days(self, obj) -> int:
        return selectors.rectification_days(obj, timezone.localdate())


class WeakOrganizationDetailSerializer(WeakOrganizationSerializer):
    steps = WeakStepSerializer(many=True, read_only=True)

    class Meta(WeakOrganizationSerializer.Meta):
        fields = [*WeakOrganizationSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class WeakDesignateSerializer(serializers.Serializer):
    organization_id = ScopedPrimaryKeyRelatedField(
        model=Organization, action=Action.VIEW, help_text="被认定的党组织编号"
    )
    designated_on = serializers.DateField(help_text="认定日期（不晚于今天）")
    reason = serializers.CharField(help_text="软弱涣散表现（认定原因）")
    measures = serializers.CharField(required=False, allow_blank=True, default="", help_text="整顿措施")


class WeakUpdateSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="软弱涣散表现（认定原因）")
    measures = serializers.CharField(required=False, allow_blank=True, default="", help_text="整顿措施")


class WeakStepCreateSerializer(serializers.Serializer):
    done_on = serializers.DateField(help_text="日期（认定日期至今天之间）")
    description = serializers.CharField(help_text="整顿措施及进展")


class WeakLiftSerializer(serializers.Serializer):
    lifted_on = serializers.DateField(help_text="摘帽日期（认定日期至今天之间）")
    note = serializers.CharField(max_length=services.LIFT_NOTE_MAX, help_text="摘帽说明（整顿成效、验收情况）")


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WeakOrganizationViewSet(ScopedModelViewSet):
    """软弱涣散党组织 of the caller's subtree. Reads need VIEW; designating, correcting, adding steps and lifting
    need MANAGE over the organization (a branch secretary is refused with 403, anything outside answers 404)."""

    filterset_class = WeakFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        # Reads and writes alike look the object up in the VIEW scope: the service then refuses a reader (403) in
        # words, while an object outside the scope stays "not found" (404).
        qs = selectors.weak_list(actor=self.request.user)
        return qs if self.action == "list" else qs.prefetch_related("steps__recorded_by")

    def get_serializer_class(self):
        return {
            "retrieve": WeakOrganizationDetailSerializer,
            "create": WeakDesignateSerializer,
            "partial_update": WeakUpdateSerializer,
            "add_step": WeakStepCreateSerializer,
            "lift": WeakLiftSerializer,
        }.get(self.action, WeakOrganizationSerializer)

    def _detail(self, weak, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=weak.pk).first()
        if fresh is None:
            raise NotInScope()
        return Response(
            WeakOrganizationDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=WeakDesignateSerializer, responses={201: WeakOrganizationDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Designate an organization 软弱涣散 (supervision.services.weak.weak_designate)."""
        serializer = WeakDesignateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        weak = services.weak_designate(actor=request.user, organization=data.pop("organization_id"), **data)
        return self._detail(weak, status.HTTP_201_CREATED)

    @extend_schema(request=WeakUpdateSerializer, responses=WeakOrganizationDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct the reason or measures of an open designation."""
        weak = self.get_object()
        data = _validated(WeakUpdateSerializer, request.data)
        return self._detail(services.weak_update(actor=request.user, weak=weak, **data))

    @extend_schema(request=WeakStepCreateSerializer, responses={201: WeakOrganizationDetailSerializer})
    @action(detail=True, methods=["post"], url_path="add-step", filter_backends=[], pagination_class=None)
    def add_step(self, request, pk=None):
        """Record a rectification step (an open designation only)."""
        weak = self.get_object()
        services.weak_step_add(actor=request.user, weak=weak, **_validated(WeakStepCreateSerializer, request.data))
        return self._detail(weak, status.HTTP_201_CREATED)

    @extend_schema(request=WeakLiftSerializer, responses=WeakOrganizationDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def lift(self, request, pk=None):
        """Lift the designation (摘帽)."""
        weak = self.get_object()
        return self._detail(
            services.weak_lift(actor=request.user, weak=weak, **_validated(WeakLiftSerializer, request.data))
        )


def register(router) -> None:
    router.register("weak-organizations", WeakOrganizationViewSet, basename="weak-organization")
