"""REST endpoints of 党内关爱帮扶: /api/fund-aid/ of the caller's subtree (filters organization subtree, year,
source). POST records aid at the member's branch on the day it was given and DELETE removes a record, both through
services.aid (CHANGE over that branch; anything outside the scope answers 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from core.exceptions import NotInScope
from core.scope import Action
from members.api.serializers import MemberBriefSerializer
from members.filtersets import ID_VALIDATORS, YEAR_VALIDATORS, IntegerFilter, SubtreeFilterSet
from members.models import Member
from organizations.api.serializers import OrganizationBriefSerializer

from ..models import Aid, FundSource
from ..selectors import aid_list
from ..services import aid as services
from .config_serializers import FundSourceBriefSerializer, money


class AidFilterSet(SubtreeFilterSet):
    """An organization's subtree (`organization`), a year, a source."""

    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    source = IntegerFilter(label="资金来源编号", field_name="source", validators=ID_VALIDATORS)

    class Meta:
        model = Aid
        fields = ["year", "source"]


class AidSerializer(serializers.ModelSerializer):
    """Aid given to a member: the branch is the member's on the day it was given, the year that day's."""

    member = MemberBriefSerializer(read_only=True)
    branch = OrganizationBriefSerializer(read_only=True)
    source = FundSourceBriefSerializer(read_only=True)
    amount = money("金额（元）", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None, help_text="登记人账号"
    )

    class Meta:
        model = Aid
        fields = [
            "id",
            "member",
            "branch",
            "year",
            "amount",
            "given_on",
            "reason",
            "source",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AidCreateSerializer(serializers.Serializer):
    member_id = ScopedPrimaryKeyRelatedField(model=Member, action=Action.CHANGE, help_text="党员编号")
    amount = money("金额（元）")
    given_on = serializers.DateField(help_text="发放日期（不晚于今天）")
    reason = serializers.CharField(max_length=200, help_text="帮扶事由")
    source_id = ScopedPrimaryKeyRelatedField(model=FundSource, action=Action.VIEW, help_text="资金来源编号")


class AidViewSet(ScopedModelViewSet):
    """党内关爱帮扶 of the caller's subtree, newest first."""

    filterset_class = AidFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        action = Action.VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else Action.CHANGE
        return (
            aid_list(actor=self.request.user, action=action).select_related("created_by").order_by("-given_on", "-id")
        )

    def get_serializer_class(self):
        return AidCreateSerializer if self.action == "create" else AidSerializer

    @extend_schema(request=AidCreateSerializer, responses={201: AidSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AidCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        aid = services.aid_create(
            actor=request.user, member=data.pop("member_id"), source=data.pop("source_id"), **data
        )
        fresh = self.get_queryset().filter(pk=aid.pk).first()
        if fresh is None:
            raise NotInScope()
        return Response(
            AidSerializer(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance):
        services.aid_delete(actor=self.request.user, aid=instance)


def register(router) -> None:
    router.register("fund-aid", AidViewSet, basename="fund-aid")
