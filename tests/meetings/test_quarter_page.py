"""支部季度达标名单 (meetings:quarter) on the hand-worked county of tests/dashboards/world.py, a past year (every
period of 2025 is over by now): 东街村 held everything the fourth quarter asks for, 北山村 only October's 主题党日."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from tests.conftest import as_user, text
from tests.dashboards.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, county_admin):
    return build_world(county, county_admin)


def _rows(page: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'<td class="text-nowrap">(C\d+)</td>.*?<span class="badge [^"]+">([^<]+)</span>', page, re.S)


def test_the_quarters_statuses_branch_by_branch(client, world, county_admin):
    as_user(client, county_admin)
    page = text(client.get(reverse("meetings:quarter"), {"year": 2025, "quarter": 4}))
    assert _rows(page) == [
        ("C01001", "达标"), ("C01002", "未达标"), ("C02001", "未达标"), ("C02002", "未达标"), ("C90", "未达标"),
    ]  # fmt: skip
    assert "共 5 条" in page
    only = text(client.get(reverse("meetings:quarter"), {"year": 2025, "quarter": 4, "status": "达标"}))
    assert _rows(only) == [("C01001", "达标")] and "共 1 条" in only
    # the first quarter: nobody held anything
    first = text(client.get(reverse("meetings:quarter"), {"year": 2025, "quarter": 1, "status": "达标"}))
    assert _rows(first) == [] and "没有符合条件的支部" in first


def test_a_township_admin_sees_their_branches_and_a_foreign_subtree_is_not_found(client, world, township_admin, county):
    as_user(client, township_admin)
    page = text(client.get(reverse("meetings:quarter"), {"year": 2025, "quarter": 4}))
    assert [code for code, _ in _rows(page)] == ["C01001", "C01002"]
    response = client.get(reverse("meetings:quarter"), {"organization": county.township_b.pk})
    assert response.status_code == 404


def test_the_list_exports_what_it_shows(client, world, county_admin):
    as_user(client, county_admin)
    response = client.get(
        reverse("meetings:quarter"), {"year": 2025, "quarter": 4, "status": "未达标", "export": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["组织代码", "组织名称", "季度状态", "达标项", "未达标项", "进行中项"]
    assert [r[0] for r in rows[1:]] == ["C01002", "C02001", "C02002", "C90"]
    assert rows[2][2:] == ["未达标", 1, 4, 0]  # 北山村: October's 主题党日 met; Nov, Dec, 党员大会, 党课 missed


def test_an_unknown_quarter_falls_back_to_the_last_of_a_past_year(client, world, county_admin):
    as_user(client, county_admin)
    page = text(client.get(reverse("meetings:quarter"), {"year": 2025, "quarter": "9"}))
    assert "2025年第4季度" in page
