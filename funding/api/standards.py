"""REST endpoints of the county's funding configuration: /api/fund-categories/, /api/fund-sources/,
/api/fund-standards/ (with /below/: the organizations of a subtree below the standards in a year) and
/api/rural-incomes/. Everyone signed in reads them; only county administrators write, through services.config."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.exceptions import NotInScope
from core.scope import Action
from members.filtersets import ID_VALIDATORS, YEAR_VALIDATORS, IntegerFilter
from organizations import selectors as org_selectors

from ..models import FundCategory, FundSource, FundStandard, RuralIncome
from ..services import config as services
from ..standards import standard_rows
from .config_serializers import (
    FundCategorySerializer,
    FundSourceSerializer,
    FundStandardSerializer,
    RuralIncomeSerializer,
    RuralIncomeUpdateSerializer,
    StandardRowSerializer,
)


class FundingConfigPermission(permissions.IsAuthenticated):
    """Everyone signed in reads the county's funding configuration; only the county organization department writes."""

    message = services.REFUSED

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or services.may_configure_funding(request.user)


class _ConfigViewSet(ScopedModelViewSet):
    permission_classes = [FundingConfigPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_action = Action.VIEW  # county-wide rows: the permission above decides who writes


class FundCategoryViewSet(_ConfigViewSet):
    """经费类别 of the county. Categories are never deleted: `active: false` retires one."""

    serializer_class = FundCategorySerializer
    filterset_fields = ["active"]

    def base_queryset(self):
        return FundCategory.objects.order_by("order", "id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        active = data.pop("active", True)
        category = services.category_create(actor=self.request.user, **data)
        if not active:
            category = services.category_update(actor=self.request.user, category=category, active=False)
        serializer.instance = category

    def perform_update(self, serializer):
        serializer.instance = services.category_update(
            actor=self.request.user, category=serializer.instance, **serializer.validated_data
        )


class FundSourceViewSet(_ConfigViewSet):
    """资金来源 of the county. Sources are never deleted: `active: false` retires one."""

    serializer_class = FundSourceSerializer
    filterset_fields = ["active"]

    def base_queryset(self):
        return FundSource.objects.order_by("order", "id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        active = data.pop("active", True)
        source = services.source_create(actor=self.request.user, **data)
        if not active:
            source = services.source_update(actor=self.request.user, source=source, active=False)
        serializer.instance = source

    def perform_update(self, serializer):
        serializer.instance = services.source_update(
            actor=self.request.user, source=serializer.instance, **serializer.validated_data
        )


class FundStandardFilterSet(django_filters.FilterSet):
    """The standards in force in a year, of a category, active or not."""

    year = IntegerFilter(label="适用年度", method="filter_year", validators=YEAR_VALIDATORS)
    category = IntegerFilter(label="经费类别编号", field_name="category", validators=ID_VALIDATORS)

    class Meta:
        model = FundStandard
        fields = ["year", "category", "active"]

    def filter_year(self, queryset, name, value: int):
        return queryset.filter(active=True, year_from__lte=value).filter(
            Q(year_to__isnull=True) | Q(year_to__gte=value)
        )


class BelowQuerySerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="组织编号（含下级）")
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    standard = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="只看这一项标准（编号）"
    )
    all = serializers.BooleanField(required=False, default=False, help_text="true：标准覆盖的全部组织，不只低于标准的")


class FundStandardViewSet(_ConfigViewSet):
    """经费保障标准 of the county (in force or not). `below` evaluates them over a subtree and a year."""

    serializer_class = FundStandardSerializer
    filterset_class = FundStandardFilterSet

    def base_queryset(self):
        return FundStandard.objects.select_related("category").order_by("category__order", "category_id", "id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        active = data.pop("active", True)
        standard = services.standard_create(actor=self.request.user, **data)
        if not active:
            standard = services.standard_update(actor=self.request.user, standard=standard, active=False)
        serializer.instance = standard

    def perform_update(self, serializer):
        serializer.instance = services.standard_update(
            actor=self.request.user, standard=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("organization", OpenApiTypes.INT, required=True, description="组织编号（含下级）"),
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="年度"),
            OpenApiParameter("standard", OpenApiTypes.INT, description="只看这一项标准（编号）"),
            OpenApiParameter("all", OpenApiTypes.BOOL, description="true：标准覆盖的全部组织"),
        ],
        responses=StandardRowSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def below(self, request):
        """The organizations of a subtree below the standards in force in a year (minimum, received, shortfall);
        `all=true` lists every organization the standards cover, those that cannot be evaluated included."""
        query = BelowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        root = org_selectors.organization_get_for(request.user, q["organization"])
        standard = None
        if q.get("standard"):
            standard = FundStandard.objects.filter(pk=q["standard"]).first()
            if standard is None:
                raise NotInScope()
        rows = standard_rows(
            actor=request.user, root=root, year=q["year"], today=timezone.localdate(), standard=standard
        )
        if not q["all"]:
            rows = [r for r in rows if r.short]
        return Response(StandardRowSerializer(rows, many=True, context=self.get_serializer_context()).data)


class RuralIncomeViewSet(_ConfigViewSet):
    """农村居民人均可支配收入 per year. POST sets a year's figure (201 when new, 200 when it replaces one); PATCH
    changes the amount or the note."""

    filterset_fields = ["year"]

    def base_queryset(self):
        return RuralIncome.objects.order_by("-year")

    def get_serializer_class(self):
        return RuralIncomeUpdateSerializer if self.action in ("update", "partial_update") else RuralIncomeSerializer

    @extend_schema(request=RuralIncomeSerializer, responses={200: RuralIncomeSerializer, 201: RuralIncomeSerializer})
    def create(self, request, *args, **kwargs):
        serializer = RuralIncomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = RuralIncome.objects.filter(year=data["year"]).exists()
        income = services.rural_income_set(
            actor=request.user, year=data["year"], amount=data["amount"], note=data.get("note", "")
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(RuralIncomeSerializer(income).data, status=code)

    def perform_update(self, serializer):
        income = serializer.instance
        data = {"amount": income.amount, "note": income.note, **serializer.validated_data}
        serializer.instance = services.rural_income_set(actor=self.request.user, year=income.year, **data)


def register(router) -> None:
    router.register("fund-categories", FundCategoryViewSet, basename="fund-category")
    router.register("fund-sources", FundSourceViewSet, basename="fund-source")
    router.register("fund-standards", FundStandardViewSet, basename="fund-standard")
    router.register("rural-incomes", RuralIncomeViewSet, basename="rural-income")
