"""Dispatched cadres (第一书记, 驻村工作队员) and duty check-ins (到岗): register, end, check in; not on duty with a
check-in exactly N days ago (counts) against N + 1 (does not)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent
from supervision.models import Dispatch, DutyCheckIn
from supervision.selectors.dispatch import dispatch_list, duty_counts, duty_status, not_on_duty
from supervision.services.dispatch import checkin_record, dispatch_end, dispatch_register

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (Dispatch, DutyCheckIn, AuditEvent))


@contextmanager
def unchanged(*objs):
    rows = lambda: [type(o).objects.filter(pk=o.pk).values().first() for o in objs]  # noqa: E731
    before = counts(), rows()
    yield
    assert (counts(), rows()) == before


def register(org, actor=None, *, start=None, end=None, name="王建国", role="第一书记"):
    return dispatch_register(
        actor=actor,
        organization=org,
        name=name,
        role=role,
        unit="县财政局",
        unit_post="副局长",
        start_on=start or today() - 100 * DAY,
        end_on=end,
    )


def check_in(dispatch, on, actor=None):
    return checkin_record(actor=actor, dispatch=dispatch, on=on, note="走访农户")


def test_township_admin_registers_and_it_is_audited(county, township_admin):
    d = register(county.village_a1, township_admin)
    assert (d.name, d.role, d.unit, d.end_on) == ("王建国", "第一书记", "县财政局", None)
    event = AuditEvent.objects.get(object_type="supervision.dispatch", object_id=str(d.pk))
    assert event.action == "create" and event.org_path == county.village_a1.path and event.after["unit"] == "县财政局"


def test_register_refusals(county, township_admin, secretary, sibling_admin):
    with unchanged(), pytest.raises(PermissionDenied, match="只能查看"):
        register(county.village_a1, secretary)
    with unchanged(), pytest.raises(NotInScope):
        register(county.village_a1, sibling_admin)
    with unchanged(), pytest.raises(ValidationError) as exc:
        register(county.village_a1, township_admin, start=today(), end=today() - DAY)
    assert "早于开始日期" in exc.value.message_dict["end_on"][0]
    with unchanged(), pytest.raises(ValidationError) as exc:
        dispatch_register(
            actor=township_admin, organization=county.village_a1, name="", role="队长", unit="", start_on=None
        )
    assert set(exc.value.message_dict) == {"name", "unit", "role", "start_on"}


def test_end_rules(county, township_admin, secretary):
    d = register(county.village_a1, township_admin, start=today() - 50 * DAY)
    check_in(d, today() - 5 * DAY, secretary)
    with unchanged(d), pytest.raises(ValidationError, match="早于开始日期"):
        dispatch_end(actor=township_admin, dispatch=d, end_on=d.start_on - DAY)
    with unchanged(d), pytest.raises(ValidationError, match="到岗记录"):
        dispatch_end(actor=township_admin, dispatch=d, end_on=today() - 6 * DAY)
    with unchanged(d), pytest.raises(PermissionDenied):
        dispatch_end(actor=secretary, dispatch=d, end_on=today())
    dispatch_end(actor=township_admin, dispatch=d, end_on=today() - 5 * DAY)
    d.refresh_from_db()
    assert d.end_on == today() - 5 * DAY
    event = AuditEvent.objects.get(object_type="supervision.dispatch", object_id=str(d.pk), action="update")
    assert event.before == {"end_on": None} and event.after == {"end_on": d.end_on.isoformat()}


def test_check_in_rules(county, township_admin, secretary, leader, sibling_admin):
    d = register(county.village_a1, township_admin, start=today() - 10 * DAY, end=today() + 10 * DAY)
    # The village's secretary may check in; so may the township staff.
    c = check_in(d, today(), secretary)
    assert c.recorded_by == secretary
    event = AuditEvent.objects.get(object_type="supervision.dutycheckin", object_id=str(c.pk))
    assert event.action == "create" and event.org_path == county.village_a1.path
    check_in(d, today() - DAY, township_admin)
    with unchanged(d), pytest.raises(ValidationError) as exc:
        check_in(d, today(), township_admin)
    assert exc.value.message_dict["on"] == [f"王建国 {today():%Y-%m-%d} 已登记到岗，同一天只登记一次。"]
    with unchanged(d), pytest.raises(ValidationError, match="晚于今天"):
        check_in(d, today() + DAY, secretary)
    with unchanged(d), pytest.raises(ValidationError, match="早于派驻开始日期"):
        check_in(d, d.start_on - DAY, secretary)
    with unchanged(d), pytest.raises(PermissionDenied, match="只能查看"):
        check_in(d, today() - 2 * DAY, leader)
    with unchanged(d), pytest.raises(NotInScope):
        check_in(d, today() - 2 * DAY, sibling_admin)
    # The first and last days of the dispatch are inside it.
    check_in(d, d.start_on, secretary)


def test_no_check_in_after_the_end(county, township_admin, secretary):
    d = register(county.village_a1, township_admin, start=today() - 30 * DAY, end=today() - 10 * DAY)
    check_in(d, d.end_on, secretary)
    with unchanged(d), pytest.raises(ValidationError, match="派驻已结束"):
        check_in(d, d.end_on + DAY, secretary)


@pytest.fixture
def duty_days(settings):
    settings.SUPERVISION_DUTY_CHECKIN_DAYS = 7
    return 7


def test_not_on_duty_boundary_n_days_against_n_plus_one(county, township_admin, duty_days):
    t = today()
    exactly = register(county.village_a1, township_admin, name="甲")  # last check-in exactly N days ago
    check_in(exactly, t - duty_days * DAY)
    beyond = register(county.village_a2, township_admin, name="乙")  # N + 1 days ago
    check_in(beyond, t - (duty_days + 1) * DAY)
    register(county.village_a1, township_admin, name="丙", role="工作队员")  # never checked in
    register(county.village_a2, township_admin, name="丁", end=t - DAY)  # ended yesterday, never checked in
    register(county.village_a2, township_admin, name="戊", start=t + DAY)  # starts tomorrow
    register(county.village_a2, township_admin, name="己", end=t)  # ends today, never checked in
    absent = list(not_on_duty(actor=township_admin, today=t))
    # Never checked in first, then the longest absent.
    assert [d.name for d in absent] == ["丙", "己", "乙"]
    statuses = {d.name: duty_status(d, t) for d in dispatch_list(actor=township_admin)}
    assert statuses["甲"].on_duty is True and statuses["甲"].label == "到岗"
    assert statuses["乙"].on_duty is False and statuses["乙"].label == "未到岗"
    assert statuses["丙"].label == "从未到岗" and statuses["丙"].last_check_in_on is None
    assert statuses["丁"].current is False and statuses["丁"].on_duty is None and statuses["丁"].label == "—"
    assert statuses["戊"].current is False
    assert statuses["乙"].days_since_last(t) == duty_days + 1
    c = duty_counts(actor=township_admin, today=t)
    assert (c.current, c.first_secretaries, c.not_on_duty, c.never) == (4, 3, 3, 2)


def test_duty_window_default_is_thirty_days(county, township_admin, settings):
    del settings.SUPERVISION_DUTY_CHECKIN_DAYS
    t = today()
    a = register(county.village_a1, township_admin, name="甲")
    check_in(a, t - 30 * DAY)
    b = register(county.village_a2, township_admin, name="乙")
    check_in(b, t - 31 * DAY)
    assert [d.name for d in not_on_duty(actor=township_admin, today=t)] == ["乙"]


def test_not_on_duty_follows_scope(county, county_admin, township_admin, sibling_admin, secretary):
    register(county.village_a1, county_admin, name="甲")
    register(county.village_b1, county_admin, name="乙")
    t = today()
    assert [d.name for d in not_on_duty(actor=county_admin, today=t)] == ["甲", "乙"]
    assert [d.name for d in not_on_duty(actor=township_admin, today=t)] == ["甲"]
    assert [d.name for d in not_on_duty(actor=sibling_admin, today=t)] == ["乙"]
    assert [d.name for d in not_on_duty(actor=secretary, today=t)] == ["甲"]
