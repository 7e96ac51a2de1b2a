"""/api/weak-organizations/: list and retrieve through the scope, designate, add-step, lift; the permission matrix
(anonymous, sibling township, branch secretary, county admin) with nothing changed on every refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from supervision.models import WeakOrganization, WeakRectificationStep
from supervision.services.weak import weak_designate, weak_lift, weak_step_add

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
URL = "/api/weak-organizations/"


def today():
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (WeakOrganization, WeakRectificationStep, AuditEvent))


@pytest.fixture
def weak(county):
    w = weak_designate(actor=None, organization=county.village_a1, designated_on=today() - 20 * DAY, reason="软弱")
    weak_step_add(actor=None, weak=w, done_on=today() - 10 * DAY, description="调整班子")
    return w


def test_list_and_retrieve_by_scope(api_as, county, county_admin, sibling_admin, secretary, weak):
    other = weak_designate(actor=None, organization=county.village_b1, designated_on=today(), reason="涣散")
    body = api_as(county_admin).get(URL).json()
    assert [r["organization"]["code"] for r in body["results"]] == ["C02001", "C01001"]
    assert body["results"][1]["steps_count"] == 1 and body["results"][1]["days"] == 20
    assert body["results"][1]["state"] == "整顿中"
    assert [r["id"] for r in api_as(sibling_admin).get(URL).json()["results"]] == [other.pk]
    assert api_as(sibling_admin).get(f"{URL}{weak.pk}/").status_code == 404
    detail = api_as(secretary).get(f"{URL}{weak.pk}/").json()
    assert [s["description"] for s in detail["steps"]] == ["调整班子"]
    assert api_as(None).get(URL).status_code in (401, 403)


def test_filters(api_as, county, county_admin, weak):
    lifted = weak_designate(actor=None, organization=county.village_a2, designated_on=today() - 5 * DAY, reason="x")
    weak_lift(actor=None, weak=lifted, lifted_on=today(), note="验收合格")
    client = api_as(county_admin)
    assert [r["id"] for r in client.get(URL, {"state": "lifted"}).json()["results"]] == [lifted.pk]
    assert [r["id"] for r in client.get(URL, {"state": "open"}).json()["results"]] == [weak.pk]
    assert client.get(URL, {"organization": county.township_b.pk}).json()["results"] == []


def test_designate(api_as, county, township_admin):
    data = {"organization_id": county.village_a2.pk, "designated_on": today().isoformat(), "reason": "制度不落实"}
    response = api_as(township_admin).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organization"]["code"] == "C01002" and body["steps"] == [] and body["state"] == "整顿中"
    assert AuditEvent.objects.filter(
        object_type="supervision.weakorganization", object_id=str(body["id"]), action="create", source="api"
    ).exists()
    before = counts()
    again = api_as(township_admin).post(URL, data, format="json")
    assert again.status_code == 400 and "已在软弱涣散整顿中" in again.json()["organization"][0]
    future = dict(data, organization_id=county.village_a1.pk, designated_on=(today() + DAY).isoformat())
    response = api_as(township_admin).post(URL, future, format="json")
    assert response.status_code == 400 and "晚于今天" in response.json()["designated_on"][0]
    assert counts() == before


def test_refusals_change_nothing(api_as, county, secretary, sibling_admin, leader, weak):
    data = {"organization_id": county.village_a1.pk, "designated_on": today().isoformat(), "reason": "x"}
    before = counts()
    assert api_as(secretary).post(URL, data, format="json").status_code == 403
    assert api_as(leader).post(URL, data, format="json").status_code == 403
    assert api_as(sibling_admin).post(URL, data, format="json").status_code == 400  # not a visible organization
    assert api_as(None).post(URL, data, format="json").status_code in (401, 403)
    step = {"done_on": today().isoformat(), "description": "走访"}
    assert api_as(secretary).post(f"{URL}{weak.pk}/add-step/", step, format="json").status_code == 403
    assert api_as(sibling_admin).post(f"{URL}{weak.pk}/add-step/", step, format="json").status_code == 404
    lift = {"lifted_on": today().isoformat(), "note": "验收合格"}
    assert api_as(sibling_admin).post(f"{URL}{weak.pk}/lift/", lift, format="json").status_code == 404
    assert api_as(secretary).post(f"{URL}{weak.pk}/lift/", lift, format="json").status_code == 403
    assert api_as(sibling_admin).patch(f"{URL}{weak.pk}/", {"reason": "y"}, format="json").status_code == 404
    assert counts() == before


def test_add_step_and_lift(api_as, county_admin, weak):
    client = api_as(county_admin)
    early = {"done_on": (weak.designated_on - DAY).isoformat(), "description": "整顿"}
    response = client.post(f"{URL}{weak.pk}/add-step/", early, format="json")
    assert response.status_code == 400 and "早于认定日期" in response.json()["done_on"][0]
    step = {"done_on": today().isoformat(), "description": "开展专题组织生活会"}
    response = client.post(f"{URL}{weak.pk}/add-step/", step, format="json")
    assert response.status_code == 201 and [s["description"] for s in response.json()["steps"]] == [
        "调整班子",
        "开展专题组织生活会",
    ]
    before_lift = {"lifted_on": (weak.designated_on - DAY).isoformat(), "note": "验收合格"}
    response = client.post(f"{URL}{weak.pk}/lift/", before_lift, format="json")
    assert response.status_code == 400 and "早于认定日期" in response.json()["lifted_on"][0]
    response = client.post(
        f"{URL}{weak.pk}/lift/", {"lifted_on": today().isoformat(), "note": "验收合格"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "已摘帽"
    assert response.json()["days"] == 20
    closed = client.post(f"{URL}{weak.pk}/add-step/", step, format="json")
    assert closed.status_code == 400


def test_patch_corrects_the_reason(api_as, township_admin, weak):
    response = api_as(township_admin).patch(
        f"{URL}{weak.pk}/", {"reason": "班子软弱", "measures": "包联"}, format="json"
    )
    assert response.status_code == 200 and response.json()["measures"] == "包联"


def test_list_query_count(api_as, county, county_admin, django_assert_max_num_queries):
    for org in (county.village_a1, county.village_a2, county.village_b1, county.village_b2):
        w = weak_designate(actor=None, organization=org, designated_on=today(), reason="x")
        weak_step_add(actor=None, weak=w, done_on=today(), description="y")
    with django_assert_max_num_queries(6):
        assert len(api_as(county_admin).get(URL).json()["results"]) == 4
