"""REST endpoints of the assessment's schemes: /api/assessment-schemes/ (settings, copy, compute, publish, reopen,
missing), /api/assessment-indicators/, /api/assessment-veto-items/ and /api/assessment-jobs/{id}/ (the computation's
progress).

A scheme is the whole county's: every account inside the county reads it, accounts of other counties get 404. Every
write calls an assessments.services function, which checks the role (MANAGE over the county: the county organization
department), refuses a published scheme, runs in one transaction and writes the audit row; a caller who reads the
scheme but may not change it gets 403 with the reason, and a refused write changes nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedViewSetMixin
from core.exceptions import NotInScope, id_from
from core.fields import CentiField
from core.scope import Action, in_scope
from core.selectors import job_list
from organizations.models import Organization

from .. import selectors
from ..filtersets import IndicatorFilterSet, SchemeFilterSet, VetoItemFilterSet
from ..models import Indicator, Result, Scheme, VetoItem
from ..services import schemes as services
from ..services import workflow
from .fields import call, validated
from .schemes_serializers import (
    IndicatorCreateSerializer,
    IndicatorSerializer,
    IndicatorUpdateSerializer,
    JobSerializer,
    MissingSerializer,
    ReopenSerializer,
    SchemeCopySerializer,
    SchemeCreateSerializer,
    SchemeDetailSerializer,
    SchemePutSerializer,
    SchemeSerializer,
    SchemeSettingsSerializer,
    VetoItemCreateSerializer,
    VetoItemSerializer,
)

NO_COUNTY = "您在多个县工作，请用 county 指明是哪个县。"


def with_counts(qs):
    """Schemes with the number of results, of results without a total, of indicators and their points."""
    results = Result.objects.filter(scheme=OuterRef("pk")).order_by().values("scheme")
    indicators = Indicator.objects.filter(scheme=OuterRef("pk")).order_by().values("scheme")
    return qs.annotate(
        results_count=Coalesce(Subquery(results.annotate(n=Count("id")).values("n"), output_field=IntegerField()), 0),
        missing_count=Coalesce(
            Subquery(
                results.annotate(n=Count("id", filter=Q(total__isnull=True))).values("n"), output_field=IntegerField()
            ),
            0,
        ),
        indicators_count=Coalesce(
            Subquery(indicators.annotate(n=Count("id")).values("n"), output_field=IntegerField()), 0
        ),
        max_points_total=Subquery(indicators.annotate(s=Sum("max_points")).values("s"), output_field=CentiField()),
    )


def county_for(request, pk=None) -> Organization:
    """The county a request means: `pk` (an organization the caller sees; its county), else the caller's only
    county. 404 for one outside the caller's scope; 400 when the caller works in several and named none."""
    if pk not in (None, ""):
        org = Organization.objects.restrict(request.user, Action.VIEW).filter(pk=id_from(pk)).first()
        if org is None:
            # A county reads as the county of every account inside it, though their grants sit lower.
            org = next((c for c in selectors.counties_for(request.user) if c.pk == id_from(pk)), None)
        if org is None:
            raise NotInScope()
        return selectors.county_of(org)
    counties = selectors.counties_for(request.user)
    if not counties:
        raise NotInScope("您不在任何县的范围内。")
    if len(counties) > 1:
        raise ValidationError({"county": [NO_COUNTY]})
    return counties[0]


def _year_errors(exc: ValidationError, key: str = "year") -> ValidationError:
    """scheme_create's one message without a field is the year's (_whole on `year`); give it its field."""
    if hasattr(exc, "error_dict"):
        return exc
    return ValidationError({key: exc.messages})


class SchemeViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """考核方案 of the caller's counties, newest year first. Filters: `year`, `group`, `status`.

    Creating, changing, copying, computing, publishing and reopening are the county organization department's
    (MANAGE over the county); anyone else who reads the scheme gets 403 and nothing changes. A published scheme is
    locked until it is reopened (with a reason) and computed again."""

    filterset_class = SchemeFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # The read scope for writes too: the services then tell a role that may not act (403) from a scheme of
        # another county (404).
        return with_counts(selectors.scheme_list(actor=self.request.user)).select_related("published_by")

    def get_serializer_class(self):
        return {"list": SchemeSerializer}.get(self.action, SchemeDetailSerializer)

    def _detail(self, scheme: Scheme, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=scheme.pk).first()
        if fresh is None:
            raise NotInScope()
        return Response(SchemeDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=SchemeCreateSerializer, responses={201: SchemeDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Create the scheme of a group and year (services.schemes.scheme_create), with a result row for every
        organization of the county in that group. Settings not given take the defaults (好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60,
        no quota, no appraisal)."""
        data = validated(SchemeCreateSerializer, request)
        county = county_for(request, data.pop("county", None))
        year, group = data.pop("year"), data.pop("group")
        try:
            scheme = services.scheme_create(actor=request.user, county=county, year=year, group=group, **data)
        except ValidationError as exc:
            raise _year_errors(exc) from None
        return self._detail(scheme, status.HTTP_201_CREATED)

    @extend_schema(request=SchemePutSerializer, responses=SchemeDetailSerializer)
    def update(self, request, *args, **kwargs):
        """Replace every setting of the scheme (services.schemes.scheme_update); a computed scheme goes back to
        待计算. Year and group never change (create another scheme)."""
        scheme = self.get_object()
        data = validated(SchemePutSerializer, request)
        return self._detail(call(services.scheme_update, actor=request.user, scheme=scheme, **data))

    @extend_schema(request=SchemeSettingsSerializer, responses=SchemeDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change some settings of the scheme (services.schemes.scheme_update)."""
        scheme = self.get_object()
        data = validated(SchemeSettingsSerializer, request, partial=True)
        return self._detail(call(services.scheme_update, actor=request.user, scheme=scheme, **data))

    @extend_schema(request=SchemeCopySerializer, responses={201: SchemeDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def copy(self, request, pk=None):
        """Copy this scheme (settings, indicators, veto items) to `year`, by default the next year
        (services.schemes.scheme_copy)."""
        source = self.get_object()
        data = validated(SchemeCopySerializer, request)
        try:
            scheme = services.scheme_copy(actor=request.user, source=source, year=data.get("year"))
        except ValidationError as exc:
            exc = _year_errors(exc)
            raise ValidationError({"year" if k == "group" else k: v for k, v in exc.message_dict.items()}) from None
        return self._detail(scheme, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def compute(self, request, pk=None):
        """Queue the computation of the scheme's year for its county — every scheme of that year and county, then
        the three rules — as a background job (services.workflow.compute_submit). Refused at once, with every
        reason, while a scheme of the year is published or its indicators do not add up to 100. Answers 202 with
        the job; follow it at `url` (JSON) or `status_url` (the page)."""
        scheme = self.get_object()
        job = workflow.compute_submit(actor=request.user, year=scheme.year, county=scheme.county)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=SchemeDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request, pk=None):
        """Publish computed, complete results (services.workflow.scheme_publish); they are locked from now on and
        read-only accounts see them. Refused while scores are missing (the message names the organizations; see
        `missing`) or the scheme changed since it was computed."""
        scheme = self.get_object()
        return self._detail(workflow.scheme_publish(actor=request.user, scheme=scheme))

    @extend_schema(request=ReopenSerializer, responses=SchemeDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reopen(self, request, pk=None):
        """Reopen published results, with a reason (services.workflow.scheme_reopen); they must be computed again
        before they are published again."""
        scheme = self.get_object()
        data = validated(ReopenSerializer, request)
        return self._detail(workflow.scheme_reopen(actor=request.user, scheme=scheme, reason=data["reason"]))

    @extend_schema(responses=MissingSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def missing(self, request, pk=None):
        """The organizations (of the caller's scope) whose total is missing, with what they lack: the indicators
        not yet scored, the appraisal votes, or the imported total (selectors.missing_scores). Publishing is
        refused while this list is not empty."""
        scheme = self.get_object()
        rows = [
            m
            for m in selectors.missing_scores(scheme)
            if in_scope(request.user, Action.VIEW, m.result.organization.path)
        ]
        return Response(MissingSerializer(rows, many=True).data)


def _scheme_for(request, pk) -> Scheme:
    """A scheme the caller reads (404 otherwise, like a missing one)."""
    scheme = selectors.scheme_list(actor=request.user).filter(pk=pk).first()
    if scheme is None:
        raise NotInScope()
    return scheme


class IndicatorViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """考核指标 of the schemes the caller reads, in order. Filter: `scheme`. Adding, changing and removing one is the
    county organization department's and sends a computed scheme back to 待计算; a published scheme is locked."""

    filterset_class = IndicatorFilterSet
    serializer_class = IndicatorSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        schemes = selectors.scheme_list(actor=self.request.user).values("pk")
        return Indicator.objects.filter(scheme__in=schemes).order_by("scheme_id", "order", "id")

    @extend_schema(request=IndicatorCreateSerializer, responses={201: IndicatorSerializer})
    def create(self, request, *args, **kwargs):
        """Add an indicator (services.schemes.indicator_add): a manual one, or a computed one naming its source."""
        data = validated(IndicatorCreateSerializer, request)
        scheme = _scheme_for(request, data.pop("scheme"))
        indicator = services.indicator_add(actor=request.user, scheme=scheme, **data)
        return Response(IndicatorSerializer(indicator).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IndicatorUpdateSerializer, responses=IndicatorSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change an indicator (services.schemes.indicator_update); its maximum never drops below a score given."""
        indicator = self.get_object()
        data = validated(IndicatorUpdateSerializer, request, partial=True)
        indicator = services.indicator_update(actor=request.user, indicator=indicator, **data)
        return Response(IndicatorSerializer(indicator).data)

    def destroy(self, request, *args, **kwargs):
        """Remove an indicator and its scores (services.schemes.indicator_delete; the audit row counts them)."""
        services.indicator_delete(actor=request.user, indicator=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class VetoItemViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """一票否决事项 of the schemes the caller reads. Filter: `scheme`. The county organization department adds and
    removes them; one that an organization was vetoed by cannot be removed."""

    filterset_class = VetoItemFilterSet
    serializer_class = VetoItemSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        schemes = selectors.scheme_list(actor=self.request.user).values("pk")
        return VetoItem.objects.filter(scheme__in=schemes).order_by("scheme_id", "order", "id")

    @extend_schema(request=VetoItemCreateSerializer, responses={201: VetoItemSerializer})
    def create(self, request, *args, **kwargs):
        """Add a veto item (services.schemes.veto_item_add)."""
        data = validated(VetoItemCreateSerializer, request)
        scheme = _scheme_for(request, data["scheme"])
        item = services.veto_item_add(actor=request.user, scheme=scheme, name=data["name"])
        return Response(VetoItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        """Remove a veto item no organization was vetoed by (services.schemes.veto_item_delete)."""
        services.veto_item_delete(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="任务编号")])
class AssessmentJobViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A computation job (考核计算) the caller submitted or whose county they manage: status, progress, outcome. Poll
    it after POST /api/assessment-schemes/{id}/compute/."""

    serializer_class = JobSerializer

    def get_queryset(self):
        return job_list(actor=self.request.user).filter(kind=workflow.COMPUTE_JOB_KIND)


def register(router) -> None:
    router.register("assessment-schemes", SchemeViewSet, basename="assessment-scheme")
    router.register("assessment-indicators", IndicatorViewSet, basename="assessment-indicator")
    router.register("assessment-veto-items", VetoItemViewSet, basename="assessment-veto-item")
    router.register("assessment-jobs", AssessmentJobViewSet, basename="assessment-job")
