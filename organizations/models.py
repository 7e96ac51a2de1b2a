"""The organization tree and the posts held in it."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from core.fields import PathField
from core.scope import RestrictedQuerySet

from .choices import (
    DEFAULT_TERM_YEARS,
    FIVE_YEAR_TERM_DOMAINS,
    FIVE_YEAR_TERM_KINDS,
    LONG_TERM_YEARS,
    Domain,
    OrgKind,
    PostTitle,
)


class OrganizationQuerySet(RestrictedQuerySet, MP_NodeQuerySet):
    pass


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self):
        return OrganizationQuerySet(self.model).order_by("path")


class Organization(MP_Node):
    """A party organization. `path` (materialized path) places it in the tree; `parent` is kept beside it."""

    steplen = 4
    scope_path_field = "path"

    path = PathField(max_length=255, unique=True)  # treebeard's field, with the binary collation on PostgreSQL
    code = models.CharField("组织代码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=100, db_index=True)
    kind = models.CharField("组织类型", max_length=8, choices=OrgKind.choices)
    domain = models.CharField("所属领域", max_length=8, choices=Domain.choices, blank=True)
    assessment_group = models.CharField("考核类别", max_length=50, blank=True, db_index=True)
    has_committee = models.BooleanField("设支部委员会", default=False)
    has_party_groups = models.BooleanField("设党小组", default=False)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    last_election_on = models.DateField("上次换届日期", null=True, blank=True)
    term_years = models.PositiveSmallIntegerField("任期年数", null=True, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级组织", null=True, blank=True, on_delete=models.PROTECT, related_name="child_orgs"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = OrganizationManager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gte=1, term_years__lte=10),
                name="organization_term_years_range",
                violation_error_message="任期年数应在 1 到 10 年之间。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def effective_term_years(self) -> int:
        if self.term_years:
            return self.term_years
        if self.domain in FIVE_YEAR_TERM_DOMAINS or self.kind in FIVE_YEAR_TERM_KINDS:
            return LONG_TERM_YEARS
        return DEFAULT_TERM_YEARS

    @property
    def term_ends_on(self) -> dt.date | None:
        if not self.last_election_on:
            return None
        d = self.last_election_on
        try:
            return d.replace(year=d.year + self.effective_term_years)
        except ValueError:  # 29 February
            return d.replace(year=d.year + self.effective_term_years, day=28)

    def term_overdue(self, today: dt.date | None = None) -> bool:
        end = self.term_ends_on
        return bool(end and end < (today or timezone.localdate()))


class PostQuerySet(RestrictedQuerySet):
    def held_on(self, on: dt.date):
        """Posts held on `on` (both ends inclusive)."""
        return self.filter(Q(end_on__isnull=True) | Q(end_on__gte=on), start_on__lte=on)


class Post(models.Model):
    """Who held which post in which organization, from which date to which date (both inclusive)."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="posts")
    person = models.ForeignKey("members.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="posts")
    title = models.CharField("职务", max_length=8, choices=PostTitle.choices)
    start_on = models.DateField("任职日期")
    end_on = models.DateField("离任日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = "职务"
        verbose_name_plural = verbose_name
        ordering = ["organization_id", "title", "-start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person", "title", "start_on"],
                name="post_unique_natural_key",
                violation_error_message="该人员在此组织同一日期已有相同职务。",
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="post_end_not_before_start",
                violation_error_message="离任日期不能早于任职日期。",
            ),
        ]
        indexes = [models.Index(fields=["organization", "title", "start_on"], name="post_org_title_start")]

    def __str__(self):
        return f"{self.organization} {self.title} {self.person}"

    @property
    def is_current(self) -> bool:
        return self.end_on is None or self.end_on >= timezone.localdate()
