"""Funding (经费保障): per organization and year, allocations (下达), the disbursements that bring them (拨付, each
against one allocation) and the spending (支出); county standards; aid to members in difficulty (党内关爱帮扶).

Amounts are Decimal yuan stored as whole fen (core.money.MoneyField). The rules (a disbursement within what its
allocation still lacks, spending within what its category received) are enforced by the services under row locks.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.attachments import StoredFile
from core.money import MoneyField
from core.scope import CountyWideQuerySet, RestrictedQuerySet
from organizations.choices import Domain, OrgKind

from .choices import StandardBasis

USER = settings.AUTH_USER_MODEL


class FundCategory(models.Model):
    """经费类别, data the county edits. `disburse_within_days`: how long after an allocation its money must have
    arrived (the allocation's default deadline)."""

    name = models.CharField("经费类别", max_length=50, unique=True)
    disburse_within_days = models.PositiveSmallIntegerField("拨付时限（天）", default=30)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "经费类别"
        verbose_name_plural = verbose_name
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class FundSource(models.Model):
    """资金来源, data the county edits (中央/省/市/县财政, 乡镇, 党费, …)."""

    name = models.CharField("资金来源", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "资金来源"
        verbose_name_plural = verbose_name
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class LedgerRecord(models.Model):
    """What the three kinds of record share: the organization and year of the ledger, category, amount, date,
    摘要, who recorded it and when. Each kind has a covering index (year, organization, category, source, amount):
    a summary's grouped sums read the index alone, never the table (measured: a county's summary 147 → 81 ms on
    PostgreSQL at province scale, bench/funding.py)."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    category = models.ForeignKey(FundCategory, verbose_name="经费类别", on_delete=models.PROTECT, related_name="+")
    amount = MoneyField("金额（元）")
    note = models.CharField("摘要", max_length=200, blank=True)
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True


class Allocation(LedgerRecord):
    """下达: money planned for an organization in a year, from a source, to arrive by `deadline`."""

    source = models.ForeignKey(FundSource, verbose_name="资金来源", on_delete=models.PROTECT, related_name="+")
    allocated_on = models.DateField("下达日期")
    deadline = models.DateField("拨付时限")
    document_no = models.CharField("文号", max_length=100, blank=True)

    class Meta:
        verbose_name = "经费下达"
        verbose_name_plural = verbose_name
        ordering = ["allocated_on", "id"]
        indexes = [
            models.Index(fields=["organization", "year", "category"], name="alloc_org_year_cat"),
            models.Index(fields=["year", "organization", "category", "source", "amount"], name="alloc_year_org_cover"),
            models.Index(fields=["deadline"], name="alloc_deadline"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="alloc_amount_positive"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("allocated_on")), name="alloc_deadline_after"),
        ]

    def __str__(self):
        return f"{self.year}年 {self.category} {self.amount} 元（{self.source}）"


class Disbursement(LedgerRecord):
    """拨付: money that arrived against one allocation (its organization, year, category and source)."""

    allocation = models.ForeignKey(
        Allocation, verbose_name="对应下达", on_delete=models.PROTECT, related_name="disbursements"
    )
    source = models.ForeignKey(FundSource, verbose_name="资金来源", on_delete=models.PROTECT, related_name="+")
    paid_on = models.DateField("拨付日期")
    voucher = models.CharField("凭证号", max_length=60, blank=True)

    class Meta:
        verbose_name = "经费拨付"
        verbose_name_plural = verbose_name
        ordering = ["paid_on", "id"]
        indexes = [
            models.Index(fields=["organization", "year", "category"], name="disb_org_year_cat"),
            models.Index(fields=["year", "organization", "category", "source", "amount"], name="disb_year_org_cover"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disb_amount_positive")]

    def __str__(self):
        return f"{self.paid_on} 拨付 {self.amount} 元"


class Expenditure(LedgerRecord):
    """支出: money spent from a category's funds (专款专用). The source is optional: spending draws on the
    category's pot."""

    source = models.ForeignKey(
        FundSource, verbose_name="资金来源", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    spent_on = models.DateField("支出日期")
    purpose = models.CharField("用途", max_length=200)
    voucher = models.CharField("凭证号", max_length=60, blank=True)

    class Meta:
        verbose_name = "经费支出"
        verbose_name_plural = verbose_name
        ordering = ["spent_on", "id"]
        indexes = [
            models.Index(fields=["organization", "year", "category"], name="exp_org_year_cat"),
            models.Index(fields=["year", "organization", "category", "source", "amount"], name="exp_year_org_cover"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="exp_amount_positive")]

    def __str__(self):
        return f"{self.spent_on} 支出 {self.amount} 元：{self.purpose}"


class ExpenditureAttachment(StoredFile):
    scope_path_field = "expenditure__organization__path"
    storage_folder = "funding"

    expenditure = models.ForeignKey(Expenditure, verbose_name="支出", on_delete=models.CASCADE, related_name="files")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "支出凭证"
        verbose_name_plural = verbose_name
        ordering = ["id"]


class RuralIncome(models.Model):
    """The year's rural per-capita disposable income (农村居民人均可支配收入) the secretary-pay standard multiplies."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    amount = MoneyField("农村居民人均可支配收入（元）")
    note = models.CharField("依据", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "农村居民人均可支配收入"
        verbose_name_plural = verbose_name
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年 {self.amount} 元"


class FundStandard(models.Model):
    """A county standard: organizations matching (domain, kind, 考核类别, member count band) must receive at least the
    minimum of `category` in each year from `year_from` to `year_to` (open = still in force). What they received is
    what was disbursed (到位) in the category that year."""

    name = models.CharField("标准名称", max_length=100)
    category = models.ForeignKey(FundCategory, verbose_name="经费类别", on_delete=models.PROTECT, related_name="+")
    domain = models.CharField("所属领域", max_length=8, choices=Domain.choices, blank=True, help_text="空 = 不限")
    kind = models.CharField("组织类型", max_length=8, choices=OrgKind.choices, blank=True, help_text="空 = 不限")
    # The 考核类别 of the organizations it covers (e.g. 村（社区）党组织: a village's own organization, not the branches
    # under a village 党总支, which share its domain and kind).
    assessment_group = models.CharField("考核类别", max_length=50, blank=True, help_text="空 = 不限")
    members_min = models.PositiveIntegerField("党员人数不少于", null=True, blank=True)
    members_max = models.PositiveIntegerField("党员人数不多于", null=True, blank=True)
    basis = models.CharField("标准依据", max_length=20, choices=StandardBasis.choices, default=StandardBasis.FIXED)
    amount = MoneyField("最低金额（元）", null=True, blank=True)
    multiple = models.DecimalField("收入倍数", max_digits=5, decimal_places=2, null=True, blank=True)
    year_from = models.PositiveSmallIntegerField("起始年度")
    year_to = models.PositiveSmallIntegerField("截止年度", null=True, blank=True, help_text="空 = 长期有效")
    active = models.BooleanField("启用", default=True)
    note = models.CharField("文件依据", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "经费保障标准"
        verbose_name_plural = verbose_name
        ordering = ["category__order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(basis=StandardBasis.FIXED, amount__gt=0, multiple__isnull=True))
                | (Q(basis=StandardBasis.INCOME_MULTIPLE, multiple__gt=0, amount__isnull=True)),
                name="standard_basis_value",
            ),
            models.CheckConstraint(
                condition=Q(year_to__isnull=True) | Q(year_to__gte=models.F("year_from")), name="standard_years"
            ),
        ]

    def __str__(self):
        return self.name

    def applies_in(self, year: int) -> bool:
        return self.active and self.year_from <= year and (self.year_to is None or year <= self.year_to)


class Aid(models.Model):
    """党内关爱帮扶: aid given to a member in difficulty, recorded at the member's branch on the day."""

    scope_path_field = "branch__path"

    member = models.ForeignKey("members.Member", verbose_name="帮扶对象", on_delete=models.PROTECT, related_name="aid")
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name="所在支部", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = MoneyField("金额（元）")
    given_on = models.DateField("发放日期")
    reason = models.CharField("帮扶事由", max_length=200)
    source = models.ForeignKey(FundSource, verbose_name="资金来源", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "党内关爱帮扶"
        verbose_name_plural = verbose_name
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["year", "branch"], name="aid_year_branch")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="aid_amount_positive")]

    def __str__(self):
        return f"{self.given_on} {self.amount} 元：{self.reason}"


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)
