"""Pages in headless Chromium: log in, open the tree, expand a node, open an organization, import a workbook.

Screenshots land in artifacts/screenshots/ so a person can look at them. The browser is Debian's chromium
(never a downloaded one); without it the test is skipped, or fails when REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import pytest

from accounts.services import account_create
from core.xlsx.importer import workbook_import
from tests.browser.pages import login, open_page, shot
from tests.helpers import ORG_HEADERS, workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"


def _workbook(rows) -> bytes:
    return workbook({"组织": [ORG_HEADERS, *rows]})


@pytest.fixture
def demo_tree(db):
    rows = [
        ["T", "测试县委", None, "县委", None, None, "否", "否", "1949-10-01", None, None],
        ["T01", "城关镇党委", "T", "党委", None, "乡镇党委", "是", "否", "1950-01-01", "2021-06-01", None],
        [
            "T01001",
            "东街村党支部",
            "T01",
            "党支部",
            "农村",
            "村（社区）党组织",
            "是",
            "是",
            "1980-01-01",
            "2020-05-01",
            None,
        ],
        [
            "T01002",
            "西街村党支部",
            "T01",
            "党支部",
            "农村",
            "村（社区）党组织",
            "否",
            "否",
            "1981-01-01",
            "2021-05-01",
            None,
        ],
        ["T02", "石门镇党委", "T", "党委", None, "乡镇党委", "是", "否", "1950-01-01", "2021-06-01", None],
    ]
    report = workbook_import(source=_workbook(rows), actor=None)
    assert report.ok, report.problems
    from organizations.models import Organization

    county = Organization.objects.get(code="T")
    account_create(
        actor=None,
        username="browser_admin",
        password=PASSWORD,
        organization=county,
        role="county_admin",
        full_name="测试管理员",
    )
    return county


def test_login_tree_detail_and_import(browser, live_server, demo_tree, tmp_path):
    context, page, errors, foreign = open_page(browser, live_server)
    page.goto(f"{live_server.url}/accounts/login/")
    assert "基层党建工作管理平台" in page.content()
    shot(page, "01-login")

    page.fill("input[name=username]", "browser_admin")
    page.fill("input[name=password]", "wrong-password-1")
    page.click("button[type=submit]")
    assert "账号或密码不正确" in page.content()

    login(page, live_server, "browser_admin", PASSWORD)
    assert "/dashboards/desk/" in page.url  # a county administrator lands on the work desk
    page.goto(f"{live_server.url}/orgs/")
    page.wait_for_selector("text=测试县委")
    shot(page, "02-tree")

    # Expand the county node lazily (htmx) and see a township appear in the tree.
    page.locator(".tree-panel .tree-toggle").first.click()
    page.wait_for_selector(".tree-panel >> text=城关镇党委")
    shot(page, "03-tree-expanded")

    page.locator(".tree-panel >> text=城关镇党委").first.click()
    page.wait_for_load_state("networkidle")
    assert "城关镇党委" in page.content()
    assert "东街村党支部" in page.content() or "下级" in page.content()
    shot(page, "04-org-detail")

    # Import page: a file with an error changes nothing and lists the problem by sheet, row and column.
    page.goto(f"{live_server.url}/core/import/")
    shot(page, "05-import")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_workbook([["T02001", "新村党支部", "NOPE", "党支部", "农村", None, None, None, None, None, None]]))
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[type=submit]")
    page.wait_for_selector("text=未写入任何数据")
    assert "工作表" in page.content() and "上级组织代码" in page.content()
    shot(page, "06-import-errors")

    good = tmp_path / "good.xlsx"
    good.write_bytes(_workbook([["T02001", "新村党支部", "T02", "党支部", "农村", None, None, None, None, None, None]]))
    page.goto(f"{live_server.url}/core/import/")
    page.set_input_files("input[name=file]", str(good))
    page.click("button[type=submit]")
    page.wait_for_selector("text=导入完成")
    shot(page, "07-import-done")
    from organizations.models import Organization

    assert Organization.objects.filter(code="T02001", parent__code="T02").exists()

    # A phone-sized screen still shows the tree and the list.
    phone, ppage, perrors, pforeign = open_page(browser, live_server, size=(390, 844))
    login(ppage, live_server, "browser_admin", PASSWORD)
    shot(ppage, "08-tree-phone")
    phone.close()

    assert errors == [] and perrors == [], errors + perrors
    assert foreign == [] and pforeign == [], foreign + pforeign
    context.close()
