"""Dashboard jobs: recomputing a stale snapshot, off the request path."""

from __future__ import annotations

from celery import shared_task

from .models import Snapshot
from .snapshots import is_fresh, snapshot_refresh


@shared_task(acks_late=True)
def dashboard_snapshot_refresh(snapshot_id: int) -> bool:
    """Recompute one snapshot unless it is fresh already (a redelivered or duplicate message does nothing)."""
    snapshot = Snapshot.objects.select_related("organization").filter(pk=snapshot_id).first()
    if snapshot is None or is_fresh(snapshot):
        return False
    snapshot_refresh(kind=snapshot.kind, organization=snapshot.organization, year=snapshot.year)
    return True
