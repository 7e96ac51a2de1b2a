"""Writes to the organization tree and posts. Pages, the API, imports and commands all come through here."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.exceptions import NotInScope
from core.scope import ALL, Action, in_scope, scope_paths

from .choices import PostTitle
from .models import Organization, Post

ORG_FIELDS = (
    "code",
    "name",
    "kind",
    "domain",
    "assessment_group",
    "has_committee",
    "has_party_groups",
    "founded_on",
    "last_election_on",
    "term_years",
)
ORG_AUDIT_FIELDS = (*ORG_FIELDS, "parent", "path")
POST_FIELDS = ("title", "start_on", "end_on")
POST_AUDIT_FIELDS = ("organization", "person", *POST_FIELDS)


def ensure_in_scope(actor, action: str, organization: Organization | None) -> None:
    """Refuse (as 'not found') an organization outside the actor's scope for `action`; None means a new root."""
    if organization is None:
        if scope_paths(actor, action) is not ALL:
            raise NotInScope("只有系统管理员可以创建顶级组织。")
        return
    if not in_scope(actor, action, organization.path):
        raise NotInScope()


@transaction.atomic
def organization_create(*, actor, parent: Organization | None, **fields) -> Organization:
    """Add an organization under `parent` (or as a new root, for the system only)."""
    ensure_in_scope(actor, Action.MANAGE, parent)
    org = Organization(parent=parent, **fields)
    org.full_clean(exclude=["path", "depth", "numchild", "parent"])
    if parent is None:
        org = Organization.objects.add_root(instance=org)
    else:
        parent.refresh_from_db()  # treebeard computes the new path from the parent's current numchild/path
        org = Organization.objects.add_child(parent, instance=org)
    audit_log(actor=actor, action="create", obj=org, org_path=org.path, after=snapshot(org, ORG_AUDIT_FIELDS))
    return org


@transaction.atomic
def organization_update(*, actor, organization: Organization, **fields) -> Organization:
    """Change an organization's own fields (not its place in the tree: see organization_move)."""
    ensure_in_scope(actor, Action.MANAGE, organization)
    before = snapshot(organization, ORG_AUDIT_FIELDS)
    for name, value in fields.items():
        if name not in ORG_FIELDS:
            raise ValueError(f"unknown organization field {name}")
        setattr(organization, name, value)
    organization.updated_at = timezone.now()
    organization.full_clean(exclude=["path", "depth", "numchild", "parent"])
    organization.save()
    audit_log(
        actor=actor,
        action="update",
        obj=organization,
        org_path=organization.path,
        before=before,
        after=snapshot(organization, ORG_AUDIT_FIELDS),
    )
    return organization


@transaction.atomic
def organization_move(*, actor, organization: Organization, new_parent: Organization) -> Organization:
    """Move an organization with its whole subtree under `new_parent`."""
    ensure_in_scope(actor, Action.MANAGE, organization)
    ensure_in_scope(actor, Action.MANAGE, new_parent)
    organization.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.pk == organization.pk or new_parent.path.startswith(organization.path):
        raise ValidationError({"parent": "不能把组织移到它自己或它的下级组织之下。"})
    if organization.parent_id == new_parent.pk:
        return organization
    before = snapshot(organization, ORG_AUDIT_FIELDS)
    Organization.objects.move(organization, new_parent, pos="last-child")
    organization.refresh_from_db()
    organization.parent = new_parent
    organization.updated_at = timezone.now()
    organization.save(update_fields=["parent", "updated_at"])
    # The moved organization must still lie inside the actor's scope (it does when new_parent does; checked anyway).
    ensure_in_scope(actor, Action.MANAGE, organization)
    audit_log(
        actor=actor,
        action="move",
        obj=organization,
        org_path=organization.path,
        before=before,
        after=snapshot(organization, ORG_AUDIT_FIELDS),
    )
    return organization


