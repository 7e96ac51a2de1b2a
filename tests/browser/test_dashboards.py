"""The three dashboards in headless Chromium at 1440×900 and 390×844 on the hand-worked county of
tests/dashboards/world.py: charts drawn, no JavaScript error, no request to another host, nothing scrolling sideways;
a figure clicked lands on a list with that many rows. Screenshots: artifacts/screenshots/dashboard-*.png."""

from __future__ import annotations

import re

import pytest

from accounts.services import account_create
from tests.browser.pages import login, no_sideways_scroll, open_page, shot
from tests.dashboards.world import YEAR, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def dashboard_world(default_meeting_standards, county):
    accounts = {}
    for username, org, role in (
        ("county_admin", county.root, "county_admin"),
        ("lingdao", county.root, "leader"),
        ("shuji", county.village_a1, "branch_secretary"),
    ):
        accounts[role] = account_create(actor=None, username=username, password=PASSWORD, organization=org, role=role)
    build_world(county, accounts["county_admin"])
    return county


def _drill(page, key: str, lands: str) -> int:
    """Click figure `key`; wait for the list it opens (its URL matching `lands`); the figure's count."""
    figure = page.locator(f"[data-figure={key}]")
    expected = int(figure.get_attribute("data-count"))
    figure.click()
    page.wait_for_url(re.compile(lands))
    return expected


def _finish(page, errors, foreign, name: str) -> None:
    no_sideways_scroll(page)
    shot(page, name)
    assert errors == [], errors
    assert foreign == [], foreign


@pytest.mark.parametrize("size", list(SIZES))
def test_leader_dashboard(browser, live_server, dashboard_world, size):
    context, page, errors, foreign = open_page(browser, live_server, size=SIZES[size])
    login(page, live_server, "lingdao", PASSWORD)
    assert page.url.endswith("/dashboards/leader/")  # a leader lands here
    page.goto(f"{live_server.url}/dashboards/leader/?year={YEAR}")
    for chart in ("trend", "heatmap", "pyramid"):
        page.wait_for_selector(f"[data-chart={chart}] canvas")
    assert page.locator("[data-chart=education]").inner_text() == "尚未填写学历信息。"  # the world's members have none
    assert page.locator(".dashboard-figure").count() == 8
    _finish(page, errors, foreign, f"dashboard-leader-{size}")

    # drill down: 在册党员 → the roster, whose count says the same
    expected = _drill(page, "members", r"/members/")
    # counted by htmx after the page loads (a locator's wait: a string predicate is eval, which the CSP refuses)
    page.locator("#member-total").filter(has_text=re.compile(r"\d")).wait_for()
    assert int(re.sub(r"\D", "", page.locator("#member-total").inner_text())) == expected == 5

    # and 达标支部 of the quarter → its branch list, row for row
    page.goto(f"{live_server.url}/dashboards/leader/?year={YEAR}")
    expected = _drill(page, "compliant", r"/meetings/quarter/")
    assert page.locator(".quarter-table tbody tr td:nth-child(3)").count() == expected == 1
    _finish(page, errors, foreign, f"dashboard-leader-drill-{size}")

    page.goto(f"{live_server.url}/dashboards/leader/?year={YEAR}&print=1")
    page.wait_for_selector("[data-chart=heatmap] svg")  # the print view draws SVG
    page.emulate_media(media="print")
    assert not page.locator(".app-navbar").is_visible()
    shot(page, f"dashboard-leader-print-{size}")
    assert errors == [] and foreign == []
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_department_desk(browser, live_server, dashboard_world, size):
    context, page, errors, foreign = open_page(browser, live_server, size=SIZES[size])
    login(page, live_server, "county_admin", PASSWORD)
    assert page.url.endswith("/dashboards/desk/")
    page.goto(f"{live_server.url}/dashboards/desk/?year={YEAR}")
    page.wait_for_selector("[data-figure=funds_late]")
    _finish(page, errors, foreign, f"dashboard-desk-{size}")

    expected = _drill(page, "findings_open", r"/supervision/findings/")
    assert page.locator("text=/共 \\d+ 条/").first.inner_text().split()[1] == str(expected)
    assert expected == 2
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_secretary_phone_home(browser, live_server, dashboard_world, size):
    context, page, errors, foreign = open_page(browser, live_server, size=SIZES[size])
    login(page, live_server, "shuji", PASSWORD)
    assert page.url.endswith("/dashboards/branch/")
    page.wait_for_selector(".due-list")
    page.wait_for_selector(".compliance-calendar")
    assert page.locator("text=待整改的问题（1）").count() == 1
    _finish(page, errors, foreign, f"dashboard-secretary-{size}")
    # one tap on a due meeting opens its form with the kind chosen
    page.locator(".due-list a.btn").first.click()
    page.wait_for_url(re.compile(r"/meetings/new/\?branch=\d+&kind="))
    assert errors == [] and foreign == []
    context.close()
