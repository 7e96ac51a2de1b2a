"""The one scope mechanism: every scoped queryset offers `.restrict(actor, action)`.

A role is granted at an organization and flows down its subtree. Subtrees are materialized-path prefixes, queried as
the half-open range [path, next(path)) so that the unique B-tree index on the path serves them on PostgreSQL and
SQLite alike. next(path) increments the path in its own alphabet (0-9A-Z, with carry), so the range holds under any
database collation: an appended sentinel such as "~" is ignored by ICU and glibc locale collations.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

ALL = None  # the unrestricted scope of a superuser or the system itself
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # django-treebeard's MP_Node alphabet


def path_successor(path: str) -> str | None:
    """The smallest string greater than every path starting with `path` ("0001" -> "0002", "000Z" -> "001");
    None when there is none ("ZZZZ")."""
    chars = list(path)
    for i in range(len(chars) - 1, -1, -1):
        pos = PATH_ALPHABET.find(chars[i])
        if pos < len(PATH_ALPHABET) - 1:
            chars[i] = PATH_ALPHABET[pos + 1]
            return "".join(chars[: i + 1])
    return None


def subtree_range_q(field: str, path: str) -> Q:
    upper = path_successor(path)
    q = Q(**{f"{field}__gte": path})
    return q & Q(**{f"{field}__lt": upper}) if upper else q


class Action:
    VIEW = "view"  # read records of the subtree
    CHANGE = "change"  # record the branch's own work (members, meetings, …)
    MANAGE = "manage"  # keep the tree: organizations, posts, imports
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_PERSONAL = "view_personal"  # see unmasked ID and phone numbers (audited)
    INSPECT = "inspect"  # record inspection findings (and, later, assessment scores) for the orgs assigned


def subtree_q(field: str, paths) -> Q:
    """Rows whose `field` (a materialized path) lies in any of the subtrees rooted at `paths`."""
    q = Q(pk__in=[])
    for path in paths:
        q |= subtree_range_q(field, path)
    return q


def collapse_paths(paths) -> list[str]:
    """Drop paths lying inside another one: grants at a township and at one of its villages are one subtree."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def scope_paths(actor, action: str):
    """The subtree roots where `actor` may do `action`; ALL for the system (actor None) and superusers."""
    if actor is None or getattr(actor, "is_superuser", False):
        return ALL
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    return actor.scope_paths(action)


def in_scope(actor, action: str, path: str) -> bool:
    paths = scope_paths(actor, action)
    return paths is ALL or any(path.startswith(p) for p in paths)


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows which path field places its rows in the tree (the model's `scope_path_field`)."""

    def restrict(self, actor, action: str = Action.VIEW):
        paths = scope_paths(actor, action)
        if paths is ALL:
            return self
        if not paths:
            return self.none()
        return self.filter(subtree_q(self.model.scope_path_field, paths))


class CountyWideQuerySet(RestrictedQuerySet):
    """Rows of the whole county rather than of a subtree (the points configuration): an actor who may do `action`
    anywhere may do it on all of them, anyone else on none. Narrower rules (county_admin only) stay in the services."""

    def restrict(self, actor, action: str = Action.VIEW):
        paths = scope_paths(actor, action)
        return self if paths is ALL or paths else self.none()
