"""三会一课 over the API. Reads are scoped by the shared base class; every write calls a meetings service, which checks
the scope again, runs in one transaction and writes the audit row."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import may_configure_county
from core.api import ScopedModelViewSet
from core.exceptions import NotInScope
from core.scope import ALL, Action, scope_paths
from organizations.models import Organization

from .. import compliance, rules, services
from ..choices import KIND_ORDER
from ..filtersets import MeetingFilterSet
from ..models import Attendance, Meeting, MeetingAttachment, MeetingStandard
from ..selectors import attendees_on
from .serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AttendeeSerializer,
    AttendeesQuerySerializer,
    ComplianceCellQuerySerializer,
    ComplianceCellSerializer,
    ComplianceQuerySerializer,
    ComplianceSummarySerializer,
    MeetingCreateSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    MeetingStandardSerializer,
    MeetingUpdateSerializer,
)

ATTENDANCE_ROW = "签到名单第 {n} 行："


def today() -> dt.date:
    """The Asia/Shanghai date compliance is judged on (a function, so tests can set the day)."""
    return timezone.localdate()


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's field names as the request spells them (the service says `branch`, the request `branch_id`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def _call(service, names: dict[str, str], **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc, names) from None


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def _flat(errors: dict, field: str, row: str) -> dict:
    """Errors of a list field as plain Chinese lines ("签到名单第 2 行：…"), like the service's own messages."""
    errors = dict(errors)
    nested = errors.get(field)
    if isinstance(nested, dict):
        errors[field] = [
            f"{row.format(n=int(key) + 1)}{message}" if str(key).isdigit() else message
            for key, value in nested.items()
            for message in _messages(value)
        ]
    return errors


def _validated(serializer, field: str, row: str) -> dict:
    if not serializer.is_valid():
        raise exceptions.ValidationError(_flat(serializer.errors, field, row))
    return dict(serializer.validated_data)


def _entries(rows) -> list[services.AttendanceEntry] | None:
    if rows is None:
        return None
    return [services.AttendanceEntry(row["member"], row["status"], row.get("reason", "")) for row in rows]


def _visible_organization(actor, pk: int | None) -> Organization | None:
    """The organization `pk` if the actor sees it; one outside the scope answers 404 like a missing one."""
    if pk is None:
        return None
    org = Organization.objects.restrict(actor, Action.VIEW).filter(pk=pk).first()
    if org is None:
        raise NotInScope()
    return org


class MeetingWritePermission(permissions.IsAuthenticated):
    """Reads for everyone signed in (scoped); writes only for accounts that may record somewhere (not 县领导 or
    考核组, who are read-only)."""

    message = "本账号为只读账号，不能登记、修改或删除会议。"

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        paths = scope_paths(request.user, Action.CHANGE)
        return paths is ALL or bool(paths)


