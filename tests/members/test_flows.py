"""流动党员 (members.flow): opening and closing flows, the dates they may carry, the one-open-flow rule, how a change
of 党籍状态 opens and ends them, scope, and the 流动 tab's forms. Every refusal leaves everything as it was.

张伟 below is a full member of 东街村 (C01001) since 2010-07-01; dates are picked by hand around that day and today.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent
from members.contact import lost_contact_decide, lost_contact_resolve
from members.flow import flow_record_close, flow_record_open
from members.models import FlowRecord, LostContactCase, Member, StatusChange
from members.services import member_create, member_status_change
from tests.members.helpers import LI_QIANG, ZHANG_WEI, member_state

pytestmark = pytest.mark.django_db
D = dt.date
SHENZHEN = "广东省深圳市宝安区"


def flows(member=None) -> list[tuple]:
    qs = FlowRecord.objects.order_by("start_on", "id")
    if member is not None:
        qs = qs.filter(member=member)
    return list(qs.values_list("direction", "place", "start_on", "end_on"))


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


def refused(fn, **kw) -> dict:
    """fn(**kw) must raise a ValidationError and change nothing; its message_dict."""
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        fn(**kw)
    return caught.value.message_dict


@pytest.fixture
def zhang(county):
    return member_create(actor=None, name="张伟", id_number=ZHANG_WEI, branch=county.village_a1, category="正式党员",
                         joined_on=D(2010, 7, 1), full_member_on=D(2011, 7, 1))  # fmt: skip


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------------------------------
# flow_record_open / flow_record_close


def test_open_and_close_a_flow_with_audit(county, secretary, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=f" {SHENZHEN} ",
                            start_on=D(2024, 3, 1), contact="深圳宝安流动党员党支部")  # fmt: skip
    assert flows() == [("流出", SHENZHEN, D(2024, 3, 1), None)]
    assert flow.contact == "深圳宝安流动党员党支部"
    zhang.refresh_from_db()
    assert zhang.status == "正常"  # a flow registered on its own leaves the 党籍状态 alone
    event = AuditEvent.objects.get(object_type="members.flowrecord", action="create")
    assert (event.actor_id, event.org_path, event.object_id) == (secretary.pk, county.village_a1.path, str(flow.pk))
    assert event.after == {"member": zhang.pk, "direction": "流出", "place": SHENZHEN, "start_on": "2024-03-01",
                           "end_on": None, "contact": "深圳宝安流动党员党支部"}  # fmt: skip

    flow_record_close(actor=secretary, flow=flow, end_on=D(2024, 9, 30))
    assert flows() == [("流出", SHENZHEN, D(2024, 3, 1), D(2024, 9, 30))]
    event = AuditEvent.objects.get(object_type="members.flowrecord", action="update")
    assert (event.before, event.after) == ({"end_on": None}, {"end_on": "2024-09-30"})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"start_on": "tomorrow"}, {"start_on": ["开始日期不能晚于今天。"]}),
        ({"start_on": D(2010, 6, 30)}, {"start_on": ["开始日期不能早于入党日期 2010-07-01。"]}),
        ({"place": "  "}, {"place": ["请填写流入地（流出到何处）。"]}),
        ({"direction": "流入", "place": ""}, {"place": ["请填写来源地（从何处流入）。"]}),
        ({"direction": "外出"}, {"direction": ["流动方向应为“流出”或“流入”。"]}),
    ],
)
def test_open_refuses_bad_values(county, secretary, zhang, changes, expected):
    values = {"direction": "流出", "place": SHENZHEN, "start_on": D(2024, 3, 1)}
    values.update(changes)
    if values["start_on"] == "tomorrow":
        values["start_on"] = tomorrow()
    assert refused(flow_record_open, actor=secretary, member=zhang, **values) == expected


def test_joined_on_itself_is_a_valid_start(county, secretary, zhang):
    flow_record_open(actor=secretary, member=zhang, direction="流入", place="河南省郑州市", start_on=D(2010, 7, 1))
    assert flows() == [("流入", "河南省郑州市", D(2010, 7, 1), None)]


def test_one_open_flow_per_member_and_no_overlap_with_the_last_one(county, secretary, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    assert refused(
        flow_record_open, actor=secretary, member=zhang, direction="流入", place="河南省郑州市", start_on=D(2024, 5, 1)
    ) == {"member": ["该党员已有未结束的流动（流出，广东省深圳市宝安区，自 2024-03-01 起），请先结束该流动。"]}
    flow_record_close(actor=secretary, flow=flow, end_on=D(2024, 9, 30))
    # The next flow may start the day the last one ended, not before.
    assert refused(
        flow_record_open, actor=secretary, member=zhang, direction="流入", place="河南省郑州市", start_on=D(2024, 9, 29)
    ) == {"start_on": ["开始日期不能早于上一次流动的结束日期 2024-09-30。"]}
    flow_record_open(actor=secretary, member=zhang, direction="流入", place="河南省郑州市", start_on=D(2024, 9, 30))
    assert flows() == [
        ("流出", SHENZHEN, D(2024, 3, 1), D(2024, 9, 30)),
        ("流入", "河南省郑州市", D(2024, 9, 30), None),
    ]


def test_the_database_keeps_one_open_flow_and_end_after_start(county, zhang):
    FlowRecord.objects.create(member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        FlowRecord.objects.create(member=zhang, direction="流入", place="河南省郑州市", start_on=D(2024, 4, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        FlowRecord.objects.create(
            member=zhang, direction="流入", place="河南省郑州市", start_on=D(2023, 4, 1), end_on=D(2023, 3, 31)
        )


def test_close_refuses_bad_dates_and_closed_flows(county, secretary, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    assert refused(flow_record_close, actor=secretary, flow=flow, end_on=D(2024, 2, 29)) == {
        "end_on": ["结束日期不能早于流动的开始日期 2024-03-01。"]
    }
    assert refused(flow_record_close, actor=secretary, flow=flow, end_on=tomorrow()) == {
        "end_on": ["结束日期不能晚于今天。"]
    }
    flow_record_close(actor=secretary, flow=flow, end_on=D(2024, 3, 1))  # a flow of one day
    stale = FlowRecord.objects.get(pk=flow.pk)
    stale.end_on = None  # a copy read before the close: the stored row decides
    assert refused(flow_record_close, actor=secretary, flow=stale, end_on=D(2024, 4, 1)) == {
        "end_on": ["该流动已于 2024-03-01 结束。"]
    }


@pytest.mark.parametrize("final", ["出党", "死亡"])
def test_no_flow_for_a_closed_file(county, secretary, zhang, final):
    member_status_change(actor=None, member=zhang, status=final, on=D(2024, 1, 1))
    assert refused(
        flow_record_open, actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2023, 3, 1)
    ) == {"member": [f"党籍状态为“{final}”的档案不能登记流动。"]}


def test_flows_outside_the_scope_are_refused(county, secretary, sibling_admin, leader, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    for actor in (sibling_admin, leader):  # another township; a read-only role
        with nothing_changed():
            with pytest.raises(NotInScope):
                flow_record_open(actor=actor, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
            with pytest.raises(NotInScope):
                flow_record_close(actor=actor, flow=flow, end_on=D(2024, 9, 30))


# --------------------------------------------------------------------------------------------------------------------
# The 党籍状态 drives the flows (member_status_change → flow_follow_status)


def test_status_changes_open_and_end_flows(county, township_admin, zhang):
    steps = [
        ("流出", D(2024, 5, 1), SHENZHEN),  # opens an OUT flow to 深圳
        ("正常", D(2024, 10, 1), ""),  # back: it ends that day
        ("流入", D(2025, 2, 1), "河南省郑州市"),  # opens an IN flow from 郑州
        ("失联", D(2025, 6, 1), ""),  # still away: the flow goes on
        ("流入", D(2025, 7, 1), ""),  # contact again: the same flow, no new one (and no place needed)
        ("流出", D(2025, 8, 1), "浙江省杭州市"),  # the IN flow ends, an OUT flow begins, the same day
        ("死亡", D(2025, 9, 1), ""),  # the file ends, and the flow with it
    ]
    for status, on, place in steps:
        member_status_change(actor=township_admin, member=zhang, status=status, on=on, place=place)
    assert flows(zhang) == [
        ("流出", SHENZHEN, D(2024, 5, 1), D(2024, 10, 1)),
        ("流入", "河南省郑州市", D(2025, 2, 1), D(2025, 8, 1)),
        ("流出", "浙江省杭州市", D(2025, 8, 1), D(2025, 9, 1)),
    ]
    flow_events = AuditEvent.objects.filter(object_type="members.flowrecord", actor=township_admin)
    assert sorted(flow_events.values_list("action", flat=True)) == ["create"] * 3 + ["update"] * 3


def test_a_flow_registered_first_goes_on_when_the_status_follows(county, secretary, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    member_status_change(actor=secretary, member=zhang, status="流出", on=D(2024, 3, 5), place="别处")
    assert flows() == [("流出", SHENZHEN, D(2024, 3, 1), None)]
    member_status_change(actor=secretary, member=zhang, status="正常", on=D(2024, 9, 30))
    flow.refresh_from_db()
    assert flow.end_on == D(2024, 9, 30)


def test_back_to_normal_without_an_open_flow_is_fine(county, secretary, zhang):
    member_status_change(actor=secretary, member=zhang, status="流出", on=D(2024, 3, 1), place=SHENZHEN)
    flow_record_close(actor=secretary, flow=FlowRecord.objects.get(), end_on=D(2024, 6, 1))  # ended on the tab
    member_status_change(actor=secretary, member=zhang, status="正常", on=D(2024, 9, 30))
    assert flows() == [("流出", SHENZHEN, D(2024, 3, 1), D(2024, 6, 1))]


def test_a_refused_flow_refuses_the_status_change(county, secretary, zhang):
    # 流出 needs the destination: neither the status change nor a flow is recorded.
    assert refused(member_status_change, actor=secretary, member=zhang, status="流出", on=D(2024, 5, 1)) == {
        "place": ["请填写流入地（流出到何处）。"]
    }
    zhang.refresh_from_db()
    assert zhang.status == "正常"
    # An OUT flow registered from 2024-06-01, the status made 流出 on 2024-05-01 (the same flow goes on): back to
    # 正常 on 2024-05-15 would end the flow before it began, so the status change is refused too, on its date.
    flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 6, 1))
    member_status_change(actor=secretary, member=zhang, status="流出", on=D(2024, 5, 1), place=SHENZHEN)
    zhang.refresh_from_db()
    assert refused(member_status_change, actor=secretary, member=zhang, status="正常", on=D(2024, 5, 15)) == {
        "on": ["结束日期不能早于流动的开始日期 2024-06-01。"]
    }
    zhang.refresh_from_db()
    assert zhang.status == "流出"
    assert list(StatusChange.objects.values_list("status", flat=True)) == ["流出"]


def test_lost_contact_while_away_keeps_the_flow(county, secretary, zhang):
    member_status_change(actor=None, member=zhang, status="流出", on=D(2024, 1, 10), place="浙江省杭州市")
    case = LostContactCase.objects.create(member=zhang, found_on=D(2024, 8, 1), last_contact_on=D(2024, 1, 10))
    lost_contact_decide(actor=secretary, case=case, confirmed=True, on=D(2024, 8, 2))
    lost_contact_resolve(actor=secretary, case=case, on=D(2024, 9, 1))  # back to 流出
    assert Member.objects.get().status == "流出"
    assert flows() == [("流出", "浙江省杭州市", D(2024, 1, 10), None)]


# --------------------------------------------------------------------------------------------------------------------
# The 流动 tab's forms


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_flow_tab_forms_open_and_close(county, secretary, zhang):
    client = _client(secretary)
    detail = client.get(reverse("members:detail", args=[zhang.pk]) + "?tab=flows").content.decode()
    assert reverse("members:flow_open", args=[zhang.pk]) in detail
    page = client.get(reverse("members:flow_open", args=[zhang.pk]))
    assert page.status_code == 200 and "登记流动" in page.content.decode()

    data = {"direction": "流出", "place": SHENZHEN, "start_on": "2024-03-01", "contact": "0755-12345678"}
    response = client.post(reverse("members:flow_open", args=[zhang.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail", args=[zhang.pk]) + "?tab=flows"
    flow = FlowRecord.objects.get()
    assert (flow.direction, flow.place, flow.start_on, flow.end_on, flow.contact) == (
        "流出", SHENZHEN, D(2024, 3, 1), None, "0755-12345678"
    )  # fmt: skip

    detail = client.get(reverse("members:detail", args=[zhang.pk]) + "?tab=flows").content.decode()
    close_url = reverse("members:flow_close", args=[zhang.pk, flow.pk])
    assert close_url in detail and reverse("members:flow_open", args=[zhang.pk]) not in detail
    with nothing_changed():  # a bad date comes back on its field
        page = client.post(close_url, {"end_on": "2024-02-01"})
    assert page.status_code == 200 and "结束日期不能早于流动的开始日期 2024-03-01。" in page.content.decode()
    assert client.post(close_url, {"end_on": "2024-09-30"}).status_code == 302
    flow.refresh_from_db()
    assert flow.end_on == D(2024, 9, 30)
    assert client.get(close_url).status_code == 404  # an ended flow has nothing to close


def test_flow_tab_form_shows_the_service_refusal(county, secretary, zhang):
    with nothing_changed():
        page = _client(secretary).post(
            reverse("members:flow_open", args=[zhang.pk]),
            {"direction": "流出", "place": SHENZHEN, "start_on": "2010-06-30"},
        )
    assert page.status_code == 200 and "开始日期不能早于入党日期 2010-07-01。" in page.content.decode()


def test_flow_tab_forms_outside_the_scope_answer_404(county, secretary, sibling_admin, leader, zhang):
    flow = flow_record_open(actor=secretary, member=zhang, direction="流出", place=SHENZHEN, start_on=D(2024, 3, 1))
    other = member_create(actor=None, name="李强", id_number=LI_QIANG, branch=county.village_a1,
                          category="正式党员", joined_on=D(2010, 7, 1), full_member_on=D(2011, 7, 1))  # fmt: skip
    open_url = reverse("members:flow_open", args=[zhang.pk])
    close_url = reverse("members:flow_close", args=[zhang.pk, flow.pk])
    data = {"direction": "流入", "place": "河南省郑州市", "start_on": "2024-03-01", "end_on": "2024-09-30"}
    for user in (sibling_admin, leader):
        client = _client(user)
        with nothing_changed():
            for url in (open_url, close_url):
                assert client.get(url).status_code == 404
                assert client.post(url, data).status_code == 404
    # A flow is closed only through its own member's file, even in the secretary's own branch.
    with nothing_changed():
        assert _client(secretary).post(reverse("members:flow_close", args=[other.pk, flow.pk]), data).status_code == 404
