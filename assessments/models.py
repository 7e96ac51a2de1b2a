"""The annual assessment: schemes per county, year and group; each organization's result; the penalties of the three
rules. Points are CentiFields (whole hundredths in the database), so totals and rankings are exact integers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.attachments import StoredFile
from core.fields import CentiField
from core.scope import RestrictedQuerySet

from .choices import (
    DEFAULT_FAIR_MIN,
    DEFAULT_GOOD_MIN,
    DEFAULT_PASS_MIN,
    Grade,
    IndicatorMethod,
    Rule,
    SchemeStatus,
    Side,
)


class RuleSettings(models.Model):
    """The county's parameters of the three rules (三个一律), shown on the penalties page. A county without a row uses
    the defaults of seed 000: every rule on, two years for rule 2, three for rule 3, bottom three, groups of more
    than six."""

    scope_path_field = "county__path"

    county = models.OneToOneField(
        "organizations.Organization", verbose_name="县", on_delete=models.PROTECT, related_name="assessment_rules"
    )
    failed_on = models.BooleanField("启用“不合格一律不得提拔重用”", default=True)
    not_moved_up_on = models.BooleanField("启用“连续未晋位升级一律不得评先评优”", default=True)
    bottom_on = models.BooleanField("启用“连续后三名一律调整岗位或降职”", default=True)
    not_moved_up_years = models.PositiveSmallIntegerField("未晋位升级连续年数", default=2)
    bottom_years = models.PositiveSmallIntegerField("后三名连续年数", default=3)
    bottom_n = models.PositiveSmallIntegerField("后几名", default=3)
    min_group_size = models.PositiveSmallIntegerField(
        "后三名规则适用的最小类别规模", default=6, help_text="考核类别中的组织数不超过此数时不评后三名"
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "三个一律参数"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    not_moved_up_years__gte=1, not_moved_up_years__lte=5, bottom_years__gte=1, bottom_years__lte=5
                ),
                name="rulesettings_years_range",
                violation_error_message="连续年数应在 1 到 5 年之间。",
            ),
            models.CheckConstraint(
                condition=Q(bottom_n__gte=1, bottom_n__lte=20),
                name="rulesettings_bottom_n_range",
                violation_error_message="后几名应在 1 到 20 之间。",
            ),
        ]

    def __str__(self):
        return f"{self.county} 三个一律参数"


class SchemeQuerySet(RestrictedQuerySet):
    pass


class Scheme(models.Model):
    """考核方案: one county's assessment of one group (考核类别) in one year, and the state of its results."""

    scope_path_field = "county__path"

    county = models.ForeignKey(
        "organizations.Organization", verbose_name="县", on_delete=models.PROTECT, related_name="assessment_schemes"
    )
    year = models.PositiveSmallIntegerField("年度")
    group = models.CharField("考核类别", max_length=50)
    name = models.CharField("方案名称", max_length=100, blank=True)
    status = models.CharField("状态", max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    good_min = CentiField("“好”最低分", default=DEFAULT_GOOD_MIN)
    fair_min = CentiField("“较好”最低分", default=DEFAULT_FAIR_MIN)
    pass_min = CentiField("“一般”最低分", default=DEFAULT_PASS_MIN)
    good_cap = models.PositiveSmallIntegerField(
        "“好”等次比例上限（%）", null=True, blank=True, help_text="空 = 不限；如 30 表示至多 30% 的组织评为“好”"
    )
    appraisal_weight = models.PositiveSmallIntegerField(
        "述职评议权重（%）", default=0, help_text="总分 = 指标得分 ×（100 − 权重）% + 述职评议得分 × 权重%"
    )
    upper_weight = models.PositiveSmallIntegerField("上级评议占比（%）", default=50)
    lower_weight = models.PositiveSmallIntegerField("下级评议占比（%）", default=50)
    vote_good = CentiField("“好”票分值", default=100)
    vote_fair = CentiField("“较好”票分值", default=80)
    vote_average = CentiField("“一般”票分值", default=60)
    vote_poor = CentiField("“差”票分值", default=0)
    is_default = models.BooleanField("默认方案", default=False, help_text="导入考核得分时自动建立：直接导入总分")
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopen_reason = models.TextField("撤回发布原因", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = SchemeQuerySet.as_manager()

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = verbose_name
        ordering = ["-year", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "group"],
                name="scheme_unique_county_year_group",
                violation_error_message="该年度该考核类别已有考核方案。",
            ),
            models.CheckConstraint(
                condition=Q(appraisal_weight__lte=100, upper_weight__lte=100, lower_weight__lte=100)
                & (Q(good_cap__isnull=True) | Q(good_cap__gte=1, good_cap__lte=100)),
                name="scheme_percent_ranges",
                violation_error_message="比例应在 0 到 100 之间。",
            ),
        ]

    def __str__(self):
        return self.name or f"{self.year}年度{self.group}考核"

    @property
    def is_published(self) -> bool:
        return self.status == SchemeStatus.PUBLISHED


