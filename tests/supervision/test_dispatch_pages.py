"""驻村第一书记 pages through the test client: the list with 未到岗 at the top, filters and export, registering, the
detail's one-tap check-in for today, ending, and scope (a sibling township gets 404 and changes nothing)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from supervision.models import Dispatch, DutyCheckIn
from supervision.services.dispatch import checkin_record, dispatch_register
from tests.conftest import as_user

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def today():
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (Dispatch, DutyCheckIn, AuditEvent))


def register(org, name, role="第一书记", start=None, end=None):
    return dispatch_register(
        actor=None, organization=org, name=name, role=role, unit="县农业农村局", start_on=start or today() - 90 * DAY,
        end_on=end,
    )  # fmt: skip


@pytest.fixture
def world(county):
    on_duty = register(county.village_a1, "李明")
    checkin_record(actor=None, dispatch=on_duty, on=today() - 3 * DAY)
    absent = register(county.village_a2, "赵强")
    checkin_record(actor=None, dispatch=absent, on=today() - 45 * DAY)
    never = register(county.village_a2, "钱进", role="工作队员")
    ended = register(county.village_a1, "孙伟", start=today() - 800 * DAY, end=today() - 100 * DAY)
    sibling = register(county.village_b1, "周涛")
    return on_duty, absent, never, ended, sibling


def workbook(response):
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_list_puts_not_on_duty_first_with_counts(client, township_admin, world):
    html = as_user(client, township_admin).get(reverse("supervision:dispatch_list")).content.decode()
    absent_block = html[html.index("未到岗：") : html.index("导出Excel")]
    assert "赵强" in absent_block and "钱进" in absent_block and "从未到岗" in absent_block
    assert "李明" not in absent_block and "孙伟" not in absent_block and "周涛" not in html
    assert "（45 天前）" in absent_block
    assert "在派人员中近 30 天没有到岗记录的（2 人）" in html


def test_filters(client, township_admin, county_admin, world):
    client = as_user(client, township_admin)
    url = reverse("supervision:dispatch_list")
    body = lambda q: client.get(url + q).content.decode().split("导出Excel")[1]  # noqa: E731
    assert "孙伟" in body("?state=ended") and "李明" not in body("?state=ended")
    only_absent = body("?not_on_duty=1")
    assert "赵强" in only_absent and "钱进" in only_absent and "李明" not in only_absent
    assert "钱进" in body("?role=工作队员") and "赵强" not in body("?role=工作队员")
    client = as_user(client, county_admin)
    township_b = world[4].organization.parent_id
    text = client.get(url + f"?organization={township_b}").content.decode().split("导出Excel")[1]
    assert "周涛" in text and "李明" not in text


def test_export_follows_filters_and_scope(client, township_admin, world):
    client = as_user(client, township_admin)
    rows = workbook(client.get(reverse("supervision:dispatch_list") + "?state=current&export=xlsx"))
    assert rows[0][:4] == ["派驻组织代码", "派驻组织", "所属乡镇", "姓名"]
    by_name = {r[3]: r for r in rows[1:]}
    assert set(by_name) == {"李明", "赵强", "钱进"}
    assert by_name["李明"][13] == "到岗" and by_name["赵强"][13] == "未到岗" and by_name["钱进"][13] == "从未到岗"
    assert by_name["李明"][2] == "城关镇党委" and by_name["李明"][11] == 1


def test_register_through_the_page(client, county, township_admin):
    client = as_user(client, township_admin)
    html = client.get(reverse("supervision:dispatch_create")).content.decode()
    # Village branches by default; the township itself only on request.
    assert "东街村党支部" in html and ">城关镇党委<" not in html
    assert "城关镇党委" in client.get(reverse("supervision:dispatch_create") + "?all=1").content.decode()
    data = {
        "organization": county.village_a1.pk,
        "name": "吴刚",
        "role": "第一书记",
        "unit": "县人社局",
        "start_on": today().isoformat(),
        "end_on": (today() - DAY).isoformat(),
    }
    response = client.post(reverse("supervision:dispatch_create"), data)
    assert response.status_code == 400 and "早于开始日期" in response.content.decode()
    data["end_on"] = ""
    response = client.post(reverse("supervision:dispatch_create"), data)
    d = Dispatch.objects.get(name="吴刚")
    assert response["Location"] == reverse("supervision:dispatch_detail", args=[d.pk])


def test_secretary_checks_in_with_one_tap(client, secretary, world):
    on_duty = world[0]
    client = as_user(client, secretary)
    url = reverse("supervision:dispatch_detail", args=[on_duty.pk])
    html = client.get(url).content.decode()
    assert "到岗" in html and "今天（" in html and "结束派驻" not in html
    response = client.post(reverse("supervision:dispatch_check_in", args=[on_duty.pk]), {"on": today().isoformat()})
    assert response.status_code == 302
    assert DutyCheckIn.objects.filter(dispatch=on_duty, on=today(), recorded_by=secretary).exists()
    html = client.get(url).content.decode()
    assert "已登记到岗" in html and "w-100 duty-checkin-btn" not in html
    # Twice on the same day: refused in words, nothing added.
    before = counts()
    response = client.post(reverse("supervision:dispatch_check_in", args=[on_duty.pk]), {"on": today().isoformat()})
    assert response.status_code == 400 and "同一天只登记一次" in response.content.decode()
    assert counts() == before


def test_sibling_gets_404_and_nothing_changes(client, sibling_admin, world):
    on_duty = world[0]
    client = as_user(client, sibling_admin)
    before = counts()
    assert client.get(reverse("supervision:dispatch_detail", args=[on_duty.pk])).status_code == 404
    day = {"on": today().isoformat()}
    assert client.post(reverse("supervision:dispatch_check_in", args=[on_duty.pk]), day).status_code == 404
    end = {"end_on": today().isoformat()}
    assert client.post(reverse("supervision:dispatch_end", args=[on_duty.pk]), end).status_code == 404
    assert counts() == before


def test_leader_reads_but_may_not_check_in(client, leader, world):
    client = as_user(client, leader)
    assert "周涛" in client.get(reverse("supervision:dispatch_list")).content.decode()
    before = counts()
    day = {"on": today().isoformat()}
    assert client.post(reverse("supervision:dispatch_check_in", args=[world[0].pk]), day).status_code == 403
    assert counts() == before


def test_end_through_the_page(client, township_admin, world):
    absent = world[1]
    client = as_user(client, township_admin)
    bad = {"end_on": (today() - 50 * DAY).isoformat()}  # before the check-in 45 days ago
    response = client.post(reverse("supervision:dispatch_end", args=[absent.pk]), bad)
    assert response.status_code == 400 and "到岗记录" in response.content.decode()
    ok = {"end_on": today().isoformat()}
    assert client.post(reverse("supervision:dispatch_end", args=[absent.pk]), ok).status_code == 302
    absent.refresh_from_db()
    assert absent.end_on == today()


def test_calendar_months_and_bad_month(client, township_admin, world):
    client = as_user(client, township_admin)
    url = reverse("supervision:dispatch_detail", args=[world[0].pk])
    assert f"{today():%Y}年{today().month}月" in client.get(url).content.decode()
    assert client.get(url + "?month=garbage").status_code == 200
    assert client.get(url + "?month=0001-01").status_code == 200


def test_list_query_count_does_not_grow(client, county, county_admin, world, django_assert_max_num_queries):
    for i in range(10):
        d = register(county.village_b2, f"队员{i}", role="工作队员")
        checkin_record(actor=None, dispatch=d, on=today() - i * DAY)
    client = as_user(client, county_admin)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("supervision:dispatch_list")).status_code == 200
