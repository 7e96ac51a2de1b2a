"""REST endpoints of funding: the ledgers' records (/api/fund-allocations/, /api/fund-disbursements/,
/api/fund-expenditures/) and the summary of a subtree (/api/funding/summary/).

Reads are scoped by the shared base class (a record outside the caller's subtree answers 404, like a missing one);
every write calls a services.ledger function, which checks the rules under the ledger's row locks and writes the
audit row. A caller who sees a record but may not write it gets 403 (下达 and 拨付 need MANAGE, 支出 CHANGE)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations import selectors as org_selectors
from organizations.models import Organization

from .. import selectors
from ..filtersets import AllocationFilterSet, DisbursementFilterSet, ExpenditureFilterSet, with_arrived
from ..models import Allocation, Disbursement, Expenditure, ExpenditureAttachment, FundCategory, FundSource
from ..selectors import Figures
from ..services import ledger as services
from .serializers import (
    AllocationCreateSerializer,
    AllocationSerializer,
    AllocationUpdateSerializer,
    DisbursementCreateSerializer,
    DisbursementSerializer,
    DisbursementUpdateSerializer,
    ExpenditureCreateSerializer,
    ExpenditureSerializer,
    ExpenditureUpdateSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]
# The services name their arguments after the model; the request after the ids it sends.
FIELD_NAMES = {
    "organization": "organization_id",
    "category": "category_id",
    "source": "source_id",
    "allocation": "allocation_id",
    "files": "file",
}
REFUSED = {
    Action.MANAGE: "经费下达和拨付由上级组织部门录入，您的角色不能录入或修改。",
    Action.CHANGE: "您的角色只能查看经费台账，不能录入或修改支出。",
}


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


def _require(user, action: str, org: Organization) -> None:
    if not in_scope(user, action, org.path):
        raise PermissionDenied(REFUSED[action])


def _organization(user, pk: int) -> Organization:
    """An organization the caller sees (404 otherwise, like a missing one)."""
    org = Organization.objects.restrict(user, Action.VIEW).filter(pk=pk).first()
    if org is None:
        raise NotInScope()
    return org


def _lookups(data: dict) -> dict:
    """`category_id` / `source_id` of the request as the rows the service takes; an unknown id is a 400 on it."""
    for name, model, label in (("category_id", FundCategory, "经费类别"), ("source_id", FundSource, "资金来源")):
        if name in data:
            pk = data.pop(name)
            row = None if pk is None else model.objects.filter(pk=pk).first()
            if pk is not None and row is None:
                raise exceptions.ValidationError({name: [f"没有编号为 {pk} 的{label}。"]})
            data[name.removesuffix("_id")] = row
    return data


class _LedgerViewSet(ScopedModelViewSet):
    # Writes look the record up in the read scope: _require then tells a role that may not write (403) from a record
    # outside the scope (404).
    write_action = Action.VIEW
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required = Action.MANAGE

    def _detail(self, record):
        """The record as read after a write, through the caller's read scope."""
        fresh = self.base_queryset().restrict(self.request.user, Action.VIEW).filter(pk=record.pk).first()
        if fresh is None:
            raise NotInScope()
        return self.get_serializer_class_for_output()(fresh, context=self.get_serializer_context()).data

    def get_serializer_class_for_output(self):  # pragma: no cover - interface
        raise NotImplementedError


