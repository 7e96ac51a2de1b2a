"""换届提醒 page: sections by bucket with counts, 未录入换届日期, scope, one bucket at a time, and the export of what is
shown."""

from __future__ import annotations

import io

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms_world(county):
    t = timezone.localdate()
    # Townships: elected 2021-06-01 by the fixture; set them so that 城关镇 is overdue and 石门镇 is far off.
    Organization.objects.filter(pk=county.township_a.pk).update(last_election_on=t - relativedelta(years=5, days=3))
    Organization.objects.filter(pk=county.township_b.pk).update(last_election_on=t - relativedelta(years=2))
    Organization.objects.filter(pk=county.village_a1.pk).update(last_election_on=t - relativedelta(years=5))  # today
    Organization.objects.filter(pk=county.village_a2.pk).update(
        last_election_on=t - relativedelta(years=5) + relativedelta(months=3)
    )
    Organization.objects.filter(pk=county.village_b1.pk).update(last_election_on=t - relativedelta(years=6))
    Organization.objects.filter(pk=county.dept.pk).update(last_election_on=t - relativedelta(years=1))
    return t


def workbook(response):
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def section(html: str, title: str) -> str:
    start = html.index(title)
    end = html.find("card-header", start + 1)
    return html[start : end if end > 0 else len(html)]


def test_county_sees_every_bucket(client, county_admin, terms_world):
    client.force_login(county_admin)
    html = client.get(reverse("supervision:term_list")).content.decode()
    overdue = section(html, "已逾期（")
    assert "城关镇党委" in overdue and "北山村党支部" in overdue and "3 天" in overdue
    assert "已逾期（2 个）" in html and "1个月内到期（1 个）" in html and "6个月内到期（1 个）" in html
    within_month = section(html, "1个月内到期（")
    assert "东街村党支部" in within_month and "今日到期" in within_month
    assert "西街村党支部" in section(html, "6个月内到期（")
    missing = section(html, "未录入换届日期（")
    assert "测试县委" in missing and "南河村党支部" in missing and "东街村党支部" not in missing
    # 石门镇 (elected two years ago) and the department branch (one year ago, 3-year term) are in no bucket.
    buckets = html.split("未录入换届日期（")[0]
    assert ">石门镇党委</a>" not in buckets and "县财政局机关党支部" not in buckets


def test_township_sees_its_own_subtree(client, township_admin, terms_world):
    client.force_login(township_admin)
    html = client.get(reverse("supervision:term_list")).content.decode()
    assert "城关镇党委" in html and "东街村党支部" in html and "北山村党支部" not in html and "测试县委" not in html


def test_one_bucket_and_its_export(client, county_admin, terms_world):
    client.force_login(county_admin)
    url = reverse("supervision:term_list")
    html = client.get(url + "?status=已逾期").content.decode()
    assert "已逾期（2 个）" in html and "1个月内到期（" not in html and "未录入换届日期（" not in html
    rows = workbook(client.get(url + "?status=已逾期&export=xlsx"))
    assert rows[0] == [
        "换届状态",
        "组织代码",
        "党组织",
        "组织类型",
        "所属乡镇",
        "上次换届日期",
        "任期（年）",
        "任期届满日期",
        "剩余天数（负数为逾期）",
    ]
    t = terms_world
    b1_end = t - relativedelta(years=1)
    assert [r[:3] for r in rows[1:]] == [["已逾期", "C02001", "北山村党支部"], ["已逾期", "C01", "城关镇党委"]]
    assert rows[1][4] == "石门镇党委" and rows[1][6] == 5 and rows[1][8] == (b1_end - t).days
    assert rows[2][8] == -3


def test_export_of_everything_includes_missing(client, county_admin, terms_world):
    client.force_login(county_admin)
    rows = workbook(client.get(reverse("supervision:term_list") + "?export=xlsx"))
    statuses = [r[0] for r in rows[1:]]
    assert statuses == ["已逾期", "已逾期", "1个月内到期", "6个月内到期", "未录入换届日期", "未录入换届日期"]
    assert [r[1] for r in rows[-2:]] == ["C", "C02002"]


def test_unknown_status_shows_everything_and_anonymous_is_redirected(client, county_admin, terms_world):
    assert client.get(reverse("supervision:term_list")).status_code == 302
    client.force_login(county_admin)
    html = client.get(reverse("supervision:term_list") + "?status=xyz").content.decode()
    assert "已逾期（2 个）" in html and "未录入换届日期（2 个）" in html


def test_query_count_is_flat(client, county_admin, terms_world, django_assert_max_num_queries):
    client.force_login(county_admin)
    with django_assert_max_num_queries(10):
        client.get(reverse("supervision:term_list"))
