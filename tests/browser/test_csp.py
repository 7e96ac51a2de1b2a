"""The Content-Security-Policy in Chromium: pages that draw charts, poll with htmx and open the API's documentation
run with no violation (a refused script or style is a console error) and no request to another host."""

from __future__ import annotations

import pytest

from accounts.services import account_create
from tests.browser.pages import login, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"


def test_pages_and_api_docs_run_under_the_policy(browser, live_server, county):
    account_create(actor=None, username="csp_admin", password=PASSWORD, organization=county.root, role="county_admin")
    context, page, errors, foreign = open_page(browser, live_server)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    login(page, live_server, "csp_admin", PASSWORD)
    for url, ready in (
        ("/dashboards/leader/", ".dashboard-figure"),
        ("/core/jobs/", ".jobs-table"),
        ("/api/docs/", ".swagger-ui .info"),
    ):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
    assert violations == [] and errors == [], violations or errors
    assert foreign == [], foreign
    context.close()