class AllocationViewSet(_LedgerViewSet):
    """下达 of the caller's subtree. Filters: `organization` (with its subtree), `year`, `category`, `source`,
    `overdue`. Recording and correcting need the MANAGE role over the organization."""

    filterset_class = AllocationFilterSet
    serializer_class = AllocationSerializer

    def base_queryset(self):
        return with_arrived(Allocation.objects.select_related("organization", "category", "source")).order_by(
            "-allocated_on", "-id"
        )

    def get_serializer_class(self):
        return {"create": AllocationCreateSerializer, "partial_update": AllocationUpdateSerializer}.get(
            self.action, AllocationSerializer
        )

    def get_serializer_class_for_output(self):
        return AllocationSerializer

    @extend_schema(request=AllocationCreateSerializer, responses={201: AllocationSerializer})
    def create(self, request, *args, **kwargs):
        """Record an allocation through services.ledger.allocation_create; without a deadline it gets the category's
        拨付时限 (at most 31 December)."""
        data = _lookups(_validated(AllocationCreateSerializer(data=request.data)))
        org = _organization(request.user, data.pop("organization_id"))
        _require(request.user, Action.MANAGE, org)
        allocation = _call(services.allocation_create, actor=request.user, organization=org, **data)
        return Response(self._detail(allocation), status=status.HTTP_201_CREATED)

    @extend_schema(request=AllocationUpdateSerializer, responses=AllocationSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct amount, dates, document number, note, or (while nothing has arrived) category and source; the
        amount is never cut below what has arrived."""
        allocation = self.get_object()
        _require(request.user, Action.MANAGE, allocation.organization)
        data = _lookups(_validated(AllocationUpdateSerializer(data=request.data, partial=True)))
        allocation = _call(services.allocation_update, actor=request.user, allocation=allocation, **data)
        return Response(self._detail(allocation))

    def destroy(self, request, *args, **kwargs):
        """Delete an allocation nothing has arrived against."""
        allocation = self.get_object()
        _require(request.user, Action.MANAGE, allocation.organization)
        _call(services.allocation_delete, actor=request.user, allocation=allocation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DisbursementViewSet(_LedgerViewSet):
    """拨付 of the caller's subtree. Filters: `organization` (with its subtree), `year`, `category`, `source`,
    `allocation`. Recording and correcting need the MANAGE role over the organization."""

    filterset_class = DisbursementFilterSet
    serializer_class = DisbursementSerializer

    def base_queryset(self):
        return Disbursement.objects.select_related("organization", "category", "source").order_by("-paid_on", "-id")

    def get_serializer_class(self):
        return {"create": DisbursementCreateSerializer, "partial_update": DisbursementUpdateSerializer}.get(
            self.action, DisbursementSerializer
        )

    def get_serializer_class_for_output(self):
        return DisbursementSerializer

    @extend_schema(request=DisbursementCreateSerializer, responses={201: DisbursementSerializer})
    def create(self, request, *args, **kwargs):
        """Record money that arrived against an allocation; never more than the allocation still lacks."""
        data = _validated(DisbursementCreateSerializer(data=request.data))
        allocation = Allocation.objects.restrict(request.user, Action.VIEW).filter(pk=data.pop("allocation_id")).first()
        if allocation is None:
            raise NotInScope()
        _require(request.user, Action.MANAGE, allocation.organization)
        disbursement = _call(services.disbursement_create, actor=request.user, allocation=allocation, **data)
        return Response(self._detail(disbursement), status=status.HTTP_201_CREATED)

    @extend_schema(request=DisbursementUpdateSerializer, responses=DisbursementSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct amount, date, voucher or note; a cut is refused when the category has spent more than would
        remain (专款专用)."""
        disbursement = self.get_object()
        _require(request.user, Action.MANAGE, disbursement.organization)
        data = _validated(DisbursementUpdateSerializer(data=request.data, partial=True))
        disbursement = _call(services.disbursement_update, actor=request.user, disbursement=disbursement, **data)
        return Response(self._detail(disbursement))

    def destroy(self, request, *args, **kwargs):
        """Delete a disbursement, unless the category has spent what it brought (专款专用)."""
        disbursement = self.get_object()
        _require(request.user, Action.MANAGE, disbursement.organization)
        _call(services.disbursement_delete, actor=request.user, disbursement=disbursement)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExpenditureViewSet(_LedgerViewSet):
    """支出 of the caller's subtree, with their vouchers. Filters: `organization` (with its subtree), `year`,
    `category`, `source`. Recording and correcting need the CHANGE role over the organization."""

    filterset_class = ExpenditureFilterSet
    serializer_class = ExpenditureSerializer
    parser_classes = PARSERS

    def base_queryset(self):
        files = ExpenditureAttachment.objects.order_by("uploaded_at", "id")
        return (
            Expenditure.objects.select_related("organization", "category", "source")
            .prefetch_related(Prefetch("files", queryset=files))
            .order_by("-spent_on", "-id")
        )

    def get_serializer_class(self):
        return {"create": ExpenditureCreateSerializer, "partial_update": ExpenditureUpdateSerializer}.get(
            self.action, ExpenditureSerializer
        )

    def get_serializer_class_for_output(self):
        return ExpenditureSerializer

    @extend_schema(
        request={"application/json": ExpenditureCreateSerializer, "multipart/form-data": ExpenditureCreateSerializer},
        responses={201: ExpenditureSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Record spending; what the category has spent that year never exceeds what it received (专款专用)."""
        data = _lookups(_validated(ExpenditureCreateSerializer(data=request.data)))
        org = _organization(request.user, data.pop("organization_id"))
        _require(request.user, Action.CHANGE, org)
        files = data.pop("file")
        expenditure = _call(services.expenditure_create, actor=request.user, organization=org, files=files, **data)
        return Response(self._detail(expenditure), status=status.HTTP_201_CREATED)

    @extend_schema(request=ExpenditureUpdateSerializer, responses=ExpenditureSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct amount, date, purpose, source, voucher or note (not the category)."""
        expenditure = self.get_object()
        _require(request.user, Action.CHANGE, expenditure.organization)
        data = _lookups(_validated(ExpenditureUpdateSerializer(data=request.data, partial=True)))
        expenditure = _call(services.expenditure_update, actor=request.user, expenditure=expenditure, **data)
        return Response(self._detail(expenditure))

    def destroy(self, request, *args, **kwargs):
        """Delete spending and its vouchers."""
        expenditure = self.get_object()
        _require(request.user, Action.CHANGE, expenditure.organization)
        _call(services.expenditure_delete, actor=request.user, expenditure=expenditure)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _figures(f: Figures) -> dict:
    return {
        "allocated": f.allocated,
        "disbursed": f.disbursed,
        "spent": f.spent,
        "owed": f.owed,
        "arrival_rate": f.arrival_rate,
        "use_rate": f.use_rate,
    }


def summary_groups(*, actor, org: Organization, year: int, by: str) -> tuple[Figures, list[dict]]:
    """The totals and one group per line, as the summary page shows them (lower organizations, every organization
    with records, categories or sources)."""
    groups = selectors.summarize(actor=actor, root=org, year=year, by=by)
    totals = selectors.total_of(groups)
    lines = []
    if by == "unit":
        own = groups.get(org.path, Figures())
        children = list(org_selectors.organization_list(actor=actor).filter(parent=org).order_by("code"))
        if not own.is_empty or not children:
            lines.append({"id": org.pk, "code": org.code, "name": org.name, "own": True, **_figures(own)})
        for child in children:
            figures = groups.get(child.path, Figures())
            lines.append({"id": child.pk, "code": child.code, "name": child.name, "own": False, **_figures(figures)})
    elif by == "organization":
        orgs = Organization.objects.in_bulk(list(groups))
        for pk, figures in sorted(groups.items(), key=lambda item: orgs[item[0]].path):
            o = orgs[pk]
            lines.append({"id": pk, "code": o.code, "name": o.name, "own": pk == org.pk, **_figures(figures)})
    else:
        rows = selectors.categories() if by == "category" else selectors.sources()
        for row in rows:
            if row.active or row.pk in groups:
                figures = groups.get(row.pk, Figures())
                lines.append({"id": row.pk, "code": "", "name": row.name, "own": False, **_figures(figures)})
        if None in groups:
            lines.append({"id": None, "code": "", "name": "未指定来源", "own": False, **_figures(groups[None])})
    return totals, lines


class FundingSummaryViewSet(viewsets.ViewSet):
    """经费汇总 of an organization's subtree for a year, grouped by lower organization, organization, category or
    source. Amounts are strings of Decimal yuan; rates percentages, null where the divisor is 0."""

    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(parameters=[SummaryQuerySerializer], responses=SummarySerializer)
    def list(self, request):
        query = _validated(SummaryQuerySerializer(data=request.query_params))
        user = request.user
        if query.get("organization"):
            org = org_selectors.organization_get_for(user, query["organization"])
        else:
            org = org_selectors.scope_roots(actor=user).order_by("code").first()
            if org is None:
                raise NotInScope()
        year = query.get("year") or timezone.localdate().year
        totals, groups = summary_groups(actor=user, org=org, year=year, by=query["by"])
        payload = {"organization": org, "year": year, "by": query["by"], "totals": totals, "groups": groups}
        return Response(SummarySerializer(payload, context={"request": request}).data)


def register(router) -> None:
    router.register("fund-allocations", AllocationViewSet, basename="fund-allocation")
    router.register("fund-disbursements", DisbursementViewSet, basename="fund-disbursement")
    router.register("fund-expenditures", ExpenditureViewSet, basename="fund-expenditure")
    router.register("funding/summary", FundingSummaryViewSet, basename="funding-summary")
