"""People and, from the members capability on, their party member files."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core import crypto
from core.scope import CountyWideQuerySet, RestrictedQuerySet

from .choices import DevelopmentStage, Education, FlowDirection, LostContactStatus, MemberCategory, MemberStatus


class Person(models.Model):
    """A person known by citizen ID number. The number is stored encrypted; lookups go through a keyed digest."""

    name = models.CharField("姓名", max_length=50)
    id_number_digest = models.CharField("身份证号摘要", max_length=64)
    id_number_encrypted = models.TextField("身份证号（加密）")
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18)
    gender = models.CharField("性别", max_length=1, choices=[("男", "男"), ("女", "女")])
    birth_date = models.DateField("出生日期")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = verbose_name
        # Indexes declared here rather than with db_index/unique on the fields: on PostgreSQL those add a second,
        # varchar_pattern_ops index per column for LIKE 'x%', which nothing here asks for (digests and masks are
        # matched exactly), and every extra index slows a 100k-row import.
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_digest"],
                name="person_unique_id_number",
                violation_error_message="该身份证号已登记。",
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="person_name"),
            models.Index(fields=["id_number_masked"], name="person_id_number_masked"),
        ]

    def __str__(self):
        return self.name

    @property
    def id_number(self) -> str:
        """The full number. Callers showing it to a user must audit the view (see members.services)."""
        return crypto.decrypt(self.id_number_encrypted)


class MemberQuerySet(RestrictedQuerySet):
    pass


class Member(models.Model):
    """A party member's file (党员电子档案). Personal numbers are encrypted; the person holds the ID number."""

    scope_path_field = "branch__path"

    person = models.OneToOneField(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="member")
    # No index of its own: member_branch_id (branch, id) serves every lookup by branch.
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name="所在支部",
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
    )
    category = models.CharField("人员类别", max_length=8, choices=MemberCategory.choices)
    status = models.CharField("党籍状态", max_length=8, choices=MemberStatus.choices, default=MemberStatus.NORMAL)
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    education = models.CharField("学历", max_length=8, choices=Education.choices, blank=True)
    joined_on = models.DateField("入党日期")
    full_member_on = models.DateField("转正日期", null=True, blank=True)
    occupation = models.CharField("职业", max_length=50, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    phone_encrypted = models.TextField("手机号码（加密）", blank=True)
    phone_digest = models.CharField("手机号码摘要", max_length=64, blank=True)
    phone_masked = models.CharField("手机号码（脱敏）", max_length=20, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True) | Q(full_member_on__gte=F("joined_on")),
                name="member_full_not_before_joined",
                violation_error_message="转正日期不能早于入党日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "id"], name="member_branch_id"),
            models.Index(fields=["phone_digest"], name="member_phone_digest"),  # no LIKE twin (see Person.Meta)
        ]

    def __str__(self):
        return self.person.name

    @property
    def phone(self) -> str:
        """The full number. Callers showing it to a user must audit the view."""
        return crypto.decrypt(self.phone_encrypted) if self.phone_encrypted else ""


class Membership(models.Model):
    """Which branch a member belonged to from when to when (both inclusive): transfers keep both ends."""

    scope_path_field = "branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="memberships")
    # No index of its own: membership_branch_start (branch, start_on) serves every lookup by branch.
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name="支部",
        on_delete=models.PROTECT,
        related_name="memberships",
        db_index=False,
    )
    start_on = models.DateField("起始日期")
    end_on = models.DateField("截止日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "组织关系"
        verbose_name_plural = verbose_name
        ordering = ["member_id", "start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="membership_end_not_before_start",
                violation_error_message="截止日期不能早于起始日期。",
            ),
        ]
        indexes = [models.Index(fields=["branch", "start_on"], name="membership_branch_start")]

    def __str__(self):
        return f"{self.member} @ {self.branch}"


class StatusChange(models.Model):
    """A change of 党籍状态 with its date (流出 with destination, 失联 with the date contact was lost, …)."""

    scope_path_field = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField("党籍状态", max_length=8, choices=MemberStatus.choices)
    changed_on = models.DateField("日期")
    place = models.CharField("去向/来源", max_length=200, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "党籍状态变更"
        verbose_name_plural = verbose_name
        ordering = ["member_id", "changed_on", "id"]

    def __str__(self):
        return f"{self.member} {self.status} {self.changed_on}"


class Candidate(models.Model):
    """A person on the way to membership (发展党员), with the date of each step."""

    scope_path_field = "branch__path"

    person = models.OneToOneField(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="candidate")
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name="培养支部", on_delete=models.PROTECT, related_name="candidates"
    )
    stage = models.CharField("当前阶段", max_length=8, choices=DevelopmentStage.choices)
    applied_on = models.DateField("递交申请日期")
    talked_on = models.DateField("谈话日期", null=True, blank=True)
    activist_on = models.DateField("确定积极分子日期", null=True, blank=True)
    target_on = models.DateField("列为发展对象日期", null=True, blank=True)
    training_hours = models.DecimalField("集中培训学时", max_digits=5, decimal_places=1, null=True, blank=True)
    admitted_on = models.DateField("接收预备党员日期", null=True, blank=True)
    approved_on = models.DateField("上级审批日期", null=True, blank=True)
    full_on = models.DateField("转正日期", null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", default=0)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "发展对象"
        verbose_name_plural = "发展党员"
        constraints = [
            models.CheckConstraint(
                condition=Q(extension_months=0) | Q(extension_months__gte=6, extension_months__lte=12),
                name="candidate_extension_range",
                violation_error_message="预备期只能延长一次，时间为半年至一年。",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.stage}"


class ThoughtReport(models.Model):
    """A 思想汇报, kept as text so the nightly duplicate check can read it."""

    scope_path_field = "branch__path"

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="thought_reports")
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name="支部", on_delete=models.PROTECT, related_name="thought_reports"
    )
    submitted_on = models.DateField("提交日期")
    title = models.CharField("标题", max_length=200, blank=True)
    text = models.TextField("内容")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "思想汇报"
        verbose_name_plural = verbose_name
        ordering = ["person_id", "submitted_on"]
        indexes = [models.Index(fields=["branch", "submitted_on"], name="thoughtreport_branch_date")]

    def __str__(self):
        return f"{self.person} {self.submitted_on}"


