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
