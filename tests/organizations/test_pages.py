"""List pages keep a query count that does not grow with the rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.xlsx.importer import workbook_import
from tests.factories import id_number_for
from tests.helpers import ORG_HEADERS, POST_HEADERS, org_row, workbook

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(start: int, n: int) -> None:
    """n more villages under township A, each with a secretary (codes and people from `start` on)."""
    codes = [f"C01{start + i}" for i in range(n)]
    orgs = [org_row(code, f"新村{code}党支部", "C01") for code in codes]
    posts = [
        [code, f"书记{code}", id_number_for(9000 + start + i), "书记", "2024-01-01", None]
        for i, code in enumerate(codes)
    ]
    report = workbook_import(
        source=workbook({"组织": [ORG_HEADERS, *orgs], "职务": [POST_HEADERS, *posts]}), actor=None
    )
    assert report.ok, report.problems


@pytest.mark.parametrize(
    "url_name, query",
    [("organizations:tree", ""), ("organizations:tree", "?org={a}"), ("organizations:post_list", "")],
)
def test_list_page_queries_do_not_grow_with_rows(client, county, county_admin, url_name, query):
    client.force_login(county_admin)
    url = reverse(url_name) + query.format(a=county.township_a.pk)
    _grow(500, 3)
    small = _queries(client, url)
    _grow(600, 40)
    large = _queries(client, url)
    assert large == small, (small, large)
