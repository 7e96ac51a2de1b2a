"""Reads of the organization tree and posts, always through the actor's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from core.exceptions import NotInScope
from core.scope import ALL, Action, scope_paths, subtree_range_q

from .choices import PostTitle
from .models import Organization, Post


def organization_list(*, actor, action: str = Action.VIEW) -> QuerySet[Organization]:
    return Organization.objects.restrict(actor, action)


def organization_get_for(actor, pk, action: str = Action.VIEW) -> Organization:
    """The organization, or NotInScope (404) when it is missing or outside the actor's scope."""
    org = organization_list(actor=actor, action=action).filter(pk=pk).first()
    if org is None:
        raise NotInScope()
    return org


def organization_by_code_for(actor, code: str, action: str = Action.VIEW) -> Organization:
    org = organization_list(actor=actor, action=action).filter(code=code).first()
    if org is None:
        raise NotInScope()
    return org


def subtree(org: Organization) -> QuerySet[Organization]:
    """The organization and everything below it: one range query on the indexed path (unordered: order if needed)."""
    return Organization.objects.filter(subtree_range_q("path", org.path)).order_by()


def scope_roots(*, actor) -> QuerySet[Organization]:
    """The top nodes the actor sees: the tree roots for the system, the grant nodes otherwise."""
    paths = scope_paths(actor, Action.VIEW)
    if paths is ALL:
        return Organization.objects.filter(depth=1)
    return Organization.objects.filter(path__in=paths)


def children_of(*, actor, parent: Organization) -> QuerySet[Organization]:
    return organization_list(actor=actor).filter(parent=parent).order_by("code")


def organization_search(*, actor, query: str, limit: int = 30) -> QuerySet[Organization]:
    query = query.strip()
    return organization_list(actor=actor).filter(Q(name__icontains=query) | Q(code__icontains=query))[:limit]


def subtree_counts(org: Organization) -> dict:
    """How many organizations of each kind and domain lie below `org` (itself excluded)."""
    below = subtree(org).exclude(pk=org.pk)
    by_kind = dict(below.values_list("kind").annotate(n=Count("id")).order_by())
    by_domain = dict(below.exclude(domain="").values_list("domain").annotate(n=Count("id")).order_by())
    return {"total": sum(by_kind.values()), "by_kind": by_kind, "by_domain": by_domain}


def ancestors(org: Organization) -> list[Organization]:
    """From the root down to the parent (one query on the path prefixes)."""
    step = Organization.steplen
    paths = [org.path[:i] for i in range(step, len(org.path), step)]
    return list(Organization.objects.filter(path__in=paths).order_by("depth"))


def post_list(*, actor, action: str = Action.VIEW) -> QuerySet[Post]:
    return Post.objects.restrict(actor, action).select_related("organization", "person")


def post_get_for(actor, pk, action: str = Action.VIEW) -> Post:
    post = post_list(actor=actor, action=action).filter(pk=pk).first()
    if post is None:
        raise NotInScope()
    return post


def secretary_on(*, organization: Organization, on: dt.date):
    """The person who held 书记 of `organization` on `on`, or None."""
    post = (
        Post.objects.held_on(on)
        .filter(organization=organization, title=PostTitle.SECRETARY)
        .select_related("person")
        .order_by("-start_on")
        .first()
    )
    return post.person if post else None


def secretaries_on(*, organization_ids, on: dt.date) -> dict:
    """{organization id: person} for everyone who held 书记 on `on`: one query for any number of organizations."""
    posts = (
        Post.objects.held_on(on)
        .filter(organization_id__in=list(organization_ids), title=PostTitle.SECRETARY)
        .select_related("person")
        .order_by("organization_id", "start_on")
    )
    return {p.organization_id: p.person for p in posts}
