"""REST endpoints of supervision: findings (问题清单) and their rectification steps.

Reads are scoped by the shared base class (a finding outside the caller's subtree answers 404, like a missing one);
every write calls a findings service, which checks the role again, runs in one transaction and writes the audit row.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations.models import Organization

from ..filtersets.findings import FindingFilterSet
from ..models import Finding, FindingEvent, FindingEvidence
from ..services import findings as services
from .findings_serializers import (
    FindingAdvanceSerializer,
    FindingCreateSerializer,
    FindingDetailSerializer,
    FindingSerializer,
    FindingUpdateSerializer,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]
# The service names the uploads `files`; the request calls them `file`, the organization `organization_id`.
FIELD_NAMES = {"files": "file", "organization": "organization_id"}


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({FIELD_NAMES.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


def _validated(serializer) -> dict:
    if not serializer.is_valid():
        raise exceptions.ValidationError(serializer.errors)
    return dict(serializer.validated_data)


class FindingViewSet(ScopedModelViewSet):
    """Findings of the caller's subtree. Registering and correcting need the INSPECT role over the organization;
    the steps follow finding_advance (the organization starts and reports, the level above signs off or sends back).
    Anything outside the caller's scope answers 404 and changes nothing."""

    filterset_class = FindingFilterSet
    # Writes look the finding up in the read scope: the service then tells a role that may not act (403) from
    # a finding outside the scope (404).
    write_action = Action.VIEW
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = PARSERS

    def base_queryset(self):
        qs = Finding.objects.select_related("organization").order_by("-found_on", "-id")
        if self.action != "list":
            events = FindingEvent.objects.select_related("actor").order_by("at", "id")
            files = FindingEvidence.objects.order_by("uploaded_at", "id")
            qs = qs.prefetch_related(Prefetch("events", queryset=events), Prefetch("events__files", queryset=files))
        return qs

    def get_serializer_class(self):
        return {
            "retrieve": FindingDetailSerializer,
            "create": FindingCreateSerializer,
            "partial_update": FindingUpdateSerializer,
            "advance": FindingAdvanceSerializer,
        }.get(self.action, FindingSerializer)

    def _detail(self, finding: Finding) -> dict:
        """The finding as read after a write, through the caller's read scope."""
        fresh = self.base_queryset().restrict(self.request.user, Action.VIEW).filter(pk=finding.pk).first()
        if fresh is None:
            raise NotInScope()
        return FindingDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        request={"application/json": FindingCreateSerializer, "multipart/form-data": FindingCreateSerializer},
        responses={201: FindingDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Register a finding (督查, 暗访, 述职点评 or 巡察) through services.findings.finding_create. A finding of the
        same category for the same organization the year before marks it repeated."""
        data = _validated(FindingCreateSerializer(data=request.data))
        org = Organization.objects.restrict(request.user, Action.VIEW).filter(pk=data.pop("organization_id")).first()
        if org is None:
            raise NotInScope()
        finding = _call(
            services.finding_create,
            actor=request.user,
            organization=org,
            files=data.pop("file"),
            found_on=data.pop("found_on") or None,
            **data,
        )
        return Response(self._detail(finding), status=status.HTTP_201_CREATED)

    @extend_schema(request=FindingUpdateSerializer, responses=FindingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct category, severity, description, responsible person or deadline (not once signed off)."""
        finding = self.get_object()
        if not in_scope(request.user, Action.INSPECT, finding.organization.path):
            raise PermissionDenied("您的角色不能修改问题（须为组织部、乡镇管理员或考核组成员）。")
        data = _validated(FindingUpdateSerializer(data=request.data, partial=True))
        finding = _call(services.finding_update, actor=request.user, finding=finding, **data)
        return Response(self._detail(finding))

    @extend_schema(
        request={"application/json": FindingAdvanceSerializer, "multipart/form-data": FindingAdvanceSerializer},
        responses=FindingDetailSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def advance(self, request, pk=None):
        """One step: 开始整改 → 报告整改完成 → 销号 (or 退回重改) by the level above; 补充说明 adds a note and files
        without changing the status. A skipped step is refused with the step that comes next."""
        finding = self.get_object()
        data = _validated(FindingAdvanceSerializer(data=request.data))
        _call(
            services.finding_advance,
            actor=request.user,
            finding=finding,
            step=data["step"],
            note=data["note"],
            files=data["file"],
        )
        return Response(self._detail(finding))


def register(router) -> None:
    router.register("findings", FindingViewSet, basename="finding")
