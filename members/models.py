"""People and, from the members capability on, their party member files."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core import crypto
from core.scope import RestrictedQuerySet

from .choices import Education, MemberCategory, MemberStatus


class Person(models.Model):
    """A person known by citizen ID number. The number is stored encrypted; lookups go through a keyed digest."""

    name = models.CharField("姓名", max_length=50, db_index=True)
    id_number_digest = models.CharField("身份证号摘要", max_length=64, unique=True)
    id_number_encrypted = models.TextField("身份证号（加密）")
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=[("男", "男"), ("女", "女")])
    birth_date = models.DateField("出生日期")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = verbose_name

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
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name="所在支部", on_delete=models.PROTECT, related_name="members"
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
    phone_digest = models.CharField("手机号码摘要", max_length=64, blank=True, db_index=True)
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
        indexes = [models.Index(fields=["branch", "id"], name="member_branch_id")]

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
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name="支部", on_delete=models.PROTECT, related_name="memberships"
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
