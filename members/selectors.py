"""Reads of people and member files, always through the actor's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from core import crypto
from core.exceptions import NotInScope
from core.idnumber import parse_id_number
from core.scope import Action

from .models import Member, Person


def person_by_id_number(id_number: str) -> Person | None:
    info = parse_id_number(id_number)
    return Person.objects.filter(id_number_digest=crypto.digest(info.number)).first()


def member_list(*, actor, action: str = Action.VIEW) -> QuerySet[Member]:
    return Member.objects.restrict(actor, action).select_related("person", "branch")


def member_get_for(actor, pk, action: str = Action.VIEW) -> Member:
    member = member_list(actor=actor, action=action).filter(pk=pk).first()
    if member is None:
        raise NotInScope()
    return member


def was_member_of(*, member: Member, branch, on: dt.date) -> bool:
    """Was `member` a member of `branch` on date `on`? (Both ends of every membership are inclusive.)"""
    return (
        member.memberships.filter(branch=branch, start_on__lte=on)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=on))
        .exists()
    )


def members_of_branch_on(*, branch, on: dt.date) -> QuerySet[Member]:
    """Everyone who belonged to `branch` on `on` (attendance lists of a meeting held that day pick from these)."""
    return Member.objects.filter(
        Q(memberships__end_on__isnull=True) | Q(memberships__end_on__gte=on),
        memberships__branch=branch,
        memberships__start_on__lte=on,
    ).distinct()
