"""The dashboard pages: every counted figure equals the row count of the list its link opens (as the same user, on
today's date), the subtree and year carried into the links, scope, roles, the landing page of each role, and a query
count that does not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import account_create
from dashboards.models import Snapshot
from tests.conftest import PASSWORD, as_user, text
from tests.dashboards.listed import figures, listed
from tests.dashboards.world import YEAR, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, county_admin):
    return build_world(county, county_admin)


def _page(client, name, **params) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.status_code
    return text(response)


def _assert_figures_equal_lists(client, page: str, expected_keys: set[str]) -> dict:
    found = figures(page)
    assert expected_keys <= set(found), expected_keys - set(found)
    for key, (url, count) in found.items():
        assert listed(client, url) == count, (key, url, count)
    return found


LEADER_KEYS = {
    "organizations", "members", "compliant", "missed", "findings_open", "findings_overdue", "penalties", "weak",
    "not_on_duty",
}  # fmt: skip
DESK_KEYS = {
    "meetings_overdue", "meetings_due_soon", "findings_open", "findings_in_progress", "findings_overdue",
    "checks_open", "weak", "terms_overdue", "terms_within_month", "terms_within_half_year", "terms_missing",
    "funds_late", "not_on_duty", "task-todo", "task-returned", "task-overdue", "task-review",
}  # fmt: skip


def test_leader_figures_equal_their_lists(client, world, leader):
    as_user(client, leader)
    page = _page(client, "dashboards:leader", year=YEAR)
    found = _assert_figures_equal_lists(client, page, LEADER_KEYS)
    assert found["members"][1] == 5 and found["penalties"][1] == 1 and found["organizations"][1] == 8
    # the ranking groups of 2024 (2025 not published): each group's count is its ranking page's rows
    groups = [k for k in found if k.startswith("group-")]
    assert sorted(found[k][1] for k in groups) == [2, 4]
    assert "2025年度尚未发布" in page


def test_leader_figures_of_a_township_carry_it_into_every_link(client, world, leader, county):
    as_user(client, leader)
    page = _page(client, "dashboards:leader", year=YEAR, org=county.township_a.pk)
    found = _assert_figures_equal_lists(client, page, LEADER_KEYS)
    assert found["members"][1] == 4 and found["penalties"][1] == 0
    for key in ("findings_open", "compliant", "penalties", "weak", "not_on_duty"):
        assert f"organization={county.township_a.pk}" in found[key][0], key
    assert f"org={county.township_a.pk}" in found["members"][0]
    assert "year=2025" in found["compliant"][0] and "year=2024" in found["penalties"][0]


def test_desk_figures_equal_their_lists_for_the_county_and_a_township(client, world, county_admin, township_admin):
    as_user(client, county_admin)
    _assert_figures_equal_lists(client, _page(client, "dashboards:desk", year=YEAR), DESK_KEYS)
    as_user(client, township_admin)
    found = _assert_figures_equal_lists(client, _page(client, "dashboards:desk", year=YEAR), DESK_KEYS)
    assert found["funds_late"][1] == 1  # a1's allocation; b1's arrived


def test_the_year_and_subtree_come_from_the_top(client, world, county_admin, county):
    as_user(client, county_admin)
    page = _page(client, "dashboards:leader", year=2024, org=county.township_b.pk)
    assert "石门镇党委 · 2024年党建工作总览" in page
    assert '<option value="2024" selected>' in page
    snapshot = Snapshot.objects.get(kind="leader", organization=county.township_b, year=2024)
    assert snapshot.data["overview"]["penalty_year"] == 2023


def test_a_subtree_outside_the_scope_is_not_found(client, world, sibling_admin, county):
    as_user(client, sibling_admin)
    for name in ("dashboards:leader", "dashboards:desk"):
        assert client.get(reverse(name), {"org": county.township_a.pk}).status_code == 404
        assert client.get(reverse(name), {"org": "abc"}).status_code == 404
    # their own township is their default subtree
    assert "石门镇党委 · " in _page(client, "dashboards:leader")
    assert not Snapshot.objects.filter(organization=county.township_a).exists()


def test_roles_land_on_their_own_dashboard(client, world, county_admin, leader, secretary, township_admin):
    for user, name in (
        (county_admin, "dashboards:desk"),
        (township_admin, "dashboards:desk"),
        (leader, "dashboards:leader"),
        (secretary, "dashboards:secretary"),
    ):
        as_user(client, user)
        response = client.get("/", follow=True)
        assert response.redirect_chain[-1][0] == reverse(name), user
    anonymous = client.__class__()
    assert anonymous.get(reverse("dashboards:leader")).status_code == 302


def test_read_only_users_have_no_desk(client, world, leader, secretary):
    for user in (leader, secretary):
        as_user(client, user)
        assert client.get(reverse("dashboards:desk")).status_code == 403


def test_secretary_home_lists_due_meetings_tasks_and_findings(client, world, secretary, county):
    as_user(client, secretary)
    page = _page(client, "dashboards:secretary")
    assert "东街村党支部" in page and "还需召开" in page
    assert "待整改的问题（1）" in page and "三会一课记录不全" in page  # a1's finding, open
    assert "待上报的任务（0）" in page
    assert f"{reverse('meetings:create')}?branch={county.village_a1.pk}" in page  # one-tap entry


def test_a_staff_member_without_a_branch_goes_to_the_desk(client, world, county_admin):
    as_user(client, county_admin)
    response = client.get(reverse("dashboards:secretary"))
    assert response.status_code == 302 and response.url == reverse("dashboards:desk")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_data(client, world, county_admin, county):
    """A warm dashboard reads its snapshot: the same number of queries before and after the county doubles."""
    as_user(client, county_admin)
    leader_url, desk_url = f"{reverse('dashboards:leader')}?year={YEAR}", f"{reverse('dashboards:desk')}?year={YEAR}"
    client.get(leader_url), client.get(desk_url)  # computed once
    before = (_queries(client, leader_url), _queries(client, desk_url))
    from tests.members.api_helpers import make_member

    for n in range(10, 40):
        make_member(county.village_b2, n)
    client.get(leader_url), client.get(desk_url)  # the writes made them stale: computed again, once
    after = (_queries(client, leader_url), _queries(client, desk_url))
    assert after == before
    assert before[0] <= 12 and before[1] <= 20, before


def test_a_leader_in_two_counties_chooses_between_them(client, county, db):
    from organizations.services import organization_create

    other = organization_create(actor=None, parent=None, code="Z", name="另一县委", kind="县委")
    user = account_create(actor=None, username="two", password=PASSWORD, organization=county.root, role="leader")
    from accounts.models import RoleGrant

    RoleGrant.objects.create(user=user, organization=other, role="leader")
    as_user(client, user)
    page = _page(client, "dashboards:leader")
    assert "测试县委" in page and "另一县委" in page
    found = figures(page)
    assert f"org={county.root.pk}" in found["members"][0]  # two roots: the link names the one shown
