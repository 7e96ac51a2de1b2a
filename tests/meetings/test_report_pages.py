"""The 月报 and 逐月通报 pages through the test client: what each role sees, the Excel files, 生成月报 and 发布, and scope
(a sibling township gets 404 and changes nothing). The figures are the ones worked out in test_reports.py."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Job
from meetings.models import MonthlyBulletin, MonthlyReport
from meetings.reports import monthly_report_build
from tests.conftest import _org, as_user
from tests.meetings.test_reports import MARCH, build_report_world

REPORTS = "/meetings/reports/"


def bulletin_url(org, month="2025-03", suffix=""):
    return reverse("meetings:bulletin", args=[org.pk, month]) + suffix


@pytest.fixture
def report_world(county):
    return build_report_world(county)


@pytest.fixture
def built(report_world):
    monthly_report_build(month=MARCH)
    return report_world


def codes(response):
    return [r.branch.code for r in response.context["reports"]]


def workbook_rows(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    return ws.title, [list(row) for row in ws.iter_rows(values_only=True)]


def test_anonymous_is_sent_to_login(client, built):
    for url in (REPORTS, bulletin_url(built.root)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("meetings:report_build"), {"month": "2025-03"})
    assert response.status_code == 302 and MonthlyReport.objects.count() == 7


def test_county_admin_sees_every_branch_with_totals(client, built, county_admin):
    response = as_user(client, county_admin).get(REPORTS, {"month": "2025-03"})
    assert response.status_code == 200
    assert codes(response) == ["C01001", "C01002", "C02001", "C02002", "C03001", "C04001", "C90"]
    totals = response.context["totals"]
    assert (totals.branches, totals.meetings, totals.due, totals.met) == (7, 8, 20, 10)
    html = response.content.decode()
    assert "合计（7 个支部）" in html and "81.82%" in html and "50.00%" in html
    assert "88.24%" in html  # 东街村 attendance 15 of 17
    assert "2025年3月三会一课动态登记月报" in html
    assert "生成月报" in html  # the manager's button (重新生成月报, the month being built)
    assert bulletin_url(built.root) in html
    d1 = next(r for r in response.context["reports"] if r.branch.code == "C04001")
    assert d1.values["compliance_rate"] is None  # nothing due → shown as —


def test_township_admin_sees_their_township_only(client, built, township_admin):
    c = as_user(client, township_admin)
    response = c.get(REPORTS, {"month": "2025-03"})
    assert codes(response) == ["C01001", "C01002"]
    assert response.context["totals"].due == 7 and "42.86%" in response.content.decode()
    assert c.get(REPORTS, {"month": "2025-03", "organization": built.village_a1.pk}).status_code == 200
    assert c.get(REPORTS, {"month": "2025-03", "organization": built.township_b.pk}).status_code == 404
    assert c.get(REPORTS, {"month": "2025-03", "organization": "x"}).status_code == 404
    # the county's bulletin is linked: township staff read it
    assert bulletin_url(built.root) in response.content.decode()


def test_sibling_and_secretary(client, built, sibling_admin, secretary):
    response = as_user(client, sibling_admin).get(REPORTS, {"month": "2025-03", "organization": built.township_a.pk})
    assert response.status_code == 404
    response = client.get(REPORTS, {"month": "2025-03", "organization": built.township_a.pk, "export": "xlsx"})
    assert response.status_code == 404
    response = as_user(client, secretary).get(REPORTS, {"month": "2025-03"})
    assert codes(response) == ["C01001"]
    html = response.content.decode()
    assert "生成月报" not in html and bulletin_url(built.root) not in html


def test_a_month_not_built_yet_and_a_bad_month(client, built, county_admin):
    c = as_user(client, county_admin)
    response = c.get(REPORTS, {"month": "2025-02"})
    assert codes(response) == [] and "2025年2月的月报尚未生成" in response.content.decode()
    response = c.get(REPORTS, {"month": "2025-99"})  # falls back to the previous month
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert response.status_code == 200 and response.context["month"] == last


def test_export_has_the_rows_and_the_totals(client, built, county_admin, township_admin):
    response = as_user(client, county_admin).get(REPORTS, {"month": "2025-03", "export": "xlsx"})
    title, rows = workbook_rows(response)
    assert title == "动态登记月报"
    assert rows[0] == [
        "月份", "支部代码", "支部名称", "支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日", "组织生活会",
        "民主评议党员", "会议合计", "补录", "应到人次", "实到人次", "出席率(%)", "本月到期要求", "达标", "达标率(%)",
    ]  # fmt: skip
    assert len(rows) == 1 + 7 + 1
    assert rows[1] == ["2025-03", "C01001", "东街村党支部", 0, 1, 0, 0, 1, 0, 0, 2, 1, 17, 15, 88.24, 4, 3, 75]
    assert rows[2] == ["2025-03", "C01002", "西街村党支部", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, 3, 0, 0]
    assert rows[6] == ["2025-03", "C04001", "新区社区党支部", 0, 0, 0, 0, 1, 0, 0, 1, 0, 10, 8, 80, 0, 0, None]
    assert rows[8] == ["2025-03", None, "合计（7 个支部）", 1, 1, 1, 1, 4, 0, 0, 8, 1, 77, 63, 81.82, 20, 10, 50]
    response = as_user(client, township_admin).get(REPORTS, {"month": "2025-03", "export": "xlsx"})
    _, rows = workbook_rows(response)
    assert [r[1] for r in rows[1:]] == ["C01001", "C01002", None]
    assert rows[-1][2] == "合计（2 个支部）" and rows[-1][-3:] == [7, 3, 42.86]
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_report_page_queries_do_not_grow_with_rows(client, built, county_admin):
    c = as_user(client, county_admin)
    c.get(REPORTS, {"month": "2025-03"})
    with CaptureQueriesContext(connection) as few:
        c.get(REPORTS, {"month": "2025-03"})
    for n in range(1, 6):
        _org(built.township_b, f"C0200{n + 2}", f"新村{n}党支部", "党支部", "农村")
    monthly_report_build(month=MARCH)
    with CaptureQueriesContext(connection) as more:
        response = c.get(REPORTS, {"month": "2025-03"})
    assert len(response.context["reports"]) == 12
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_build_button(client, default_meeting_standards, report_world, county_admin, township_admin, secretary):
    """Real commits (a transactional test), so the job queued after the commit runs eagerly, as without a broker."""
    response = as_user(client, secretary).post(reverse("meetings:report_build"), {"month": "2025-03"})
    assert response.status_code == 403 and MonthlyReport.objects.count() == 0 and Job.objects.count() == 0
    c = as_user(client, township_admin)
    response = c.post(
        reverse("meetings:report_build"), {"month": "2025-03", "organization": report_world.township_a.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{REPORTS}?month=2025-03&organization={report_world.township_a.pk}"
    assert set(MonthlyReport.objects.values_list("branch__code", flat=True)) == {"C01001", "C01002"}
    page = c.get(response["Location"])
    assert "已生成2025年3月动态登记月报：2 个支部" in page.content.decode()
    response = as_user(client, county_admin).post(reverse("meetings:report_build"), {"month": "2025-03"})
    assert MonthlyReport.objects.filter(month=MARCH).count() == 7
    assert "重新生成2025年3月动态登记月报：7 个支部" in client.get(response["Location"]).content.decode()
    future = (timezone.localdate().replace(day=28) + dt.timedelta(days=10)).strftime("%Y-%m")
    response = client.post(reverse("meetings:report_build"), {"month": future})
    assert "尚未到来" in client.get(response["Location"]).content.decode()
    assert MonthlyReport.objects.count() == 7
    assert client.get(reverse("meetings:report_build")).status_code == 405


# --- the bulletin --------------------------------------------------------------------------------------------------


def test_bulletin_preview_for_the_county(client, report_world, county_admin):
    response = as_user(client, county_admin).get(bulletin_url(report_world.root))
    assert response.status_code == 200
    html = response.content.decode()
    assert "预览：本月通报尚未发布" in html and "测试县委2025年3月“三会一课”落实情况通报" in html
    assert [(r["rank"], r["code"], r["rate"]) for r in response.context["rows"]] == [
        (1, "C90", "100.00"),
        (2, "C01", "42.86"),
        (2, "C02", "42.86"),
        (4, "C03", "33.33"),
        (None, "C04", None),
    ]
    assert "42.86%" in html and "1 个乡镇（单位）本月没有到期要求" in html
    assert "css/meetings-print.css" in html and "data-print" in html  # A4 print stylesheet, print button
    assert reverse("meetings:bulletin_publish", args=[report_world.root.pk, "2025-03"]) in html
    assert "第一季度的季度要求" in html  # March: the month and the quarter are due


@pytest.mark.parametrize("who", ["township_admin", "sibling_admin", "leader"])
def test_bulletin_readers_without_the_publish_button(client, report_world, who, request):
    response = as_user(client, request.getfixturevalue(who)).get(bulletin_url(report_world.root))
    assert response.status_code == 200 and len(response.context["rows"]) == 5
    assert not response.context["may_publish"]
    assert reverse("meetings:bulletin_publish", args=[report_world.root.pk, "2025-03"]) not in response.content.decode()


def test_bulletin_refusals(client, report_world, county_admin, secretary):
    assert as_user(client, secretary).get(bulletin_url(report_world.root)).status_code == 404
    c = as_user(client, county_admin)
    assert c.get(bulletin_url(report_world.village_a1)).status_code == 404  # a branch ranks nothing
    assert c.get(bulletin_url(report_world.root, "2025-3")).status_code == 404
    assert c.get(bulletin_url(report_world.root, "2025-13")).status_code == 404
    future = (timezone.localdate().replace(day=28) + dt.timedelta(days=10)).strftime("%Y-%m")
    assert c.get(bulletin_url(report_world.root, future)).status_code == 404
    assert c.get(reverse("meetings:bulletin", args=[999_999, "2025-03"])).status_code == 404


def test_publish_and_republish(client, report_world, county_admin, township_admin, secretary):
    url = bulletin_url(report_world.root, suffix="publish/")
    before = AuditEvent.objects.count()
    assert as_user(client, township_admin).post(url, {"note": "x"}).status_code == 403
    assert as_user(client, secretary).post(url, {"note": "x"}).status_code == 404
    assert MonthlyBulletin.objects.count() == 0 and AuditEvent.objects.count() == before
    c = as_user(client, county_admin)
    response = c.post(url, {"note": "请排名靠后的乡镇认真整改。"})
    assert response.status_code == 302 and response["Location"] == bulletin_url(report_world.root)
    page = c.get(response["Location"]).content.decode()
    assert "已发布测试县委2025年3月三会一课逐月通报" in page and "请排名靠后的乡镇认真整改。" in page
    assert "以下为发布时的排名" in page and "重新发布" in page
    response = c.post(url, {"note": ""})
    assert "已重新发布测试县委2025年3月三会一课逐月通报" in c.get(response["Location"]).content.decode()
    assert MonthlyBulletin.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="meetings.monthlybulletin").count() == 2
    this_month = timezone.localdate().strftime("%Y-%m")
    response = c.post(bulletin_url(report_world.root, this_month, "publish/"))
    assert "尚未结束" in c.get(response["Location"]).content.decode()
    assert MonthlyBulletin.objects.count() == 1


def test_bulletin_export(client, report_world, county_admin, township_admin):
    response = as_user(client, township_admin).get(bulletin_url(report_world.root, suffix="?export=xlsx"))
    title, rows = workbook_rows(response)
    assert title == "逐月通报"
    assert rows == [
        ["排名", "组织代码", "乡镇（单位）", "支部数", "本月到期要求", "达标", "达标率(%)"],
        [1, "C90", "县财政局机关党支部", 1, 3, 3, 100],
        [2, "C01", "城关镇党委", 2, 7, 3, 42.86],
        [2, "C02", "石门镇党委", 2, 7, 3, 42.86],
        [4, "C03", "龙泉乡党委", 1, 3, 1, 33.33],
        [None, "C04", "新区工委", 1, 0, 0, None],
    ]
    # once published, the file is the frozen ranking
    as_user(client, county_admin).post(bulletin_url(report_world.root, suffix="publish/"))
    MonthlyBulletin.objects.update(rows=[{**r, "name": "改名前"} for r in MonthlyBulletin.objects.get().rows])
    _, rows = workbook_rows(client.get(bulletin_url(report_world.root, suffix="?export=xlsx")))
    assert {r[2] for r in rows[1:]} == {"改名前"}
