"""Reads of weak and lax organizations (软弱涣散), always through the actor's scope; and the township of an
organization, which the weak, dispatch and term lists all show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery

from core.exceptions import NotInScope
from core.scope import Action
from organizations.models import Organization

from ..models import WeakOrganization, WeakRectificationStep

TOWNSHIP_DEPTH = 2  # county (1) → township or working committee (2) → branches


def township_path(path: str) -> str | None:
    """The path of the township (depth 2) an organization lies below; None for the county and for the townships
    and county departments themselves (they lie in no township)."""
    length = TOWNSHIP_DEPTH * Organization.steplen
    return path[:length] if len(path) > length else None


def townships_for(paths: Iterable[str]) -> dict[str, Organization]:
    """{township path: township} for the organizations at `paths`, in one query."""
    wanted = {p for p in (township_path(path) for path in paths) if p}
    if not wanted:
        return {}
    return {o.path: o for o in Organization.objects.filter(path__in=wanted).only("id", "path", "name", "code")}


def township_name(townships: dict[str, Organization], org: Organization) -> str:
    township = townships.get(township_path(org.path) or "")
    return township.name if township is not None else ""


def weak_list(*, actor, action: str = Action.VIEW) -> QuerySet[WeakOrganization]:
    """Designations in the actor's scope with their step count, last step date and last step text."""
    last_step = WeakRectificationStep.objects.filter(weak=OuterRef("pk")).order_by("-done_on", "-id")
    return (
        WeakOrganization.objects.restrict(actor, action)
        .select_related("organization", "created_by")
        .annotate(
            steps_count=Count("steps"),
            last_step_on=Max("steps__done_on"),
            last_step_text=Subquery(last_step.values("description")[:1]),
        )
        .order_by("-designated_on", "-id")
    )


def weak_current(*, actor) -> QuerySet[WeakOrganization]:
    return weak_list(actor=actor).filter(lifted_on__isnull=True)


def weak_history(*, actor) -> QuerySet[WeakOrganization]:
    return weak_list(actor=actor).filter(lifted_on__isnull=False).order_by("-lifted_on", "-id")


def weak_get_for(actor, pk, action: str = Action.VIEW) -> WeakOrganization:
    """The designation, or NotInScope (404) when it is missing or outside the actor's scope."""
    weak = weak_list(actor=actor, action=action).filter(pk=pk).first()
    if weak is None:
        raise NotInScope()
    return weak


def weak_steps(weak: WeakOrganization) -> list[WeakRectificationStep]:
    return list(weak.steps.select_related("recorded_by").order_by("done_on", "id"))


def rectification_days(weak: WeakOrganization, today: dt.date) -> int:
    """Days under rectification: from the designation to the lift (or to today while it is open)."""
    return ((weak.lifted_on or today) - weak.designated_on).days


def open_weak_organization_ids(organizations: QuerySet[Organization] | None = None) -> set[int]:
    """Ids of the organizations currently designated 软弱涣散 (for other lists that flag them)."""
    qs = WeakOrganization.objects.filter(lifted_on__isnull=True)
    if organizations is not None:
        qs = qs.filter(organization__in=organizations)
    return set(qs.values_list("organization_id", flat=True))
