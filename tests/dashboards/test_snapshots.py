"""Dashboard snapshots (dashboards/snapshots.py): which writes make which snapshots stale, a write during a
computation, serving a stale snapshot while one worker message refreshes it, the age limit, the refresh job — on a
real worker too."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent
from dashboards import snapshots
from dashboards.models import Snapshot
from dashboards.snapshots import is_fresh, snapshot_read, snapshot_refresh, writes_q
from dashboards.tasks import dashboard_snapshot_refresh
from organizations.models import Organization
from organizations.services import organization_update
from tests.helpers import real_celery_worker, services_available
from tests.members.api_helpers import make_member

pytestmark = pytest.mark.django_db


def _read(org, year=2025, kind="leader") -> Snapshot:
    return snapshot_read(kind=kind, organization=org, year=year)[0]


def _fresh(*orgs) -> list[bool]:
    return [is_fresh(Snapshot.objects.get(kind="leader", organization=o, year=2025)) for o in orgs]


def test_a_write_makes_its_organization_its_ancestors_and_descendants_stale(county):
    orgs = (county.root, county.township_a, county.township_b, county.village_a1)
    for org in orgs:
        _read(org)
    assert _fresh(*orgs) == [True] * 4
    make_member(county.village_a2, 1)  # a write in 城关镇: its audit names 西街村's path
    assert _fresh(*orgs) == [False, False, True, True]  # the county and 城关镇; not 石门镇, not a sibling
    for org in orgs:
        snapshot_refresh(kind="leader", organization=org, year=2025)
    assert _fresh(*orgs) == [True] * 4
    organization_update(actor=None, organization=county.root, name="测试县委（新）")  # a county-level write
    assert _fresh(*orgs) == [False] * 4


def test_a_write_with_no_organization_makes_every_snapshot_stale(county):
    _read(county.village_b1)
    AuditEvent.objects.create(action="update", object_type="meetings.meetingstandard", object_id="1", org_path="")
    assert _fresh(county.village_b1) == [False]


def test_a_rolled_back_write_changes_nothing(county):
    _read(county.root)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_member(county.village_a2, 1)
        raise RuntimeError("the clerk's browser gave up")
    assert _fresh(county.root) == [True]


def test_which_events_count_for_a_subtree():
    q = str(writes_q("000100020003"))
    assert "'', '0001', '00010002'" in q and "000100020003" in q


def test_a_write_during_the_computation_leaves_the_snapshot_stale(county, monkeypatch):
    def builder(org, year, today):
        make_member(county.village_a1, 7)  # lands while the figures are being computed
        return {"n": 1}

    monkeypatch.setitem(snapshots.BUILDERS, "test", builder)
    snapshot = snapshot_refresh(kind="test", organization=county.root, year=2025)
    assert snapshot.data == {"n": 1}
    assert not is_fresh(snapshot)


def test_an_older_refresh_never_overwrites_a_newer_one(county):
    snapshot = _read(county.root)
    later = timezone.now() + dt.timedelta(minutes=1)
    Snapshot.objects.filter(pk=snapshot.pk).update(computed_at=later, data={"newer": True})
    snapshot = snapshot_refresh(kind="leader", organization=county.root, year=2025)  # began before it
    assert snapshot.data == {"newer": True} and snapshot.computed_at == later


def test_with_a_worker_a_stale_snapshot_is_served_and_one_refresh_queued(
    county, settings, django_capture_on_commit_callbacks
):
    first = _read(county.root)
    Snapshot.objects.filter(pk=first.pk).update(data={"old": True})
    make_member(county.village_a1, 1)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=False) as queued:
        served = _read(county.root)
        again = _read(county.root)
    assert served.data == again.data == {"old": True}  # no computation on the request path
    assert len(queued) == 1  # the second reader finds the refresh asked for already
    Snapshot.objects.filter(pk=first.pk).update(refresh_requested_at=timezone.now() - dt.timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        _read(county.root)
    assert len(queued) == 1  # asked too long ago (a lost message): asked again


def test_without_a_worker_a_stale_snapshot_is_computed_at_once(county):
    first = _read(county.root)
    Snapshot.objects.filter(pk=first.pk).update(data={"old": True})
    make_member(county.village_a1, 1)
    assert _read(county.root).data["overview"]["members"] == 1


def test_an_old_snapshot_counts_as_stale(county):
    snapshot = _read(county.root)
    assert is_fresh(snapshot)
    snapshot.computed_at = timezone.now() - snapshots.MAX_AGE - dt.timedelta(seconds=1)
    assert not is_fresh(snapshot)


def test_the_refresh_job_recomputes_only_a_stale_snapshot(county):
    snapshot = _read(county.root)
    assert dashboard_snapshot_refresh(snapshot.pk) is False  # fresh: a duplicate message does nothing
    make_member(county.village_a1, 1)
    assert dashboard_snapshot_refresh(snapshot.pk) is True
    snapshot.refresh_from_db()
    assert is_fresh(snapshot) and snapshot.data["overview"]["members"] == 1
    assert dashboard_snapshot_refresh(10**9) is False  # gone (its organization deleted): nothing to do


@pytest.mark.services
@pytest.mark.skipif(
    not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
)
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_refreshes_the_stale_snapshot_a_page_served(county, settings):
    snapshot = _read(county.root)
    with real_celery_worker(settings, "dashboards-worker.log") as (worker, log):
        make_member(county.village_a1, 1)  # committed: its audit makes the county's snapshot stale
        assert not is_fresh(snapshot) and snapshot.data["overview"]["members"] == 0
        served = _read(county.root)  # stale: served as it is, the refresh goes to the worker
        assert served.data["overview"]["members"] == 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            served.refresh_from_db()
            if is_fresh(served):
                break
            assert worker.poll() is None, "worker exited early:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        assert is_fresh(served), log.read_text(errors="replace")
        assert served.data["overview"]["members"] == 1
    assert Organization.objects.count() == 8
