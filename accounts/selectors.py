"""Reads of accounts, scoped to the accounts an actor may manage."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.exceptions import NotInScope
from core.scope import Action

from .models import RoleGrant, User


def account_list(*, actor) -> QuerySet[User]:
    return (
        User.objects.restrict(actor, Action.MANAGE_ACCOUNTS)
        .prefetch_related(Prefetch("grants", queryset=RoleGrant.objects.select_related("organization")))
        .select_related("home_organization")
        .order_by("home_organization__path", "username")
    )


def account_get_for(actor, pk) -> User:
    user = account_list(actor=actor).filter(pk=pk).first()
    if user is None:
        raise NotInScope()
    return user


COUNTY_CONFIG_ROLE = "county_admin"


def may_configure_county(actor) -> bool:
    """May `actor` change what belongs to the whole county (points items, star rules, meeting standards)? The system
    (None), a superuser, or an account holding a county_admin grant."""
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return bool(actor.is_superuser or COUNTY_CONFIG_ROLE in actor.roles())
