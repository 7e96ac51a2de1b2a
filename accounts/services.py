"""Writes to accounts and role grants."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_log, snapshot
from core.exceptions import NotInScope
from core.scope import ALL, Action, in_scope, scope_paths
from organizations.models import Organization

from .choices import GRANTABLE_ROLES, Role
from .models import RoleGrant, User

USER_AUDIT_FIELDS = ("username", "full_name", "phone", "is_active", "home_organization")


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _may_grant(actor, organization: Organization, role: str) -> bool:
    """An account manager may grant at nodes inside their MANAGE_ACCOUNTS scope, and only roles they may hand out."""
    if scope_paths(actor, Action.MANAGE_ACCOUNTS) is ALL:
        return True
    for grant in actor.grants.select_related("organization"):
        if organization.path.startswith(grant.organization.path) and role in GRANTABLE_ROLES.get(grant.role, ()):
            return True
    return False


@transaction.atomic
def account_create(
    *, actor, username: str, password: str, organization: Organization, role: str, full_name: str = "", phone: str = ""
) -> User:
    """Create a login holding `role` at `organization` (the role flows down its subtree)."""
    if not in_scope(actor, Action.MANAGE_ACCOUNTS, organization.path):
        raise NotInScope()
    if role not in Role.values:
        raise ValidationError({"role": f"未知角色“{role}”，可选：{'、'.join(Role.values)}"})
    if not _may_grant(actor, organization, role):
        raise ValidationError({"role": "您无权授予该角色。"})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"账号“{username}”已存在。"})
    # A person chose this password for someone else: its owner changes it at the first login (not so for the system's
    # own accounts, the demo's, made with no actor).
    user = User(
        username=username, full_name=full_name, phone=phone, home_organization=organization,
        must_change_password=actor is not None,
    )  # fmt: skip
    _check_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_log(actor=actor, action="create", obj=user, org_path=user.home_path, after=snapshot(user, USER_AUDIT_FIELDS))
    grant_add(actor=actor, user=user, organization=organization, role=role)
    return user


@transaction.atomic
def account_update(*, actor, user: User, **fields) -> User:
    """Change an account's name, phone or active flag."""
    if not in_scope(actor, Action.MANAGE_ACCOUNTS, user.home_path):
        raise NotInScope()
    if user.pk == getattr(actor, "pk", None) and fields.get("is_active") is False:
        raise ValidationError({"is_active": "不能停用自己的账号。"})
    before = snapshot(user, USER_AUDIT_FIELDS)
    for name in ("full_name", "phone", "is_active"):
        if name in fields:
            setattr(user, name, fields[name])
    user.full_clean(exclude=["password"])
    user.save()
    audit_log(
        actor=actor,
        action="update",
        obj=user,
        org_path=user.home_path,
        before=before,
        after=snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


@transaction.atomic
def account_set_password(*, actor, user: User, password: str) -> None:
    if not in_scope(actor, Action.MANAGE_ACCOUNTS, user.home_path):
        raise NotInScope()
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = user.pk != getattr(actor, "pk", None)
    user.save(update_fields=["password", "must_change_password"])
    audit_log(actor=actor, action="set_password", obj=user, org_path=user.home_path)


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """The account's owner changes their own password (the old one checked, the rules applied, not the same)."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "原密码不正确。"})
    if old_password == new_password:
        raise ValidationError({"new_password1": "新密码不能与原密码相同。"})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_log(actor=user, action="change_password", obj=user, org_path=user.home_path)


@transaction.atomic
def grant_add(*, actor, user: User, organization: Organization, role: str) -> RoleGrant:
    if not in_scope(actor, Action.MANAGE_ACCOUNTS, organization.path):
        raise NotInScope()
    if not _may_grant(actor, organization, role):
        raise ValidationError({"role": "您无权授予该角色。"})
    grant, created = RoleGrant.objects.get_or_create(user=user, organization=organization, role=role)
    if created:
        audit_log(
            actor=actor,
            action="grant",
            obj=user,
            org_path=organization.path,
            after={"role": role, "organization": organization.code},
        )
    return grant


@transaction.atomic
def grant_remove(*, actor, grant: RoleGrant) -> None:
    if not in_scope(actor, Action.MANAGE_ACCOUNTS, grant.organization.path):
        raise NotInScope()
    audit_log(
        actor=actor,
        action="revoke",
        obj=grant.user,
        org_path=grant.organization.path,
        before={"role": grant.role, "organization": grant.organization.code},
    )
    grant.delete()