def overlapping_secretary_terms(terms) -> tuple | None:
    """The first pair of overlapping (start, end) terms of 书记 in one organization, or None.

    An organization has one secretary at a time, so "who held 书记 on date D" has a single answer.
    `terms` holds (start_on, end_on or None, label) tuples.
    """
    ordered = sorted(terms, key=lambda t: t[0])
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if prev[1] is None or prev[1] >= cur[0]:
            return prev, cur
    return None


def _check_post(post: Post) -> None:
    # The related rows are given, not typed in, so their existence is not checked again; the constraints are,
    # including the unique one over organization and person, which full_clean skips when those are excluded.
    post.full_clean(exclude=["organization", "person"], validate_constraints=False)
    post.validate_constraints()
    if post.title != PostTitle.SECRETARY:
        return
    others = (
        Post.objects.filter(organization=post.organization, title=PostTitle.SECRETARY)
        .exclude(pk=post.pk)
        .select_related("person")
    )
    terms = [(p.start_on, p.end_on, p.person.name) for p in others] + [(post.start_on, post.end_on, post.person.name)]
    clash = overlapping_secretary_terms(terms)
    if clash:
        a, b = clash
        raise ValidationError(
            {"start_on": f"书记任期重叠：{a[2]}（{a[0]} 起）与 {b[2]}（{b[0]} 起）。同一组织同一时间只能有一名书记。"}
        )


@transaction.atomic
def post_create(
    *, actor, organization: Organization, person, title: str, start_on: dt.date, end_on: dt.date | None = None
) -> Post:
    """Record that `person` holds `title` in `organization` from `start_on` (to `end_on`, inclusive)."""
    ensure_in_scope(actor, Action.MANAGE, organization)
    post = Post(organization=organization, person=person, title=title, start_on=start_on, end_on=end_on)
    _check_post(post)
    post.save()
    audit_log(
        actor=actor, action="create", obj=post, org_path=organization.path, after=snapshot(post, POST_AUDIT_FIELDS)
    )
    return post


@transaction.atomic
def post_update(*, actor, post: Post, **fields) -> Post:
    """Change a post's title or dates (e.g. record the end of a term)."""
    ensure_in_scope(actor, Action.MANAGE, post.organization)
    before = snapshot(post, POST_AUDIT_FIELDS)
    for name, value in fields.items():
        if name not in POST_FIELDS:
            raise ValueError(f"unknown post field {name}")
        setattr(post, name, value)
    _check_post(post)
    post.save()
    audit_log(
        actor=actor,
        action="update",
        obj=post,
        org_path=post.organization.path,
        before=before,
        after=snapshot(post, POST_AUDIT_FIELDS),
    )
    return post


@transaction.atomic
def post_delete(*, actor, post: Post) -> None:
    """Remove a post recorded in error (a term that ended is ended with post_update, not deleted)."""
    ensure_in_scope(actor, Action.MANAGE, post.organization)
    audit_log(
        actor=actor,
        action="delete",
        obj=post,
        org_path=post.organization.path,
        before=snapshot(post, POST_AUDIT_FIELDS),
    )
    post.delete()


@transaction.atomic
def post_appoint(
    *,
    actor,
    organization: Organization,
    name: str,
    id_number: str,
    title: str,
    start_on: dt.date,
    end_on: dt.date | None = None,
) -> Post:
    """Record a post for the person with this ID number (created if unknown): one step for the page and the API.

    Raises ValidationError naming the field (`id_number`, `name`, `start_on` …); nothing is saved on failure.
    """
    from core.idnumber import IdNumberError
    from members.services import person_get_or_create

    ensure_in_scope(actor, Action.MANAGE, organization)
    try:
        person = person_get_or_create(name=name, id_number=id_number, actor=actor, org_path=organization.path)
    except IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    if person.name != name.strip():
        raise ValidationError({"name": "与该身份证号已登记的姓名不一致。"})
    return post_create(
        actor=actor, organization=organization, person=person, title=title, start_on=start_on, end_on=end_on
    )
