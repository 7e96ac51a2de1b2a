"""GET/POST /api/members/flows/ and POST /api/members/flows/{id}/close/: the same rules as the 流动 tab (members.flow),
scoped to the caller's subtree. A sibling township's admin gets 404 (or, for a member id in the body, "not found")
and nothing changes; the read-only leader reads but cannot write."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from core.models import AuditEvent
from members.flow import flow_record_open
from members.models import FlowRecord
from members.services import member_create
from tests.factories import id_number_for
from tests.members.helpers import LI_QIANG, ZHANG_WEI, member_state

pytestmark = pytest.mark.django_db
D = dt.date
URL = "/api/members/flows/"
SHENZHEN = "广东省深圳市宝安区"


def state() -> dict:
    return {
        **member_state(),
        "flows": sorted(FlowRecord.objects.values_list("id", "member_id", "direction", "place", "start_on", "end_on")),
    }


@contextmanager
def nothing_changed():
    before = state()
    yield
    assert state() == before


def _member(branch, name, id_number):
    return member_create(actor=None, name=name, id_number=id_number, branch=branch, category="正式党员",
                         joined_on=D(2010, 7, 1), full_member_on=D(2011, 7, 1))  # fmt: skip


@pytest.fixture
def world(county):
    """张伟 in 东街村 (township A) with an open OUT flow; 李强 in 北山村 (township B) with none."""
    zhang = _member(county.village_a1, "张伟", ZHANG_WEI)
    li = _member(county.village_b1, "李强", LI_QIANG)
    flow = flow_record_open(actor=None, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    return {"zhang": zhang, "li": li, "flow": flow}


def test_list_and_retrieve_in_scope(county, world, secretary, sibling_admin, leader, api_as):
    flow, zhang = world["flow"], world["zhang"]
    expected = {
        "id": flow.pk,
        "member": {"id": zhang.pk, "name": "张伟", "branch_id": county.village_a1.pk, "status": "正常"},
        "direction": "流出",
        "place": SHENZHEN,
        "start_on": "2024-03-01",
        "end_on": None,
        "contact": "",
    }
    for user in (secretary, leader):
        body = api_as(user).get(URL).json()
        assert (body["count"], body["results"]) == (1, [expected])
        assert api_as(user).get(f"{URL}{flow.pk}/").json() == expected
    assert api_as(sibling_admin).get(URL).json()["count"] == 0
    assert api_as(sibling_admin).get(f"{URL}{flow.pk}/").status_code == 404
    # filters: one member's flows, only open ones, a subtree
    client = api_as(secretary)
    assert client.get(URL, {"member": zhang.pk}).json()["count"] == 1
    assert client.get(URL, {"member": world["li"].pk}).json()["count"] == 0
    assert client.get(URL, {"open": "false"}).json()["count"] == 0
    assert client.get(URL, {"organization": county.village_a2.pk}).json()["count"] == 0
    assert client.get(URL, {"organization": county.village_a1.pk}).json()["count"] == 1
    # an organization above the secretary's branch is outside her scope: it matches nothing
    assert client.get(URL, {"organization": county.township_a.pk}).json()["count"] == 0


def test_list_query_count_does_not_grow_with_rows(county, world, county_admin, api_as, django_assert_max_num_queries):
    for n in range(5):
        member = _member(county.village_a2, f"成员{n}", id_number_for(900 + n))
        flow_record_open(actor=None, member=member, direction="流入", place="河南省郑州市", start_on=D(2024, 3, 1))
    # session user, count, rows (members, people and branches joined in)
    with django_assert_max_num_queries(3):
        body = api_as(county_admin).get(URL).json()
    assert body["count"] == 6 and {r["member"]["name"] for r in body["results"]} >= {"张伟", "成员4"}


def test_create_and_close_through_the_service(county, world, secretary, api_as):
    client = api_as(secretary)
    flow = world["flow"]
    response = client.post(f"{URL}{flow.pk}/close/", {"end_on": "2024-09-30"}, format="json")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["end_on"]) == (flow.pk, "2024-09-30")
    flow.refresh_from_db()
    assert flow.end_on == D(2024, 9, 30)

    data = {"member_id": world["zhang"].pk, "direction": "流入", "place": "河南省郑州市", "start_on": "2024-10-01",
            "contact": "13800001234"}  # fmt: skip
    response = client.post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    created = FlowRecord.objects.get(pk=response.json()["id"])
    assert (created.direction, created.place, created.start_on, created.end_on, created.contact) == (
        "流入", "河南省郑州市", D(2024, 10, 1), None, "13800001234"
    )  # fmt: skip
    assert AuditEvent.objects.filter(object_type="members.flowrecord", actor=secretary).count() == 2


def test_refusals_are_400s_with_the_service_messages(county, world, secretary, api_as):
    client = api_as(secretary)
    flow, zhang = world["flow"], world["zhang"]
    cases = [
        ({"member_id": zhang.pk, "direction": "流入", "place": "郑州", "start_on": "2024-05-01"},
         {"member_id": ["该党员已有未结束的流动（流出，广东省深圳市宝安区，自 2024-03-01 起），请先结束该流动。"]}),
        ({"member_id": world["li"].pk, "direction": "流出", "place": "郑州", "start_on": "2024-05-01"},
         {"member_id": [f"无效主键 “{world['li'].pk}” － 对象不存在。"]}),
    ]  # fmt: skip
    for data, errors in cases:
        with nothing_changed():
            response = client.post(URL, data, format="json")
        assert (response.status_code, response.json()) == (400, errors)
    with nothing_changed():
        response = client.post(f"{URL}{flow.pk}/close/", {"end_on": "2024-02-29"}, format="json")
    assert (response.status_code, response.json()) == (400, {"end_on": ["结束日期不能早于流动的开始日期 2024-03-01。"]})


def test_outside_the_scope_nothing_changes(county, world, sibling_admin, leader, api_as):
    flow, zhang = world["flow"], world["zhang"]
    create = {"member_id": zhang.pk, "direction": "流入", "place": "郑州", "start_on": "2024-05-01"}
    for user in (sibling_admin, leader):
        client = api_as(user)
        with nothing_changed():
            assert client.post(f"{URL}{flow.pk}/close/", {"end_on": "2024-09-30"}, format="json").status_code == 404
            response = client.post(URL, create, format="json")
            assert response.status_code == 400 and list(response.json()) == ["member_id"]
            for method in ("put", "patch", "delete"):
                assert getattr(client, method)(f"{URL}{flow.pk}/", {}, format="json").status_code in (404, 405)
    with nothing_changed():
        assert api_as(None).get(URL).status_code in (401, 403)
        assert api_as(None).post(f"{URL}{flow.pk}/close/", {"end_on": "2024-09-30"}).status_code in (401, 403)


def test_flows_do_not_hide_member_routes(county, world, secretary, api_as):
    """The flows are registered ahead of /api/members/{id}/: the member routes still answer as before."""
    zhang = world["zhang"]
    assert api_as(secretary).get(f"/api/members/{zhang.pk}/").json()["id"] == zhang.pk
