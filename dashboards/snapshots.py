"""How dashboards stay fast: each one's figures for a subtree and year are a Snapshot row, read in one query.

Every write leaves audit events (core.audit) naming the organization it belongs to, so whether a snapshot is stale
is one indexed question: has an event been recorded, since its computation began, at the organization, under it
(its figures count them) or above it (a county-level write — a scheme, a standard — changes every township's
figures)? An event without an organization counts everywhere. Events become visible when their write commits, so a
rolled-back write changes nothing. A stale snapshot is served as it is while a Celery job recomputes it — the page
says how old its figures are — so a dashboard's time and query count do not depend on the data. Without a broker
(make run, the tests) the page recomputes it at once instead.

A write whose transaction began before a computation and committed after it began (a long import) carries an
earlier time than the computation's start and is not seen: MAX_AGE bounds how long such figures stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import AuditEvent
from core.queue import send_on_commit
from core.scope import subtree_range_q
from organizations.models import Organization

from .models import Snapshot

MAX_AGE = dt.timedelta(minutes=15)
# A refresh asked for this long ago and not done (a lost message, a dead worker) may be asked for again.
REFRESH_RETRY = dt.timedelta(minutes=2)

# kind → function(organization, year, today) -> dict of JSON values. Filled by dashboards.figures.
BUILDERS: dict[str, Callable[[Organization, int, dt.date], dict]] = {}


def builder(kind: str):
    def register(fn):
        BUILDERS[kind] = fn
        return fn

    return register


def writes_q(path: str) -> Q:
    """The audit events that change the figures of the subtree at `path`: at it, under it, above it, or nowhere."""
    step = Organization.steplen
    above = ["", *(path[:i] for i in range(step, len(path), step))]
    return Q(org_path__in=above) | subtree_range_q("org_path", path)


def is_fresh(snapshot: Snapshot, now: dt.datetime | None = None) -> bool:
    """Computed, younger than MAX_AGE, and no write audited in its subtree (or above it) since it was begun."""
    now = now or timezone.now()
    if snapshot.computed_at is None or now - snapshot.computed_at >= MAX_AGE:
        return False
    return not AuditEvent.objects.filter(writes_q(snapshot.org_path), at__gte=snapshot.computed_at).exists()


def snapshot_read(*, kind: str, organization: Organization, year: int) -> tuple[Snapshot, bool]:
    """(the snapshot to show, whether it is fresh): computed now when there is none yet (or no worker to ask), else
    the stored one, with a refresh asked of the worker when it is stale."""
    snapshot = Snapshot.objects.filter(kind=kind, organization=organization, year=year).first()
    fresh = snapshot is not None and is_fresh(snapshot)
    if snapshot is None or (settings.CELERY_TASK_ALWAYS_EAGER and not fresh):
        return snapshot_refresh(kind=kind, organization=organization, year=year), True
    if not fresh:
        refresh_request(snapshot)
    return snapshot, fresh


def refresh_request(snapshot: Snapshot) -> bool:
    """Queue one refresh of a stale snapshot: only the first reader in REFRESH_RETRY sends a message."""
    from .tasks import dashboard_snapshot_refresh

    now = timezone.now()
    claimed = (
        Snapshot.objects.filter(pk=snapshot.pk)
        .filter(Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=now - REFRESH_RETRY))
        .update(refresh_requested_at=now)
    )
    if claimed:
        send_on_commit(dashboard_snapshot_refresh, snapshot.pk)  # no broker: the stale figures are shown, no error
    return bool(claimed)


def snapshot_refresh(*, kind: str, organization: Organization, year: int, today: dt.date | None = None) -> Snapshot:
    """Compute the figures and store them as of the moment the computation began: a write audited meanwhile is
    later than that, so the snapshot is stale again at once and is computed again."""
    snapshot = _row(kind, organization, year)
    began = timezone.now()
    data = BUILDERS[kind](organization, year, today or timezone.localdate())
    # Never step back: a slower refresh that began earlier must not overwrite a newer one.
    Snapshot.objects.filter(pk=snapshot.pk).filter(Q(computed_at__isnull=True) | Q(computed_at__lte=began)).update(
        data=data, computed_at=began, refresh_requested_at=None, org_path=organization.path
    )
    snapshot.refresh_from_db()
    return snapshot


def _row(kind: str, organization: Organization, year: int) -> Snapshot:
    try:
        with transaction.atomic():
            snapshot, _ = Snapshot.objects.get_or_create(
                kind=kind, organization=organization, year=year, defaults={"org_path": organization.path}
            )
    except IntegrityError:  # another request created it first
        snapshot = Snapshot.objects.get(kind=kind, organization=organization, year=year)
    return snapshot
