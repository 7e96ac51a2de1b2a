"""Ledgers over the API: serializers shape input and output only; the rules (within what was allocated, 专款专用,
dates in the year, who may record what) are services.ledger's, whose Chinese messages reach the caller keyed by the
request's field names.

Amounts go out as strings of Decimal yuan with two decimals ("1200.50"), and come in as strings (a JSON number is
accepted too): the service parses them, so "10.001" is refused with the same message as on the page. Rates are
percentages as strings with two decimals, null where the divisor is 0."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from organizations.api.serializers import OrganizationBriefSerializer

from ..models import Allocation, Disbursement, Expenditure, ExpenditureAttachment, FundCategory, FundSource
from ..selectors import GROUPS

ID_LIMIT = 2**63 - 1


def money(help_text: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True, help_text=help_text, **kwargs
    )


def rate(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=True, read_only=True, allow_null=True, help_text=help_text
    )


class AmountField(serializers.CharField):
    """An amount in yuan as text, at most two decimals; checked by the service (parse_amount)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", '金额（元），正数，最多两位小数，如 "1200.50"')
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def id_field(help_text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_LIMIT, help_text=help_text, **kwargs)


class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundCategory
        fields = ["id", "name"]


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundSource
        fields = ["id", "name"]


class _Record(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    source = SourceBriefSerializer(read_only=True)
    amount = money("金额（元）")

    class Meta:
        fields = ["id", "organization", "year", "category", "source", "amount"]


class AllocationSerializer(_Record):
    """下达, with what has arrived against it, what it still lacks and whether that is overdue."""

    arrived = money("已到位（元）")
    outstanding = serializers.SerializerMethodField(help_text="尚欠（元）：下达 − 已到位")
    overdue = serializers.SerializerMethodField(help_text="逾期：过了拨付时限仍未足额到位")

    class Meta:
        model = Allocation
        fields = [
            *_Record.Meta.fields,
            "allocated_on",
            "deadline",
            "document_no",
            "note",
            "arrived",
            "outstanding",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_outstanding(self, obj: Allocation) -> str:
        return f"{max(obj.amount - obj.arrived, 0):.2f}"

    def get_overdue(self, obj: Allocation) -> bool:
        return obj.amount > obj.arrived and obj.deadline < timezone.localdate()


class DisbursementSerializer(_Record):
    """拨付: money that arrived against one allocation (its organization, year, category and source)."""

    allocation = serializers.IntegerField(source="allocation_id", read_only=True, help_text="对应下达编号")

    class Meta:
        model = Disbursement
        fields = [*_Record.Meta.fields, "allocation", "paid_on", "voucher", "note", "created_at", "updated_at"]
        read_only_fields = fields


class ExpenditureFileSerializer(serializers.ModelSerializer):
    """A spending voucher; the file itself is downloaded from `url` (a scoped page, not the media root)."""

    type = serializers.CharField(source="content_type", read_only=True, help_text="文件类型（按内容识别）")
    size = serializers.IntegerField(read_only=True, help_text="大小（字节）")
    url = serializers.SerializerMethodField(help_text="下载地址")

    class Meta:
        model = ExpenditureAttachment
        fields = ["id", "name", "type", "size", "url", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, obj: ExpenditureAttachment) -> str:
        return reverse("funding:expenditure_file", args=[obj.pk])


class ExpenditureSerializer(_Record):
    """支出 from a category's funds (the source may be blank), with its vouchers."""

    source = SourceBriefSerializer(read_only=True, allow_null=True)
    files = ExpenditureFileSerializer(many=True, read_only=True)

    class Meta:
        model = Expenditure
        fields = [
            *_Record.Meta.fields,
            "spent_on",
            "purpose",
            "voucher",
            "note",
            "files",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- input --------------------------------------------------------------------------------------------------------


class AllocationCreateSerializer(serializers.Serializer):
    """Input of POST /api/fund-allocations/ (needs the MANAGE role over the organization)."""

    organization_id = id_field("组织编号")
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    category_id = id_field("经费类别编号")
    source_id = id_field("资金来源编号")
    amount = AmountField()
    allocated_on = serializers.DateField(help_text="下达日期（在年度内）")
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="拨付时限（不填按经费类别的拨付时限天数计算）"
    )
    document_no = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="文号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text="摘要")


class AllocationUpdateSerializer(serializers.Serializer):
    """Input of PATCH /api/fund-allocations/{id}/: category and source only while nothing has arrived."""

    category_id = id_field("经费类别编号", required=False)
    source_id = id_field("资金来源编号", required=False)
    amount = AmountField(required=False)
    allocated_on = serializers.DateField(required=False, help_text="下达日期")
    deadline = serializers.DateField(required=False, help_text="拨付时限")
    document_no = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="文号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="摘要")


class DisbursementCreateSerializer(serializers.Serializer):
    """Input of POST /api/fund-disbursements/ (needs the MANAGE role over the allocation's organization)."""

    allocation_id = id_field("对应下达编号")
    amount = AmountField(help_text="拨付金额（元），不超过该笔下达尚未到位的金额")
    paid_on = serializers.DateField(help_text="拨付日期（不早于下达日期，在年度内）")
    voucher = serializers.CharField(max_length=60, required=False, allow_blank=True, default="", help_text="凭证号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text="摘要")


class DisbursementUpdateSerializer(serializers.Serializer):
    """Input of PATCH /api/fund-disbursements/{id}/."""

    amount = AmountField(required=False)
    paid_on = serializers.DateField(required=False, help_text="拨付日期")
    voucher = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="凭证号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="摘要")


class ExpenditureCreateSerializer(serializers.Serializer):
    """Input of POST /api/fund-expenditures/ (JSON, or multipart with `file` repeated for vouchers; needs the CHANGE
    role over the organization)."""

    organization_id = id_field("组织编号")
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    category_id = id_field("经费类别编号")
    source_id = id_field("资金来源编号（可不填）", required=False, allow_null=True, default=None)
    amount = AmountField(help_text="支出金额（元），该类别支出合计不能超过已到位资金")
    spent_on = serializers.DateField(help_text="支出日期（在年度内，不晚于今天）")
    purpose = serializers.CharField(max_length=200, help_text="用途")
    voucher = serializers.CharField(max_length=60, required=False, allow_blank=True, default="", help_text="凭证号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text="摘要")
    file = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="支出凭证（JPG、PNG 或 PDF，可多个）"
    )


class ExpenditureUpdateSerializer(serializers.Serializer):
    """Input of PATCH /api/fund-expenditures/{id}/ (the category cannot change)."""

    amount = AmountField(required=False)
    spent_on = serializers.DateField(required=False, help_text="支出日期")
    purpose = serializers.CharField(max_length=200, required=False, help_text="用途")
    source_id = id_field("资金来源编号（null 为不指定）", required=False, allow_null=True)
    voucher = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="凭证号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="摘要")


# --- summary ------------------------------------------------------------------------------------------------------

SUMMARY_GROUPS = [g for g in GROUPS if g != "unit_category"]
GROUP_HELP = (
    "unit：每个下级组织（含其下级）及本级；organization：每个有记录的组织；category：经费类别；source：资金来源"
)


class SummaryQuerySerializer(serializers.Serializer):
    organization = id_field("组织编号（默认为账号的最高一级组织）", required=False)
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False, help_text="年度（默认今年）")
    by = serializers.ChoiceField(
        choices=[(g, g) for g in SUMMARY_GROUPS],
        required=False,
        default="unit",
        help_text=GROUP_HELP,
        error_messages={"invalid_choice": f"“{{input}}”无效，汇总方式应为：{'、'.join(SUMMARY_GROUPS)}。"},
    )


class FiguresSerializer(serializers.Serializer):
    allocated = money("下达（元）")
    disbursed = money("到位（元）")
    spent = money("支出（元）")
    owed = money("尚欠（元）：下达 − 到位，不小于 0")
    arrival_rate = rate("到位率（%）= 到位 ÷ 下达；下达为 0 时为 null")
    use_rate = rate("使用率（%）= 支出 ÷ 到位；到位为 0 时为 null")


class SummaryGroupSerializer(FiguresSerializer):
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="组织、经费类别或资金来源编号")
    code = serializers.CharField(read_only=True, help_text="组织代码（按组织汇总时）")
    name = serializers.CharField(read_only=True, help_text="名称")
    own = serializers.BooleanField(read_only=True, help_text="本级（按下级组织汇总时，根组织自身的记录）")


class SummarySerializer(serializers.Serializer):
    organization = OrganizationBriefSerializer(read_only=True)
    year = serializers.IntegerField(read_only=True)
    by = serializers.CharField(read_only=True, help_text=GROUP_HELP)
    totals = FiguresSerializer(read_only=True)
    groups = SummaryGroupSerializer(many=True, read_only=True)
