"""/api/dispatches/: list and retrieve with the duty status, register, check-in, end; the permission matrix with
nothing changed on every refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from supervision.models import Dispatch, DutyCheckIn
from supervision.services.dispatch import checkin_record, dispatch_register

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
URL = "/api/dispatches/"


def today():
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (Dispatch, DutyCheckIn, AuditEvent))


def register(org, name="李明", **extra):
    extra.setdefault("start_on", today() - 60 * DAY)
    return dispatch_register(actor=None, organization=org, name=name, role="第一书记", unit="县教育局", **extra)


@pytest.fixture
def dispatch(county):
    d = register(county.village_a1)
    checkin_record(actor=None, dispatch=d, on=today() - 2 * DAY, note="走访")
    return d


def test_list_and_retrieve_with_duty(api_as, county, county_admin, sibling_admin, secretary, dispatch):
    absent = register(county.village_b1, "周涛")
    body = api_as(county_admin).get(URL).json()
    by_name = {r["name"]: r for r in body["results"]}
    assert by_name["李明"]["on_duty"] is True and by_name["李明"]["duty_label"] == "到岗"
    assert by_name["李明"]["last_check_in_on"] == (today() - 2 * DAY).isoformat()
    assert by_name["周涛"]["on_duty"] is False and by_name["周涛"]["duty_label"] == "从未到岗"
    assert [r["id"] for r in api_as(sibling_admin).get(URL).json()["results"]] == [absent.pk]
    assert api_as(sibling_admin).get(f"{URL}{dispatch.pk}/").status_code == 404
    detail = api_as(secretary).get(f"{URL}{dispatch.pk}/").json()
    assert [c["note"] for c in detail["check_ins"]] == ["走访"]
    assert api_as(None).get(URL).status_code in (401, 403)


def test_filters(api_as, county, county_admin, dispatch):
    register(county.village_b1, "周涛")
    register(county.village_a2, "孙伟", start_on=today() - 400 * DAY, end_on=today() - 100 * DAY)
    client = api_as(county_admin)
    names = lambda **q: [r["name"] for r in client.get(URL, q).json()["results"]]  # noqa: E731
    assert names(not_on_duty="true") == ["周涛"]
    assert names(state="ended") == ["孙伟"]
    assert names(organization=county.township_a.pk, state="current") == ["李明"]


def test_register(api_as, county, township_admin, secretary, sibling_admin):
    data = {
        "organization_id": county.village_a2.pk,
        "name": "吴刚",
        "unit": "县人社局",
        "start_on": today().isoformat(),
    }
    before = counts()
    own = dict(data, organization_id=county.village_a1.pk)
    assert api_as(secretary).post(URL, own, format="json").status_code == 403
    assert api_as(secretary).post(URL, data, format="json").status_code == 400  # 西街村 is not the secretary's
    assert api_as(sibling_admin).post(URL, data, format="json").status_code == 400
    bad = dict(data, end_on=(today() - DAY).isoformat())
    response = api_as(township_admin).post(URL, bad, format="json")
    assert response.status_code == 400 and "早于开始日期" in response.json()["end_on"][0]
    assert counts() == before
    response = api_as(township_admin).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "第一书记" and body["duty_label"] == "从未到岗" and body["check_ins"] == []
    assert AuditEvent.objects.filter(
        object_type="supervision.dispatch", object_id=str(body["id"]), action="create", source="api"
    ).exists()


def test_check_in(api_as, secretary, leader, sibling_admin, dispatch):
    before = counts()
    assert api_as(leader).post(f"{URL}{dispatch.pk}/check-in/", {}, format="json").status_code == 403
    assert api_as(sibling_admin).post(f"{URL}{dispatch.pk}/check-in/", {}, format="json").status_code == 404
    future = {"on": (today() + DAY).isoformat()}
    response = api_as(secretary).post(f"{URL}{dispatch.pk}/check-in/", future, format="json")
    assert response.status_code == 400 and "晚于今天" in response.json()["on"][0]
    assert counts() == before
    response = api_as(secretary).post(f"{URL}{dispatch.pk}/check-in/", {"note": "入户走访"}, format="json")
    assert response.status_code == 201 and response.json()["on"] == today().isoformat()
    assert response.json()["recorded_by"] == "secretary"
    again = api_as(secretary).post(f"{URL}{dispatch.pk}/check-in/", {}, format="json")
    assert again.status_code == 400 and "同一天只登记一次" in again.json()["on"][0]


def test_end(api_as, township_admin, secretary, sibling_admin, dispatch):
    before = counts()
    end = {"end_on": today().isoformat()}
    assert api_as(secretary).post(f"{URL}{dispatch.pk}/end/", end, format="json").status_code == 403
    assert api_as(sibling_admin).post(f"{URL}{dispatch.pk}/end/", end, format="json").status_code == 404
    early = {"end_on": (today() - 3 * DAY).isoformat()}  # before the check-in 2 days ago
    assert api_as(township_admin).post(f"{URL}{dispatch.pk}/end/", early, format="json").status_code == 400
    assert counts() == before
    response = api_as(township_admin).post(f"{URL}{dispatch.pk}/end/", end, format="json")
    assert response.status_code == 200 and response.json()["end_on"] == today().isoformat()


def test_methods_not_offered(api_as, county_admin, dispatch):
    client = api_as(county_admin)
    assert client.delete(f"{URL}{dispatch.pk}/").status_code == 405
    assert client.patch(f"{URL}{dispatch.pk}/", {"name": "x"}, format="json").status_code == 405


def test_list_query_count(api_as, county, county_admin, django_assert_max_num_queries):
    for i in range(6):
        d = register(county.village_b2, f"队员{i}")
        checkin_record(actor=None, dispatch=d, on=today() - i * DAY)
    with django_assert_max_num_queries(6):
        assert len(api_as(county_admin).get(URL).json()["results"]) == 6