class Indicator(models.Model):
    """考核指标: scored by hand (扣分说明 and evidence) or computed by a source (assessments.sources)."""

    scheme = models.ForeignKey(Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("指标名称", max_length=100)
    max_points = CentiField("分值")
    method = models.CharField(
        "评分方式", max_length=16, choices=IndicatorMethod.choices, default=IndicatorMethod.MANUAL
    )
    source = models.CharField("计算来源", max_length=32, blank=True)
    params = models.JSONField("计算参数", default=dict, blank=True)
    description = models.TextField("评分标准", blank=True)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = verbose_name
        ordering = ["scheme_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"], name="indicator_unique_name", violation_error_message="方案中已有同名指标。"
            )
        ]

    def __str__(self):
        return self.name


class VetoItem(models.Model):
    """一票否决事项: an organization found to have one is graded 差 whatever its score."""

    scheme = models.ForeignKey(Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="veto_items")
    order = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("否决事项", max_length=200)

    class Meta:
        verbose_name = "一票否决事项"
        verbose_name_plural = verbose_name
        ordering = ["scheme_id", "order", "id"]

    def __str__(self):
        return self.name


class ResultQuerySet(RestrictedQuerySet):
    pass


class Result(models.Model):
    """One organization in one year's scheme: its scores (entered, imported or computed) and what the computation
    derived from them — rank, grade, bottom three, moved up, responsible secretary. `year` repeats the scheme's so that
    the database refuses an organization assessed in two groups in one year."""

    scope_path_field = "organization__path"

    # No single-column indexes on scheme, organization and secretary: result_scheme_org, result_unique_org_year and
    # result_secretary_year lead with them, and every index is one more entry to write for each of the ~100,000
    # rows a province's computation updates.
    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.PROTECT, related_name="results", db_index=False
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="组织",
        on_delete=models.PROTECT,
        related_name="assessment_results",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年度")
    # Inputs
    imported_total = CentiField("导入总分", null=True, blank=True)
    indicator_total = CentiField("指标得分", null=True, blank=True)
    appraisal_score = CentiField("述职评议得分", null=True, blank=True)
    total = CentiField("总分", null=True, blank=True)
    vetoed = models.BooleanField("一票否决", default=False)
    veto_item = models.ForeignKey(
        VetoItem, verbose_name="否决事项", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    veto_reason = models.TextField("否决说明", blank=True)
    grade_override = models.PositiveSmallIntegerField("调整后等次", choices=Grade.choices, null=True, blank=True)
    override_reason = models.TextField("调整等次原因", blank=True)
    # Derived by the computation (assessments.compute)
    rank = models.PositiveIntegerField("排名", null=True, blank=True)
    rank_asc = models.PositiveIntegerField("倒数名次", null=True, blank=True)
    group_size = models.PositiveIntegerField("类别组织数", null=True, blank=True)
    rule_grade = models.PositiveSmallIntegerField("按分数线等次", choices=Grade.choices, null=True, blank=True)
    capped = models.BooleanField("因“好”比例上限调整", default=False)
    grade = models.PositiveSmallIntegerField("等次", choices=Grade.choices, null=True, blank=True)
    bottom = models.BooleanField("后三名", default=False)
    moved_up = models.BooleanField("晋位升级", null=True, blank=True)
    prev_rank = models.PositiveIntegerField("上年排名", null=True, blank=True)
    prev_grade = models.PositiveSmallIntegerField("上年等次", choices=Grade.choices, null=True, blank=True)
    secretary = models.ForeignKey(
        "members.Person",
        verbose_name="责任书记",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment_results",
        db_index=False,
    )
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = ResultQuerySet.as_manager()

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = verbose_name
        ordering = ["scheme_id", "rank", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="result_unique_org_year",
                violation_error_message="该组织本年度已在一个考核类别中考核，同一年度不能在两个类别中考核。",
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "organization"], name="result_scheme_org"),
            models.Index(fields=["secretary", "year"], name="result_secretary_year"),
        ]

    def __str__(self):
        return f"{self.year}年度 {self.organization}"