class TrainingRecord(models.Model):
    """培训台账: one course a member attended, with its certificate's dates."""

    scope_path_field = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField("培训班次/课程", max_length=200)
    organizer = models.CharField("主办单位", max_length=100, blank=True)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    certificate_start_on = models.DateField("证书所载开始日期", null=True, blank=True)
    certificate_end_on = models.DateField("证书所载结束日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "培训记录"
        verbose_name_plural = verbose_name
        ordering = ["member_id", "start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=F("start_on")),
                name="training_end_not_before_start",
                violation_error_message="结束日期不能早于开始日期。",
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0), name="training_hours_positive", violation_error_message="学时应大于 0。"
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.course}"

    @property
    def certificate_mismatch(self) -> bool:
        """The certificate's dates differ from the training's (a formalism signal the nightly check reports)."""
        return bool(
            (self.certificate_start_on and self.certificate_start_on != self.start_on)
            or (self.certificate_end_on and self.certificate_end_on != self.end_on)
        )


class PointItem(models.Model):
    """A points item the county defines (积分管理): e.g. 参加主题党日 +2, 无故缺席组织生活 −5."""

    name = models.CharField("积分项目", max_length=100, unique=True)
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    is_active = models.BooleanField("启用", default=True)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "积分项目"
        verbose_name_plural = verbose_name
        ordering = ["-points", "name"]

    def __str__(self):
        return self.name


class PointRecord(models.Model):
    """Points a member earned or lost in a year for one item."""

    scope_path_field = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="point_records")
    year = models.PositiveSmallIntegerField("年度")
    item = models.ForeignKey(PointItem, verbose_name="积分项目", on_delete=models.PROTECT)
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    recorded_on = models.DateField("记录日期")
    note = models.CharField("说明", max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["member", "year"], name="pointrecord_member_year")]

    def __str__(self):
        return f"{self.member} {self.year} {self.item} {self.points}"


class StarRule(models.Model):
    """评星定级 thresholds the county sets: a yearly total of at least `min_points` earns `stars` (0 = 不合格)."""

    min_points = models.DecimalField("最低分", max_digits=5, decimal_places=1, unique=True)
    stars = models.PositiveSmallIntegerField("星级", unique=True)
    label = models.CharField("等级名称", max_length=20)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "星级标准"
        verbose_name_plural = verbose_name
        ordering = ["min_points"]

    def __str__(self):
        return f"≥{self.min_points} {self.label}"


class FlowRecord(models.Model):
    """流动党员: a member flowing out to (or in from) another place for a period."""

    scope_path_field = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="flows")
    direction = models.CharField("方向", max_length=4, choices=FlowDirection.choices)
    place = models.CharField("流向/来源地", max_length=200)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)
    contact = models.CharField("联系方式", max_length=100, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "流动记录"
        verbose_name_plural = verbose_name
        ordering = ["member_id", "start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="flowrecord_end_not_before_start",
                violation_error_message="结束日期不能早于开始日期。",
            ),
            # A member is in one place at a time: at most one flow without an end.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(end_on__isnull=True),
                name="flowrecord_one_open_flow",
                violation_error_message="该党员已有未结束的流动记录。",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.direction} {self.place}"


class LostContactCase(models.Model):
    """失联党员: a candidate found by the monthly job, confirmed or dismissed by the secretary, tracked to the end."""

    scope_path_field = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="lost_contact_cases")
    status = models.CharField(
        "处理状态", max_length=8, choices=LostContactStatus.choices, default=LostContactStatus.CANDIDATE
    )
    last_contact_on = models.DateField("最后联系/参加组织生活日期", null=True, blank=True)
    found_on = models.DateField("发现日期")
    decided_on = models.DateField("确认/排除日期", null=True, blank=True)
    resolved_on = models.DateField("恢复联系/处置日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "失联党员排查"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["待确认", "已确认失联"]),
                name="lostcontact_one_open_case",
                violation_error_message="该党员已有未结的失联排查。",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.status}"