class MeetingViewSet(ScopedModelViewSet):
    """三会一课 of the caller's subtree. Reads need VIEW; writes CHANGE on the meeting's branch (a branch secretary: the
    own branch only); anything outside answers 404 and changes nothing."""

    filterset_class = MeetingFilterSet
    permission_classes = [MeetingWritePermission]
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def base_queryset(self):
        qs = Meeting.objects.select_related("branch", "created_by").order_by("-held_at", "-id")
        if self.action in ("retrieve", "create", "partial_update"):
            attendance = Attendance.objects.select_related("member__person").order_by("member__person__name", "id")
            qs = qs.prefetch_related(
                Prefetch("attendance", queryset=attendance),
                Prefetch("attachments", queryset=MeetingAttachment.objects.order_by("uploaded_at", "id")),
            )
        return qs

    def get_serializer_class(self):
        return {
            "retrieve": MeetingDetailSerializer,
            "create": MeetingCreateSerializer,
            "partial_update": MeetingUpdateSerializer,
            "attachments": AttachmentUploadSerializer,
            "attendees": AttendeeSerializer,
        }.get(self.action, MeetingSerializer)

    def _detail(self, meeting: Meeting) -> dict:
        """The meeting as read after a write, through the caller's read scope."""
        fresh = self.base_queryset().restrict(self.request.user, Action.VIEW).filter(pk=meeting.pk).first()
        if fresh is None:
            raise NotInScope()
        return MeetingDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        request=MeetingCreateSerializer,
        responses={
            201: MeetingDetailSerializer,
            200: OpenApiResponse(
                MeetingDetailSerializer, description="重复提交（同一 submission_key）：返回首次登记的会议"
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Record a meeting with its attendance list (or bare counts) through meetings.services.meeting_record."""
        serializer = MeetingCreateSerializer(data=request.data, context=self.get_serializer_context())
        data = _validated(serializer, "attendance", ATTENDANCE_ROW)
        key = data.pop("submission_key").strip()
        repeated = bool(key) and Meeting.objects.filter(submission_key=key).exists()
        started = timezone.now()
        meeting = _call(
            services.meeting_record,
            {"branch": "branch_id"},
            actor=request.user,
            branch=data.pop("branch_id"),
            attendance=_entries(data.pop("attendance")),
            submission_key=key,
            **data,
        )
        # A repeated key (or a concurrent double tap the service resolved) hands back the earlier meeting.
        created = not repeated and meeting.created_at >= started
        return Response(self._detail(meeting), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change a meeting through meetings.services.meeting_update; one held more than 30 days ago needs `reason`."""
        meeting = self.get_object()
        serializer = MeetingUpdateSerializer(
            meeting, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data = _validated(serializer, "attendance", ATTENDANCE_ROW)
        reason = data.pop("reason", "")
        attendance = _entries(data.pop("attendance", None))
        meeting = _call(
            services.meeting_update,
            {},
            actor=request.user,
            meeting=meeting,
            reason=reason,
            attendance=attendance,
            **data,
        )
        return Response(self._detail(meeting))

    @extend_schema(
        parameters=[
            OpenApiParameter("reason", str, OpenApiParameter.QUERY, description="删除原因（必填，也可放在请求体中）")
        ],
        request=None,
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        """Delete a meeting (it no longer counts for compliance); the reason goes to the audit log."""
        meeting = self.get_object()
        reason = request.query_params.get("reason", "")
        if not reason.strip() and hasattr(request.data, "get"):
            body_reason = request.data.get("reason", "")
            reason = body_reason if isinstance(body_reason, str) else ""
        _call(services.meeting_delete, {}, actor=request.user, meeting=meeting, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer}, responses={201: AttachmentSerializer(many=True)}
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def attachments(self, request, pk=None):
        """Upload photos or PDFs (multipart, field `file`, repeatable). The type is judged by the content."""
        meeting = self.get_object()
        data = _validated(AttachmentUploadSerializer(data=request.data), "file", "第 {n} 个文件：")
        stored = _call(
            services.attachment_add, {"attachments": "file"}, actor=request.user, meeting=meeting, files=data["file"]
        )
        return Response(AttachmentSerializer(stored, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH, description="附件编号")],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment_delete(self, request, pk=None, attachment_id=None):
        """Remove one attachment of the meeting."""
        meeting = self.get_object()
        attachment = meeting.attachments.filter(pk=attachment_id).select_related("meeting__branch").first()
        if attachment is None:
            raise NotInScope()
        services.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[AttendeesQuerySerializer], responses=AttendeeSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def attendees(self, request):
        """The members a meeting of `branch` held on `on` may list: members of the branch that day (not 停止党籍,
        出党, 死亡 or 转出 by then), by name."""
        query = AttendeesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        branch = _visible_organization(request.user, query.validated_data["branch"])
        if problem := rules.holding_problem(branch):
            raise ValidationError({"branch": problem})
        members = attendees_on(branch=branch, on=query.validated_data.get("on") or today())
        return Response(AttendeeSerializer(members, many=True).data)


# --- Compliance ----------------------------------------------------------------------------------------------------


def _query(request, serializer_class) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _number(rate) -> float | None:
    """An exact rate (a Fraction) as a JSON number."""
    return None if rate is None else float(rate)


def _tally(t: compliance.Tally) -> dict:
    return {
        "met": t.met,
        "missed": t.missed,
        "open": t.open,
        "rate": _number(t.rate),
        "meetings": t.meetings,
        "attendance_rate": _number(t.attendance_rate),
    }


def _brief(org: Organization | None) -> dict | None:
    return None if org is None else {"id": org.pk, "code": org.code, "name": org.name, "kind": org.kind}


class ComplianceViewSet(viewsets.GenericViewSet):
    """达标情况 of 三会一课 for the branches the caller sees: every branch × required kind × period of a year as
    达标 / 未达标 / 进行中 (the rules are meetings.compliance's), and the rates per township and per branch."""

    serializer_class = ComplianceCellSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    @extend_schema(parameters=[ComplianceCellQuerySerializer])
    def list(self, request):
        """The cells, branch by branch (by code), kinds in the order of the 会议 sheet, periods in time order."""
        q = _query(request, ComplianceCellQuerySerializer)
        day = today()
        year = q.get("year") or day.year
        organization = _visible_organization(request.user, q.get("organization"))
        branches = compliance.holding_branches(actor=request.user, organization=organization)
        reqs = compliance.requirements(year)
        if q.get("kind"):
            reqs = [r for r in reqs if r.kind == q["kind"]]
        cells = compliance.expand(
            compliance.branch_rows(branches), reqs, compliance.meeting_counts(branches, year) if reqs else {}, day
        )
        if q.get("status"):
            cells = (c for c in cells if c.status == q["status"])
        page = self.paginate_queryset(list(cells))
        return self.get_paginated_response(ComplianceCellSerializer(page, many=True).data)

    @extend_schema(parameters=[ComplianceQuerySerializer], responses=ComplianceSummarySerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Met / missed / open cells, compliance rate and attendance rate per child of `organization` (the townships,
        for the county) and per branch. Without `organization`: the caller's own scope."""
        q = _query(request, ComplianceQuerySerializer)
        day = today()
        year = q.get("year") or day.year
        if q.get("organization") is not None:
            organization = _visible_organization(request.user, q["organization"])
        else:
            organization = self._home(request.user)
        by_branch, groups = compliance.compliance_summary(
            actor=request.user, year=year, today=day, organization=organization
        )
        names = compliance.holding_branches(actor=request.user, organization=organization).values_list(
            "id", "code", "name"
        )
        branches = [
            {"id": pk, "code": code, "name": name, **_tally(by_branch[pk])}
            for pk, code, name in names
            if pk in by_branch  # a branch created between the two queries waits for the next request
        ]
        body = {
            "year": year,
            "organization": _brief(organization),
            "groups": [{"organization": _brief(g.organization), "branches": g.branches, **_tally(g)} for g in groups],
            "branches": branches,
        }
        return Response(body)

    @staticmethod
    def _home(actor) -> Organization | None:
        """The root of the caller's scope when it is one subtree (the county for its staff, the township for a
        township admin), so that the groups are the level below it."""
        paths = scope_paths(actor, Action.VIEW)
        if paths is ALL or len(paths) != 1:
            return None
        return Organization.objects.filter(path=paths[0]).first()


# --- Standards -----------------------------------------------------------------------------------------------------


class StandardsPermission(permissions.IsAuthenticated):
    """Everyone signed in reads the standards; only the county organization department changes them."""

    message = "只有县委组织部管理员可以修改三会一课标准。"

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or may_configure_county(request.user)


class MeetingStandardViewSet(ScopedModelViewSet):
    """The minimum frequency of each kind, in the order of the 会议 sheet. PUT / PATCH go through standard_update."""

    serializer_class = MeetingStandardSerializer
    permission_classes = [StandardsPermission]
    http_method_names = ["get", "put", "patch", "head", "options"]
    filter_backends = []

    def base_queryset(self):
        order = Case(*[When(kind=k, then=Value(i)) for k, i in KIND_ORDER.items()], output_field=IntegerField())
        return MeetingStandard.objects.order_by(order, "id")

    def perform_update(self, serializer):
        standard = serializer.instance
        data = {
            "period_type": standard.period_type,
            "min_count": standard.min_count,
            "exemption": standard.exemption,
            "note": standard.note,
            **serializer.validated_data,
        }
        serializer.instance = services.standard_update(actor=self.request.user, standard=standard, **data)
