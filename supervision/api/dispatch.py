"""REST endpoints of dispatched cadres (第一书记, 驻村工作队员): /api/dispatches/ with each one's duty status, and the
actions check-in and end. Every write calls supervision.services.dispatch."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from core.exceptions import NotInScope
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer
from organizations.models import Organization

from ..choices import DispatchRole
from ..filtersets.dispatch import DispatchFilterSet
from ..models import Dispatch, DutyCheckIn
from ..selectors import dispatch as selectors
from ..services import dispatch as services

RECENT_CHECK_INS = 60


# A plain string in the schema: as an enum it would collide with the accounts' `role` by field name (an entry
# "DispatchRoleEnum" in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] would let it be one).
@extend_schema_field({"type": "string", "description": f"派驻身份：{' / '.join(DispatchRole.values)}"})
class DispatchRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": f"派驻身份应为：{'、'.join(DispatchRole.values)}。"})
        super().__init__(choices=DispatchRole.choices, **kwargs)


class CheckInSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, allow_null=True, default=None, help_text="登记人账号"
    )

    class Meta:
        model = DutyCheckIn
        fields = ["id", "on", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


class DispatchSerializer(serializers.ModelSerializer):
    """A dispatch with its duty status on today's date."""

    organization = OrganizationBriefSerializer(read_only=True)
    role = DispatchRoleField(read_only=True)
    current = serializers.SerializerMethodField(help_text="今天是否在派驻期内")
    on_duty = serializers.SerializerMethodField(help_text="近 N 天有到岗记录（不在派的为 null）")
    duty_label = serializers.SerializerMethodField(help_text="到岗 / 未到岗 / 从未到岗 / —")
    last_check_in_on = serializers.DateField(read_only=True, allow_null=True, help_text="最近到岗日期")
    recent_check_ins = serializers.IntegerField(read_only=True, help_text="近 N 天到岗天数")
    total_check_ins = serializers.IntegerField(read_only=True, help_text="累计到岗天数")

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "organization",
            "name",
            "role",
            "unit",
            "unit_post",
            "start_on",
            "end_on",
            "note",
            "current",
            "on_duty",
            "duty_label",
            "last_check_in_on",
            "recent_check_ins",
            "total_check_ins",
            "created_at",
        ]
        read_only_fields = fields

    def _duty(self, obj) -> selectors.DutyStatus:
        cached = getattr(obj, "_duty_status", None)
        if cached is None:
            cached = obj._duty_status = selectors.duty_status(obj, timezone.localdate())
        return cached

    def get_current(self, obj) -> bool:
        return self._duty(obj).current

    def get_on_duty(self, obj) -> bool | None:
        return self._duty(obj).on_duty

    def get_duty_label(self, obj) -> str:
        return self._duty(obj).label


class DispatchDetailSerializer(DispatchSerializer):
    check_ins = serializers.SerializerMethodField(help_text=f"到岗记录（最近 {RECENT_CHECK_INS} 条，新的在前）")

    class Meta(DispatchSerializer.Meta):
        fields = [*DispatchSerializer.Meta.fields, "check_ins"]
        read_only_fields = fields

    @extend_schema(responses=CheckInSerializer(many=True))
    def get_check_ins(self, obj) -> list[dict]:
        return CheckInSerializer(selectors.check_ins_of(obj, limit=RECENT_CHECK_INS), many=True).data


class DispatchRegisterSerializer(serializers.Serializer):
    organization_id = ScopedPrimaryKeyRelatedField(model=Organization, action=Action.VIEW, help_text="派驻组织编号")
    name = serializers.CharField(help_text="姓名")
    role = DispatchRoleField(default=DispatchRole.FIRST_SECRETARY)
    unit = serializers.CharField(help_text="派出单位")
    unit_post = serializers.CharField(required=False, allow_blank=True, default="", help_text="原单位职务")
    start_on = serializers.DateField(help_text="派驻开始日期")
    end_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="派驻结束日期")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="备注")


class CheckInCreateSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="到岗日期（不填为今天）")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="工作内容")


class DispatchEndSerializer(serializers.Serializer):
    end_on = serializers.DateField(help_text="派驻结束日期")


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class DispatchViewSet(ScopedModelViewSet):
    """驻村干部 of the caller's subtree. Reads need VIEW; registering and ending need MANAGE over the village,
    checking in CHANGE (the village's secretary or the staff above). A reader in scope is refused with 403,
    anything outside answers 404."""

    filterset_class = DispatchFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # Writes look the object up in the VIEW scope too: the service refuses a reader in words (403) while an
        # object outside the scope stays "not found" (404).
        return selectors.dispatch_list(actor=self.request.user)

    def get_serializer_class(self):
        return {
            "retrieve": DispatchDetailSerializer,
            "create": DispatchRegisterSerializer,
            "check_in": CheckInCreateSerializer,
            "end": DispatchEndSerializer,
        }.get(self.action, DispatchSerializer)

    def _detail(self, dispatch, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=dispatch.pk).first()
        if fresh is None:
            raise NotInScope()
        return Response(DispatchDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=DispatchRegisterSerializer, responses={201: DispatchDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Register a dispatched cadre (supervision.services.dispatch.dispatch_register)."""
        serializer = DispatchRegisterSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dispatch = services.dispatch_register(actor=request.user, organization=data.pop("organization_id"), **data)
        return self._detail(dispatch, status.HTTP_201_CREATED)

    @extend_schema(request=CheckInCreateSerializer, responses={201: CheckInSerializer})
    @action(detail=True, methods=["post"], url_path="check-in", filter_backends=[], pagination_class=None)
    def check_in(self, request, pk=None):
        """Record a duty day (today unless `on` is given), once a day, within the dispatch."""
        dispatch = self.get_object()
        data = _validated(CheckInCreateSerializer, request.data)
        check_in = services.checkin_record(
            actor=request.user, dispatch=dispatch, on=data.get("on") or timezone.localdate(), note=data["note"]
        )
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DispatchEndSerializer, responses=DispatchDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def end(self, request, pk=None):
        """Set (or correct) the day the dispatch ends."""
        dispatch = self.get_object()
        data = _validated(DispatchEndSerializer, request.data)
        return self._detail(services.dispatch_end(actor=request.user, dispatch=dispatch, **data))


def register(router) -> None:
    router.register("dispatches", DispatchViewSet, basename="dispatch")
