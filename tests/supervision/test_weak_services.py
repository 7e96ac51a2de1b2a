"""Weak and lax organizations (软弱涣散): designate, add steps, lift; who may, and what is refused with nothing
changed. The county of tests/conftest.py: township A (城关镇) holds 东街村 (village_a1, the secretary's)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent
from supervision.models import WeakOrganization, WeakRectificationStep
from supervision.services.weak import weak_designate, weak_lift, weak_step_add, weak_update

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (WeakOrganization, WeakRectificationStep, AuditEvent))


@contextmanager
def unchanged(*objs):
    rows = lambda: [type(o).objects.filter(pk=o.pk).values().first() for o in objs]  # noqa: E731
    before = counts(), rows()
    yield
    assert (counts(), rows()) == before


def designate(org, actor=None, on=None, **extra):
    return weak_designate(
        actor=actor,
        organization=org,
        designated_on=on or today() - 30 * DAY,
        reason="班子软弱，组织生活不正常",
        **extra,
    )


def test_township_admin_designates_a_village_and_it_is_audited(county, township_admin):
    weak = designate(county.village_a1, township_admin, measures="乡镇党委书记包联")
    assert weak.lifted_on is None and weak.created_by == township_admin
    event = AuditEvent.objects.get(object_type="supervision.weakorganization", object_id=str(weak.pk))
    assert event.action == "create" and event.org_path == county.village_a1.path
    assert event.after["reason"] == "班子软弱，组织生活不正常" and event.after["measures"] == "乡镇党委书记包联"


@pytest.mark.parametrize("who", ["secretary", "leader", "inspector"])
def test_readers_are_refused_in_words(county, request, who):
    actor = request.getfixturevalue(who)
    with unchanged(), pytest.raises(PermissionDenied, match="只能查看"):
        designate(county.village_a1, actor)


def test_sibling_township_gets_not_found(county, sibling_admin, township_admin):
    with unchanged(), pytest.raises(NotInScope):
        designate(county.village_a1, sibling_admin)
    weak = designate(county.village_a1, township_admin)
    with unchanged(weak), pytest.raises(NotInScope):
        weak_step_add(actor=sibling_admin, weak=weak, done_on=today(), description="走访")
    with unchanged(weak), pytest.raises(NotInScope):
        weak_lift(actor=sibling_admin, weak=weak, lifted_on=today(), note="验收合格")


def test_one_open_designation_per_organization(county, township_admin, county_admin):
    first = designate(county.village_a1, township_admin, on=today() - 60 * DAY)
    with unchanged(first), pytest.raises(ValidationError) as exc:
        designate(county.village_a1, county_admin)
    message = exc.value.message_dict["organization"][0]
    assert "东街村党支部已在软弱涣散整顿中" in message and f"{first.designated_on:%Y-%m-%d}" in message
    # Another organization is fine, and after the lift the same one may be designated again.
    designate(county.village_a2, township_admin)
    weak_lift(actor=township_admin, weak=first, lifted_on=today() - DAY, note="验收合格")
    again = designate(county.village_a1, township_admin, on=today())
    assert WeakOrganization.objects.filter(organization=county.village_a1).count() == 2
    assert again.lifted_on is None


def test_dates_in_the_future_are_refused(county, township_admin):
    with unchanged(), pytest.raises(ValidationError) as exc:
        designate(county.village_a1, township_admin, on=today() + DAY)
    assert "晚于今天" in exc.value.message_dict["designated_on"][0]
    weak = designate(county.village_a1, township_admin, on=today() - 10 * DAY)
    with unchanged(weak), pytest.raises(ValidationError) as exc:
        weak_step_add(actor=township_admin, weak=weak, done_on=today() + DAY, description="整顿")
    assert "晚于今天" in exc.value.message_dict["done_on"][0]
    with unchanged(weak), pytest.raises(ValidationError) as exc:
        weak_lift(actor=township_admin, weak=weak, lifted_on=today() + DAY, note="验收合格")
    assert "晚于今天" in exc.value.message_dict["lifted_on"][0]


def test_missing_reason_and_date(county, township_admin):
    with unchanged(), pytest.raises(ValidationError) as exc:
        weak_designate(actor=township_admin, organization=county.village_a1, designated_on=None, reason="  ")
    assert set(exc.value.message_dict) == {"designated_on", "reason"}


def test_steps_lie_between_designation_and_today(county, township_admin, secretary):
    weak = designate(county.village_a1, township_admin, on=today() - 10 * DAY)
    with unchanged(weak), pytest.raises(ValidationError) as exc:
        weak_step_add(actor=township_admin, weak=weak, done_on=weak.designated_on - DAY, description="整顿")
    assert "早于认定日期" in exc.value.message_dict["done_on"][0]
    with unchanged(weak), pytest.raises(PermissionDenied):
        weak_step_add(actor=secretary, weak=weak, done_on=today(), description="整顿")
    with unchanged(weak), pytest.raises(ValidationError):
        weak_step_add(actor=township_admin, weak=weak, done_on=today(), description=" ")
    first = weak_step_add(actor=township_admin, weak=weak, done_on=weak.designated_on, description="调整班子")
    weak_step_add(actor=township_admin, weak=weak, done_on=today(), description="召开专题组织生活会")
    assert [s.description for s in weak.steps.all()] == ["调整班子", "召开专题组织生活会"]
    event = AuditEvent.objects.get(object_type="supervision.weakrectificationstep", object_id=str(first.pk))
    assert event.action == "create" and event.org_path == county.village_a1.path


def test_lift_rules_and_closed_afterwards(county, township_admin):
    weak = designate(county.village_a1, township_admin, on=today() - 10 * DAY)
    with unchanged(weak), pytest.raises(ValidationError) as exc:
        weak_lift(actor=township_admin, weak=weak, lifted_on=weak.designated_on - DAY, note="验收合格")
    assert "早于认定日期" in exc.value.message_dict["lifted_on"][0]
    with unchanged(weak), pytest.raises(ValidationError) as exc:
        weak_lift(actor=township_admin, weak=weak, lifted_on=today(), note="")
    assert "摘帽说明" in exc.value.message_dict["note"][0]
    # Lifting on the designation day itself is allowed.
    weak_lift(actor=township_admin, weak=weak, lifted_on=weak.designated_on, note="验收合格")
    weak.refresh_from_db()
    assert weak.lifted_on == weak.designated_on and weak.lift_note == "验收合格"
    event = AuditEvent.objects.get(object_type="supervision.weakorganization", object_id=str(weak.pk), action="lift")
    assert event.before == {"lifted_on": None}
    assert event.after == {"lifted_on": weak.designated_on.isoformat(), "lift_note": "验收合格"}
    with unchanged(weak), pytest.raises(ValidationError, match="已于"):
        weak_step_add(actor=township_admin, weak=weak, done_on=today(), description="继续整顿")
    with unchanged(weak), pytest.raises(ValidationError, match="不能重复摘帽"):
        weak_lift(actor=township_admin, weak=weak, lifted_on=today(), note="再次")
    with unchanged(weak), pytest.raises(ValidationError):
        weak_update(actor=township_admin, weak=weak, reason="改", measures="")


def test_update_is_audited_with_what_changed(county, county_admin):
    weak = designate(county.village_b1, county_admin)
    weak_update(actor=county_admin, weak=weak, reason="班子软弱，组织生活不正常", measures="县直单位结对帮扶")
    event = AuditEvent.objects.get(object_type="supervision.weakorganization", object_id=str(weak.pk), action="update")
    assert event.before == {"measures": ""} and event.after == {"measures": "县直单位结对帮扶"}