class IndicatorScore(models.Model):
    """One indicator's points for one result, with the deduction reasons (扣分说明) or, for a computed indicator,
    the figures it was computed from (`basis`)."""

    result = models.ForeignKey(Result, verbose_name="考核结果", on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="scores")
    score = CentiField("得分")
    note = models.TextField("扣分说明", blank=True)
    basis = models.CharField("计算依据", max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评分人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "指标得分"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["result", "indicator"],
                name="score_unique_result_indicator",
                violation_error_message="该指标已评分。",
            )
        ]

    def __str__(self):
        return f"{self.result} {self.indicator} {self.score}"


class ScoreEvidence(StoredFile):
    """A file behind a score (检查记录, 照片, 扣分依据)."""

    storage_folder = "assessments"

    score = models.ForeignKey(
        IndicatorScore, verbose_name="指标得分", on_delete=models.CASCADE, related_name="evidence"
    )

    class Meta:
        verbose_name = "评分佐证材料"
        verbose_name_plural = verbose_name


class AppraisalTally(models.Model):
    """述职评议: the votes of one side (上级 or 下级) for one result's secretary."""

    result = models.ForeignKey(Result, verbose_name="考核结果", on_delete=models.CASCADE, related_name="appraisals")
    side = models.CharField("评议方", max_length=8, choices=Side.choices)
    good = models.PositiveIntegerField("好", default=0)
    fair = models.PositiveIntegerField("较好", default=0)
    average = models.PositiveIntegerField("一般", default=0)
    poor = models.PositiveIntegerField("差", default=0)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "述职评议票数"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["result", "side"],
                name="appraisal_unique_side",
                violation_error_message="该评议方的票数已登记。",
            )
        ]

    def __str__(self):
        return f"{self.result} {self.get_side_display()}"

    @property
    def votes(self) -> int:
        return self.good + self.fair + self.average + self.poor


class PenaltyQuerySet(RestrictedQuerySet):
    pass


class Penalty(models.Model):
    """A consequence of the three rules for one person, from assessment year `year` (it applies in year + 1), with the
    evidence that triggered it: each year's organization, group, rank, grade and score."""

    scope_path_field = "organization__path"

    # No single-column indexes on county and person: penalty_county_year and penalty_unique_person_year_rule lead
    # with them, and a province's year inserts ~14,000 penalties at once (assessments.penalties).
    county = models.ForeignKey(
        "organizations.Organization",
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="assessment_penalties",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("考核年度")
    person = models.ForeignKey(
        "members.Person",
        verbose_name="责任书记",
        on_delete=models.PROTECT,
        related_name="assessment_penalties",
        db_index=False,
    )
    rule = models.PositiveSmallIntegerField("规则", choices=Rule.choices)
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    years = models.PositiveSmallIntegerField("连续年数", default=1)
    evidence = models.JSONField("依据", default=list)
    computed_at = models.DateTimeField("计算时间", default=timezone.now)

    objects = PenaltyQuerySet.as_manager()

    class Meta:
        verbose_name = "三个一律处理"
        verbose_name_plural = verbose_name
        ordering = ["year", "person__name", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "rule"],
                name="penalty_unique_person_year_rule",
                violation_error_message="重复的处理记录。",
            )
        ]
        indexes = [models.Index(fields=["county", "year"], name="penalty_county_year")]

    def __str__(self):
        return f"{self.year}年度 {self.person} {self.get_rule_display()}"
