"""Reads of meetings, always through the actor's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery

from core.exceptions import NotInScope
from core.scope import Action
from members.choices import MemberStatus
from members.models import Member, StatusChange
from members.selectors import members_of_branch_on

from .models import Meeting

# Statuses in which a person takes no part in organizational life on the day they hold.
NOT_ATTENDING_STATUSES = (
    MemberStatus.SUSPENDED,
    MemberStatus.EXPELLED,
    MemberStatus.DECEASED,
    MemberStatus.TRANSFERRED_OUT,
)


def meeting_list(*, actor, action: str = Action.VIEW) -> QuerySet[Meeting]:
    return Meeting.objects.restrict(actor, action).select_related("branch")


def meeting_get_for(actor, pk, action: str = Action.VIEW) -> Meeting:
    meeting = meeting_list(actor=actor, action=action).filter(pk=pk).first()
    if meeting is None:
        raise NotInScope()
    return meeting


def attendees_on(*, branch, on: dt.date) -> list[Member]:
    """The members a meeting of `branch` held on `on` lists: members of the branch that day, minus those whose
    status that day ends their organizational life (停止党籍, 出党, 死亡, 转出). Ordered by name for the form."""
    status_then = Subquery(
        StatusChange.objects.filter(member=OuterRef("pk"), changed_on__lte=on)
        .order_by("-changed_on", "-id")
        .values("status")[:1]
    )
    members = (
        members_of_branch_on(branch=branch, on=on)
        .filter(joined_on__lte=on)
        .annotate(status_then=status_then)
        .select_related("person")
        .order_by("person__name", "id")
    )
    return [m for m in members if m.status_then not in NOT_ATTENDING_STATUSES]
