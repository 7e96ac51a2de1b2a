"""Reads of dispatched cadres (第一书记, 驻村工作队员) and their duty (到岗), always through the actor's scope.

On duty means a check-in within the last N days (setting SUPERVISION_DUTY_CHECKIN_DAYS, default 30): a check-in
exactly N days before today still counts, one N + 1 days before does not. A dispatch is current on the days from its
start to its end (both inclusive), or from its start on while it has no end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from core.exceptions import NotInScope
from core.scope import Action

from ..choices import DispatchRole
from ..models import Dispatch, DutyCheckIn

DEFAULT_DUTY_CHECKIN_DAYS = 30


def duty_checkin_days() -> int:
    """N: how many days back a check-in keeps a cadre 到岗 (read at call time, so a changed setting applies)."""
    return int(getattr(settings, "SUPERVISION_DUTY_CHECKIN_DAYS", DEFAULT_DUTY_CHECKIN_DAYS))


def duty_since(today: dt.date) -> dt.date:
    """The earliest check-in day that still counts on `today`."""
    return today - dt.timedelta(days=duty_checkin_days())


def current_q(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_on__lte": today}) & (
        Q(**{f"{prefix}end_on__isnull": True}) | Q(**{f"{prefix}end_on__gte": today})
    )


def ended_q(today: dt.date) -> Q:
    return Q(end_on__lt=today)


def on_duty_q(today: dt.date) -> Q:
    """Dispatches with a check-in in the duty window (up to today)."""
    recent = DutyCheckIn.objects.filter(dispatch=OuterRef("pk"), on__gte=duty_since(today), on__lte=today)
    return Q(Exists(recent))


def not_on_duty_q(today: dt.date) -> Q:
    return current_q(today) & ~on_duty_q(today)


def dispatch_list(*, actor, today: dt.date | None = None, action: str = Action.VIEW) -> QuerySet[Dispatch]:
    """Dispatches in the actor's scope, each with `last_check_in_on`, `recent_check_ins` (in the duty window) and
    `total_check_ins`."""
    today = today or timezone.localdate()
    since = duty_since(today)
    return (
        Dispatch.objects.restrict(actor, action)
        .select_related("organization")
        .annotate(
            last_check_in_on=Max("check_ins__on"),
            recent_check_ins=Count("check_ins", filter=Q(check_ins__on__gte=since, check_ins__on__lte=today)),
            total_check_ins=Count("check_ins"),
        )
        .order_by("organization__path", "role", "-start_on", "id")
    )


def dispatch_get_for(actor, pk, action: str = Action.VIEW, today: dt.date | None = None) -> Dispatch:
    """The dispatch, or NotInScope (404) when it is missing or outside the actor's scope."""
    dispatch = dispatch_list(actor=actor, action=action, today=today).filter(pk=pk).first()
    if dispatch is None:
        raise NotInScope()
    return dispatch


def not_on_duty(*, actor, today: dt.date) -> QuerySet[Dispatch]:
    """Current dispatches with no check-in in the last N days (those never checked in included), the longest absent
    first (never checked in before all)."""
    return (
        dispatch_list(actor=actor, today=today)
        .filter(not_on_duty_q(today))
        .order_by(F("last_check_in_on").asc(nulls_first=True), "organization__path", "id")
    )


@dataclass(frozen=True)
class DutyStatus:
    """Where one dispatch stands on `today`."""

    current: bool
    on_duty: bool | None  # None when the dispatch is not current (not started yet, or ended)
    last_check_in_on: dt.date | None
    recent_check_ins: int
    days: int  # N

    @property
    def label(self) -> str:
        if not self.current:
            return "—"
        if self.on_duty:
            return "到岗"
        return "从未到岗" if self.last_check_in_on is None else "未到岗"

    def days_since_last(self, today: dt.date) -> int | None:
        return None if self.last_check_in_on is None else (today - self.last_check_in_on).days


def duty_status(dispatch: Dispatch, today: dt.date) -> DutyStatus:
    """The duty status of a dispatch from `dispatch_list` (its annotations; no further query)."""
    days = duty_checkin_days()
    current = dispatch.start_on <= today and (dispatch.end_on is None or dispatch.end_on >= today)
    recent = getattr(dispatch, "recent_check_ins", None)
    last = getattr(dispatch, "last_check_in_on", None)
    if recent is None:  # a bare instance: count it here
        since = today - dt.timedelta(days=days)
        recent = dispatch.check_ins.filter(on__gte=since, on__lte=today).count()
        last = dispatch.check_ins.aggregate(last=Max("on"))["last"]
    return DutyStatus(
        current=current,
        on_duty=(recent > 0) if current else None,
        last_check_in_on=last,
        recent_check_ins=recent,
        days=days,
    )


@dataclass(frozen=True)
class DutyCounts:
    current: int
    first_secretaries: int
    not_on_duty: int
    never: int


def duty_counts(*, actor, today: dt.date) -> DutyCounts:
    """How many dispatches are current, of them first secretaries, not on duty, never checked in."""
    qs = Dispatch.objects.restrict(actor, Action.VIEW).filter(current_q(today))
    never = ~Q(Exists(DutyCheckIn.objects.filter(dispatch=OuterRef("pk"))))
    return DutyCounts(
        **qs.aggregate(
            current=Count("id"),
            first_secretaries=Count("id", filter=Q(role=DispatchRole.FIRST_SECRETARY)),
            not_on_duty=Count("id", filter=~on_duty_q(today)),
            never=Count("id", filter=never),
        )
    )


def check_ins_of(dispatch: Dispatch, *, limit: int | None = None) -> list[DutyCheckIn]:
    qs = dispatch.check_ins.select_related("recorded_by").order_by("-on")
    return list(qs[:limit] if limit else qs)
