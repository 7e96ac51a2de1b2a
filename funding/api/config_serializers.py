"""Serializers of the county's funding configuration (categories, sources, standards, rural income) and the rows of
organizations below a standard. Amounts are strings of yuan with two decimals ("50332.50"); inputs are checked by
services.config, which answers in Chinese."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer
from organizations.choices import Domain, OrgKind

from ..choices import StandardBasis
from ..models import FundCategory, FundSource, FundStandard, RuralIncome


def money(help_text: str, **kwargs) -> serializers.DecimalField:
    """Yuan with two decimals, as a string in JSON."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), help_text=help_text, **kwargs
    )


class FundCategorySerializer(serializers.ModelSerializer):
    """A 经费类别 of the county; `disburse_within_days` is the default deadline of its allocations."""

    class Meta:
        model = FundCategory
        fields = ["id", "name", "disburse_within_days", "order", "active", "note", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the service's, with its own message


class FundCategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundCategory
        fields = ["id", "name"]


class FundSourceSerializer(serializers.ModelSerializer):
    """A 资金来源 of the county."""

    class Meta:
        model = FundSource
        fields = ["id", "name", "order", "active", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class FundSourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundSource
        fields = ["id", "name"]


class FundStandardSerializer(serializers.ModelSerializer):
    """A county standard: organizations matching domain, kind and member band must receive at least the minimum of
    the category each year from year_from to year_to. `basis` fixed takes `amount`; income_multiple takes
    `multiple` (× the year's rural per-capita income)."""

    category = FundCategoryBriefSerializer(read_only=True)
    category_id = ScopedPrimaryKeyRelatedField(
        model=FundCategory, action=Action.VIEW, source="category", write_only=True, help_text="经费类别编号"
    )
    basis = serializers.ChoiceField(choices=StandardBasis.choices, help_text="标准依据")
    amount = money("最低金额（元），固定金额时填写", required=False, allow_null=True)
    multiple = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, help_text="收入倍数，按收入倍数时填写"
    )
    domain = serializers.ChoiceField(
        choices=Domain.choices, required=False, allow_blank=True, help_text="所属领域，空 = 不限"
    )
    kind = serializers.ChoiceField(
        choices=OrgKind.choices, required=False, allow_blank=True, help_text="组织类型，空 = 不限"
    )
    assessment_group = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="考核类别，空 = 不限（如 村（社区）党组织）"
    )

    class Meta:
        model = FundStandard
        fields = [
            "id", "name", "category", "category_id", "domain", "kind", "assessment_group", "members_min", "members_max", "basis",
            "amount", "multiple", "year_from", "year_to", "active", "note", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]
        # The service checks every rule (basis and value, years, band) and says what is wrong in Chinese.
        validators = []


class FundStandardBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundStandard
        fields = ["id", "name"]


class RuralIncomeSerializer(serializers.ModelSerializer):
    """A year's rural per-capita disposable income (农村居民人均可支配收入); POST replaces the year's figure."""

    amount = money("农村居民人均可支配收入（元）")

    class Meta:
        model = RuralIncome
        fields = ["id", "year", "amount", "note", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"year": {"validators": []}}  # one row a year: POST sets it, whether it exists or not


class RuralIncomeUpdateSerializer(RuralIncomeSerializer):
    class Meta(RuralIncomeSerializer.Meta):
        read_only_fields = ["year", "updated_at"]


class StandardRowSerializer(serializers.Serializer):
    """One organization covered by a standard in a year: the minimum (null = cannot be evaluated, no rural income
    recorded), what was disbursed to it in the category, the shortfall, the verdict."""

    standard = FundStandardBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    year = serializers.IntegerField(help_text="年度")
    members = serializers.IntegerField(help_text="党员人数（年末或今天，组织含下级）")
    minimum = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="最低金额（元）")
    received = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="实际到位（元）")
    shortfall = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="差额（元）")
    verdict = serializers.CharField(help_text="达标 / 未达标 / 暂未达标（年度未结束）/ 无法评估")
    year_over = serializers.BooleanField(help_text="年度是否已结束")
