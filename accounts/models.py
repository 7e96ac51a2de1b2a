"""Accounts and the roles granted to them at nodes of the organization tree."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from core.scope import RestrictedQuerySet, collapse_paths

from .choices import ROLE_ACTIONS, Role


class UserQuerySet(RestrictedQuerySet):
    pass


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A login. What it sees and changes comes only from its role grants."""

    # An account belongs to the subtree of its home organization: its managers are the admins above it.
    # A foreign key (not a copied path) so that moving an organization carries its accounts along.
    scope_path_field = "home_organization__path"

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    home_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="home_accounts",
    )
    # Set when an administrator chose the password (a new account, a reset): it is theirs until its owner changes it.
    must_change_password = models.BooleanField("须修改密码", default=False)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.full_name or self.username

    @property
    def home_path(self) -> str:
        return self.home_organization.path if self.home_organization_id else ""

    def _grants(self):
        cached = getattr(self, "_grant_cache", None)
        if cached is None:
            cached = list(self.grants.select_related("organization"))
            self._grant_cache = cached
        return cached

    def scope_paths(self, action: str) -> list[str]:
        """Subtree roots where this account may do `action` (see core.scope)."""
        return collapse_paths(g.organization.path for g in self._grants() if action in ROLE_ACTIONS[g.role])

    def roles(self) -> set[str]:
        return {g.role for g in self._grants()}

    def role_labels(self) -> str:
        return "、".join(f"{g.organization.name}·{g.get_role_display()}" for g in self._grants())


class RoleGrant(models.Model):
    """A role held at an organization; it flows down that organization's subtree."""

    scope_path_field = "organization__path"

    user = models.ForeignKey(User, verbose_name="账号", on_delete=models.CASCADE, related_name="grants")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="授权组织", on_delete=models.PROTECT, related_name="role_grants"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField("授权时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                name="rolegrant_unique_user_org_role",
                violation_error_message="该账号在此组织已有相同角色。",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class LoginFailure(models.Model):
    """A failed login: an account and an address that failed FAILURE_LIMIT times within COOL_OFF are refused until
    COOL_OFF has passed since the last failure (accounts/security.py)."""

    username = models.CharField("账号", max_length=150)
    ip = models.GenericIPAddressField("地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["username", "ip", "at"], name="login_failure_lookup")]

    def __str__(self):
        return f"{self.username} {self.ip} {self.at:%Y-%m-%d %H:%M}"
