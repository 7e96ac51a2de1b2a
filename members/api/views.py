from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from core.scope import Action

from .. import config_services, development, services
from ..choices import LostContactStatus
from ..filtersets import (
    CandidateApiFilterSet,
    LostContactFilterSet,
    MemberFilterSet,
    PointRecordFilterSet,
    ThoughtReportFilterSet,
    TrainingRecordFilterSet,
)
from ..models import Candidate, LostContactCase, Member, PointItem, PointRecord, StarRule, ThoughtReport, TrainingRecord
from .serializers import (
    CandidateSerializer,
    CandidateStepsSerializer,
    LostContactCaseSerializer,
    LostContactDecisionSerializer,
    LostContactResolveSerializer,
    MemberSerializer,
    MemberStatusSerializer,
    MemberTransferSerializer,
    MemberUpdateSerializer,
    PointItemSerializer,
    PointRecordSerializer,
    StarRuleSerializer,
    ThoughtReportSerializer,
    TrainingRecordSerializer,
)


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's field names as the request spells them (the service says `branch`, the API `branch_id`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


class MemberViewSet(ScopedModelViewSet):
    """Member files of the caller's subtree. Reads need VIEW, writes CHANGE on the member's branch; ID and phone
    numbers are only ever returned masked. Transfers and status changes are explicit actions."""

    filterset_class = MemberFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Member.objects.select_related("person", "branch").order_by("id")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return MemberUpdateSerializer
        if self.action == "transfer":
            return MemberTransferSerializer
        if self.action == "status":
            return MemberStatusSerializer
        return MemberSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        person = data.pop("person")
        serializer.instance = services.member_create(
            actor=self.request.user, name=person["name"], id_number=data.pop("id_number"), **data
        )

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in services.MEMBER_UPDATE_FIELDS}
        serializer.instance = services.member_update(actor=self.request.user, member=serializer.instance, **fields)

    def _step(self, request, serializer_class, names=None):
        member = self.get_object()
        context = {**self.get_serializer_context(), "member": member}
        serializer = serializer_class(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        try:
            member = serializer.save()
        except ValidationError as exc:
            raise _renamed(exc, names or {}) from None
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data)

    @extend_schema(request=MemberTransferSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Transfer the member to another branch (组织关系转接): the old membership ends the day before `on`."""
        return self._step(request, MemberTransferSerializer, {"branch": "branch_id"})

    @extend_schema(request=MemberStatusSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Record a change of 党籍状态 (流出, 失联, 死亡, …) with its date."""
        return self._step(request, MemberStatusSerializer)


def _run_step(view, serializer_class, read_serializer_class, key: str, names=None) -> Response:
    """A workflow step on one object in the caller's write scope: the input serializer's save() calls the service
    with the object as context[`key`]; the answer is the object as read."""
    obj = view.get_object()
    context = {**view.get_serializer_context(), key: obj}
    serializer = serializer_class(data=view.request.data, context=context)
    serializer.is_valid(raise_exception=True)
    try:
        obj = serializer.save()
    except ValidationError as exc:
        raise _renamed(exc, names or {}) from None
    return Response(read_serializer_class(obj, context=view.get_serializer_context()).data)


def _create(serializer, service, names: dict[str, str], **kwargs) -> None:
    """Create through `service`; its errors name the fields as the request spells them."""
    try:
        serializer.instance = service(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc, names) from None


# --- 发展党员 ------------------------------------------------------------------------------------------------------


class CandidateViewSet(ScopedModelViewSet):
    """发展党员 of the caller's subtree, each with what is overdue (`problems`, the board's time-limit checks).
    Registering needs CHANGE on the branch; the later steps are recorded with `steps`."""

    filterset_class = CandidateApiFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        reports = ThoughtReport.objects.only("id", "person_id", "submitted_on")
        return (
            Candidate.objects.select_related("person", "branch")
            .prefetch_related(Prefetch("person__thought_reports", queryset=reports))
            .order_by("branch__code", "applied_on", "id")
        )

    def get_serializer_class(self):
        return CandidateStepsSerializer if self.action == "steps" else CandidateSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def perform_create(self, serializer):
        data = serializer.validated_data
        _create(
            serializer,
            development.candidate_register,
            {"branch": "branch_id"},
            actor=self.request.user,
            branch=data["branch"],
            name=data["person"]["name"],
            id_number=data["id_number"],
            applied_on=data["applied_on"],
        )

    @extend_schema(request=CandidateStepsSerializer, responses=CandidateSerializer)
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Record the dates of later steps (谈话, 积极分子, 发展对象, 培训学时, 接收预备党员, 审批, 延长预备期, 转正);
        each comes no earlier than the one before it, and the stage follows from them."""
        return _run_step(self, CandidateStepsSerializer, CandidateSerializer, "candidate")


class ThoughtReportViewSet(ScopedModelViewSet):
    """思想汇报 of people in the pipeline, in the caller's subtree; adding one needs CHANGE on the candidate's branch."""

    serializer_class = ThoughtReportSerializer
    filterset_class = ThoughtReportFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        return ThoughtReport.objects.select_related("person", "branch").order_by("-submitted_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        _create(
            serializer,
            development.thought_report_add,
            {"candidate": "candidate_id"},
            actor=self.request.user,
            candidate=data["candidate_id"],
            submitted_on=data["submitted_on"],
            title=data["title"].strip(),
            text=data["text"],
        )


# --- Training and points ------------------------------------------------------------------------------------------


class TrainingRecordViewSet(ScopedModelViewSet):
    """培训台账 of the caller's subtree; adding a course needs CHANGE on the member's branch."""

    serializer_class = TrainingRecordSerializer
    filterset_class = TrainingRecordFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        return TrainingRecord.objects.select_related("member__person", "member__branch").order_by("-start_on", "-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        _create(serializer, development.training_record_add, {"member": "member_id"}, actor=self.request.user, **data)


class PointRecordViewSet(ScopedModelViewSet):
    """积分记录 of the caller's subtree; recording one needs CHANGE on the member's branch and an active item."""

    serializer_class = PointRecordSerializer
    filterset_class = PointRecordFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        return PointRecord.objects.select_related("member__person", "member__branch", "item").order_by(
            "-year", "-recorded_on", "-id"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        _create(
            serializer,
            development.point_record_add,
            {"member": "member_id", "item": "item_id"},
            actor=self.request.user,
            member=data["member"],
            item=data["item"],
            year=data["year"],
            recorded_on=data["recorded_on"],
            note=data["note"].strip(),
        )


class PointsConfigPermission(permissions.IsAuthenticated):
    """Everyone signed in reads the county's points configuration; only the county organization department writes."""

    message = "只有县委组织部管理员可以设置积分项目和星级标准。"

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or config_services.may_configure_points(request.user)


class PointItemViewSet(ScopedModelViewSet):
    """积分项目 of the county. Items are never deleted: `deactivate` stops offering one for new records."""

    serializer_class = PointItemSerializer
    permission_classes = [PointsConfigPermission]
    filterset_fields = ["is_active"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return PointItem.objects.order_by("-is_active", "-points", "name")

    def perform_create(self, serializer):
        serializer.instance = config_services.point_item_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = config_services.point_item_update(
            actor=self.request.user, item=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses=PointItemSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Stop offering the item for new records; the records already made keep it."""
        item = config_services.point_item_deactivate(actor=request.user, item=self.get_object())
        return Response(PointItemSerializer(item, context=self.get_serializer_context()).data)


class StarRuleViewSet(ScopedModelViewSet):
    """评星定级标准 of the county: more stars need more points."""

    serializer_class = StarRuleSerializer
    permission_classes = [PointsConfigPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return StarRule.objects.order_by("min_points")

    def perform_create(self, serializer):
        serializer.instance = config_services.star_rule_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = config_services.star_rule_update(
            actor=self.request.user, rule=serializer.instance, **serializer.validated_data
        )


# --- 失联党员排查 --------------------------------------------------------------------------------------------------


class LostContactCaseViewSet(ScopedReadOnlyViewSet):
    """失联党员排查 of the caller's subtree, open cases first. The monthly scan opens them; the branch confirms or
    dismisses each (`decide`) and closes a confirmed one when contact is restored (`resolve`)."""

    filterset_class = LostContactFilterSet
    write_action = Action.CHANGE

    def base_queryset(self):
        order = Case(
            *[When(status=s, then=Value(i)) for i, s in enumerate(LostContactStatus.values)],
            output_field=IntegerField(),
        )
        return LostContactCase.objects.select_related("member__person", "member__branch").order_by(
            order, "-found_on", "-id"
        )

    def get_serializer_class(self):
        if self.action == "decide":
            return LostContactDecisionSerializer
        if self.action == "resolve":
            return LostContactResolveSerializer
        return LostContactCaseSerializer

    @extend_schema(request=LostContactDecisionSerializer, responses=LostContactCaseSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Confirm (the member's 党籍状态 becomes 失联) or dismiss a case the scan found."""
        return _run_step(self, LostContactDecisionSerializer, LostContactCaseSerializer, "case")

    @extend_schema(request=LostContactResolveSerializer, responses=LostContactCaseSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Contact restored: the case closes and the member gets back the status held before being lost."""
        return _run_step(self, LostContactResolveSerializer, LostContactCaseSerializer, "case")
