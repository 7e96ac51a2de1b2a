"""Reading a dashboard page's figures and counting the rows of the lists they link to, as a user sees them."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from tests.assessments.test_ranking_pages import table_rows

FIGURE = re.compile(r'href="([^"]+)" data-figure="([^"]+)" data-count="(\d+)"')


def figures(page: str) -> dict[str, tuple[str, int]]:
    """{figure key: (link, count)} of every counted figure on the page."""
    return {key: (html.unescape(url), int(n)) for url, key, n in FIGURE.findall(page)}


def listed(client, url: str) -> int:
    """How many rows the list at `url` says it has, the way each list says it."""
    url, _, fragment = url.partition("#")
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.content.decode()
    if url.startswith("/members/"):  # the roster counts with htmx, `?count=1`
        counted = client.get(url + ("&" if "?" in url else "?") + "count=1").content.decode()
        return int(re.sub(r"\D", "", counted))
    if url.startswith("/meetings/overdue/") and fragment == "soon":
        return int(re.search(r"本月底前到期尚未召开 (\d+) 项", page).group(1))
    if url.startswith("/meetings/overdue/"):
        return int(re.search(r"（(\d+) 个支部）", page).group(1))
    if "/terms/" in url:
        return int(re.search(r"（(\d+) 个）", page).group(1))
    if url.split("?")[0] == reverse("assessments:ranking"):
        return len(table_rows(page, "ranking-table"))
    found = re.search(r"共 (\d+) 条", page)
    if found:
        return int(found.group(1))
    # a list of one page without pagination says nothing: an empty one says so
    assert "没有" in page or "暂无" in page, url
    return 0
