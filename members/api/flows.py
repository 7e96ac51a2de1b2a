"""流动党员 over the API: list and read the flows of the caller's subtree, open one (create) and end it (close)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from core.scope import Action

from ..choices import FlowDirection
from ..filtersets import FlowRecordFilterSet
from ..flow import flow_record_close, flow_record_open
from ..models import FlowRecord, Member


class FlowMemberBriefSerializer(serializers.ModelSerializer):
    """The member a flow belongs to, briefly (no personal numbers)."""

    name = serializers.CharField(source="person.name", read_only=True, help_text="姓名")
    branch_id = serializers.IntegerField(read_only=True, help_text="所在支部编号")

    class Meta:
        model = Member
        fields = ["id", "name", "branch_id", "status"]


class FlowRecordSerializer(serializers.ModelSerializer):
    """A flow as read; on create `member_id`, `direction`, `place`, `start_on` (and `contact`) open it."""

    member = FlowMemberBriefSerializer(read_only=True)
    member_id = ScopedPrimaryKeyRelatedField(
        model=Member, action=Action.CHANGE, source="member", write_only=True, help_text="党员编号"
    )
    direction = serializers.ChoiceField(choices=FlowDirection.choices, help_text="方向：流出或流入")
    contact = serializers.CharField(required=False, allow_blank=True, max_length=100, default="", help_text="联系方式")

    class Meta:
        model = FlowRecord
        fields = ["id", "member", "member_id", "direction", "place", "start_on", "end_on", "contact"]
        read_only_fields = ["end_on"]
        # The one-open-flow rule is the service's, with its own message; the model constraint is only a backstop.
        validators = []


class FlowCloseSerializer(serializers.Serializer):
    """Input of POST /api/members/flows/{id}/close/."""

    end_on = serializers.DateField(help_text="结束日期")


def _as_request_fields(exc: ValidationError) -> ValidationError:
    """The service says `member`; the request says `member_id`."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({("member_id" if k == "member" else k): v for k, v in exc.message_dict.items()})


class FlowRecordViewSet(ScopedModelViewSet):
    """Flow records (流动党员) of the caller's subtree. Reads need VIEW, writes CHANGE on the member's branch; a flow
    outside the scope answers 404. Opening and ending go through members.flow, like the 流动 tab of the file."""

    filterset_class = FlowRecordFilterSet
    serializer_class = FlowRecordSerializer
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        return FlowRecord.objects.select_related("member__person", "member__branch").order_by("id")

    def get_serializer_class(self):
        return FlowCloseSerializer if self.action == "close" else FlowRecordSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = flow_record_open(
                actor=self.request.user,
                member=data["member"],
                direction=data["direction"],
                place=data["place"],
                start_on=data["start_on"],
                contact=data["contact"],
            )
        except ValidationError as exc:
            raise _as_request_fields(exc) from None

    @extend_schema(request=FlowCloseSerializer, responses=FlowRecordSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """End an open flow on `end_on` (the member came back or stopped flowing)."""
        flow = self.get_object()
        serializer = FlowCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flow = flow_record_close(actor=request.user, flow=flow, end_on=serializer.validated_data["end_on"])
        return Response(
            FlowRecordSerializer(flow, context=self.get_serializer_context()).data, status=status.HTTP_200_OK
        )
