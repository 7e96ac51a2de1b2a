"""REST endpoints of the assessment's results: /api/assessment-results/ (each organization's result, with the
scoring, appraisal, veto and grade-change actions) and /api/assessment-rankings/ (one group's ranking).

Reads go through selectors.result_list: the caller's subtree, and for read-only accounts (leaders, branch
secretaries) only published results; anything else answers 404 like a missing id. Scores and appraisal votes need
INSPECT over the organization (an inspector's grant is their assignment), vetoes and grade changes MANAGE over the
county; a caller who reads the result but may not act gets 403 with the reason, and nothing changes. Every write is
an assessments.services.scoring call: it refuses a published (locked) scheme, recomputes the total at once and sends
a computed scheme back to 待计算."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import ScopedViewSetMixin
from core.exceptions import NotInScope
from core.scope import Action, in_scope

from .. import selectors
from ..filtersets import RankingFilterSet, ResultFilterSet
from ..models import Indicator, IndicatorScore, Result, ScoreEvidence, VetoItem
from ..services import scoring as services
from ..services.schemes import REFUSED
from .fields import call, validated
from .results_serializers import (
    AppraisalInputSerializer,
    OverrideInputSerializer,
    ResultDetailSerializer,
    ResultSerializer,
    ScoreClearSerializer,
    ScoreSerializer,
    VetoInputSerializer,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]
RANK_ORDER = (F("rank").asc(nulls_last=True), "organization__code")


def _detail_queryset(qs):
    scores = IndicatorScore.objects.select_related("entered_by").prefetch_related(
        Prefetch("evidence", queryset=ScoreEvidence.objects.order_by("uploaded_at", "id"))
    )
    return qs.select_related("veto_item", "scheme__county").prefetch_related(
        Prefetch("scores", queryset=scores), "appraisals"
    )


def _require(user, result: Result, action: str) -> None:
    """The services' own rule and words, checked before the body so that a refused role always reads 403."""
    if action == Action.MANAGE:
        if not selectors.may_manage_county(user, result.scheme.county):
            raise PermissionDenied(REFUSED)
    elif not in_scope(user, Action.INSPECT, result.organization.path):
        raise PermissionDenied(services.NOT_ASSIGNED)


class ResultViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """考核结果 of the caller's subtree (read-only accounts: published only), newest year first, then by group and
    rank. Filters: `year`, `scheme`, `group`, `organization` (id) or `org` (code) with the subtree below, `grade`
    (1–4), `bottom`, `moved_up` (true, false, unknown), `vetoed`."""

    filterset_class = ResultFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        # The read scope for writes too: _require and the services tell a role that may not act (403) from a result
        # outside the scope or unpublished for a read-only account (404).
        qs = selectors.result_list(actor=self.request.user).select_related("scheme__county")
        if self.action != "list":
            qs = _detail_queryset(qs)
        return qs.order_by("-year", "scheme__county__path", "scheme__group", *RANK_ORDER)

    def get_serializer_class(self):
        return ResultSerializer if self.action == "list" else ResultDetailSerializer

    def get_parsers(self):
        return [p() for p in PARSERS] if getattr(self, "action", None) == "scores" else super().get_parsers()

    def _detail(self, result: Result) -> Response:
        fresh = self.get_queryset().filter(pk=result.pk).first()
        if fresh is None:
            raise NotInScope()
        return Response(ResultDetailSerializer(fresh, context=self.get_serializer_context()).data)

    def _indicator(self, result: Result, pk: int) -> Indicator:
        indicator = Indicator.objects.filter(pk=pk).first()
        if indicator is None or indicator.scheme_id != result.scheme_id:
            raise ValidationError({"indicator": ["该指标不属于此考核方案。"]})
        return indicator

    @extend_schema(
        methods=["POST"],
        request={"application/json": ScoreSerializer, "multipart/form-data": ScoreSerializer},
        responses=ResultDetailSerializer,
        description="Enter or change one indicator's points (services.scoring.score_set): 0 to the indicator's "
        "maximum, at most two decimals; below the maximum a 扣分说明 (`note`) is required; evidence files as `file` "
        "(multipart). The total is recomputed at once; a computed scheme goes back to 待计算.",
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[OpenApiParameter("indicator", int, required=True, description="要清除得分的指标编号")],
        request=None,
        responses={200: ResultDetailSerializer},
        description="Clear one indicator's points (services.scoring.score_clear); the total becomes empty again.",
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[], pagination_class=None)
    def scores(self, request, pk=None):
        result = self.get_object()
        _require(request.user, result, Action.INSPECT)
        if request.method == "DELETE":
            data = validated(ScoreClearSerializer, request, data=request.query_params or request.data)
            indicator = self._indicator(result, data["indicator"])
            services.score_clear(actor=request.user, result=result, indicator=indicator)
            return self._detail(result)
        data = validated(ScoreSerializer, request)
        indicator = self._indicator(result, data["indicator"])
        call(
            services.score_set,
            {"files": "file"},
            actor=request.user,
            result=result,
            indicator=indicator,
            score=data.get("score"),
            note=data["note"],
            files=data["file"],
        )
        return self._detail(result)

    @extend_schema(request=AppraisalInputSerializer, responses=ResultDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def appraisal(self, request, pk=None):
        """Record one side's votes of the duty-report appraisal (services.scoring.appraisal_set); a missing count is
        0. The appraisal score and the total are recomputed at once."""
        result = self.get_object()
        _require(request.user, result, Action.INSPECT)
        data = validated(AppraisalInputSerializer, request)
        services.appraisal_set(actor=request.user, result=result, **data)
        return self._detail(result)

    @extend_schema(request=VetoInputSerializer, responses=ResultDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def veto(self, request, pk=None):
        """一票否决 (or lifting it) with its item or a reason (services.scoring.veto_set): the organization is graded 差
        at the next computation. County organization department only."""
        result = self.get_object()
        _require(request.user, result, Action.MANAGE)
        data = validated(VetoInputSerializer, request)
        item = None
        if data.get("item") is not None:
            item = VetoItem.objects.filter(pk=data["item"]).first()
            if item is None:
                raise exceptions.ValidationError({"item": ["该否决事项不属于此考核方案。"]})
        services.veto_set(
            actor=request.user, result=result, vetoed=data["vetoed"], item=item, reason=data.get("reason", "")
        )
        return self._detail(result)

    @extend_schema(request=OverrideInputSerializer, responses=ResultDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def override(self, request, pk=None):
        """Change the grade by hand, with a reason (services.scoring.grade_override_set; audited); `grade` null
        removes the change. Applied at the next computation, after the thresholds, the 好 quota and vetoes. County
        organization department only."""
        result = self.get_object()
        _require(request.user, result, Action.MANAGE)
        data = validated(OverrideInputSerializer, request)
        services.grade_override_set(actor=request.user, result=result, grade=data["grade"], reason=data["reason"])
        return self._detail(result)


class RankingViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The ranking of one group in one year: `year` and `group` are required (`county` where the caller sees
    several). The results the caller reads (read-only accounts: published only), best first — equal totals share a
    rank (1, 2, 2, 4) and are listed by organization code; results without a total come last. Each row is the
    results list's row (grade, bottom three, moved up against last year, responsible secretary)."""

    serializer_class = ResultSerializer
    filterset_class = RankingFilterSet
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        qs = selectors.result_list(actor=self.request.user).select_related("scheme__county")
        return qs.order_by("scheme__county__path", *RANK_ORDER)


def register(router) -> None:
    router.register("assessment-results", ResultViewSet, basename="assessment-result")
    router.register("assessment-rankings", RankingViewSet, basename="assessment-ranking")
