"""Reads of the tree and the posts: who was secretary on a date, subtrees and ancestors, scoped lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from core.exceptions import NotInScope
from organizations import selectors
from organizations.models import Organization
from tests.factories import OrganizationFactory, PersonFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def handover(county):
    """东街村: 张三 secretary 2020-01-01 – 2024-12-31, 李四 from 2025-01-01; a deputy the whole time."""
    zhang = PersonFactory(name="张三")
    li = PersonFactory(name="李四")
    PostFactory(
        organization=county.village_a1, person=zhang, start_on=dt.date(2020, 1, 1), end_on=dt.date(2024, 12, 31)
    )
    PostFactory(organization=county.village_a1, person=li, start_on=dt.date(2025, 1, 1))
    PostFactory(organization=county.village_a1, person=PersonFactory(name="副书记"), title="副书记")
    return zhang, li


def test_secretary_on_inclusive_end_date_and_new_year_change(county, handover):
    zhang, li = handover
    org = county.village_a1
    assert selectors.secretary_on(organization=org, on=dt.date(2019, 12, 31)) is None
    assert selectors.secretary_on(organization=org, on=dt.date(2020, 1, 1)) == zhang
    assert selectors.secretary_on(organization=org, on=dt.date(2024, 6, 30)) == zhang
    assert selectors.secretary_on(organization=org, on=dt.date(2024, 12, 31)) == zhang  # the end date is inclusive
    assert selectors.secretary_on(organization=org, on=dt.date(2025, 1, 1)) == li
    assert selectors.secretary_on(organization=org, on=dt.date(2030, 12, 31)) == li  # open-ended


def test_secretary_on_a_gap_is_none(county):
    PostFactory(organization=county.village_a2, start_on=dt.date(2018, 1, 1), end_on=dt.date(2022, 3, 31))
    PostFactory(organization=county.village_a2, start_on=dt.date(2023, 1, 1))
    assert selectors.secretary_on(organization=county.village_a2, on=dt.date(2022, 3, 31)) is not None
    assert selectors.secretary_on(organization=county.village_a2, on=dt.date(2022, 4, 1)) is None
    assert selectors.secretary_on(organization=county.village_a2, on=dt.date(2022, 12, 31)) is None
    assert selectors.secretary_on(organization=county.village_b1, on=dt.date(2022, 12, 31)) is None


def test_secretaries_on_many_orgs_in_one_query(county, handover, django_assert_num_queries):
    zhang, li = handover
    b1 = PersonFactory(name="王五")
    PostFactory(organization=county.village_b1, person=b1, start_on=dt.date(2024, 12, 31))
    extra = [OrganizationFactory(parent=county.township_b) for _ in range(5)]
    extra_people = [PostFactory(organization=o, start_on=dt.date(2023, 1, 1)).person for o in extra]
    ids = [o.pk for o in county.all()] + [o.pk for o in extra]

    with django_assert_num_queries(1):
        on_new_year_eve = selectors.secretaries_on(organization_ids=ids, on=dt.date(2024, 12, 31))
        names = {k: v.name for k, v in on_new_year_eve.items()}  # persons come with the same query
    assert on_new_year_eve[county.village_a1.pk] == zhang
    assert on_new_year_eve[county.village_b1.pk] == b1
    assert county.village_a2.pk not in on_new_year_eve and county.root.pk not in on_new_year_eve
    assert [on_new_year_eve[o.pk] for o in extra] == extra_people
    assert len(names) == 7

    with django_assert_num_queries(1):
        on_new_year = selectors.secretaries_on(organization_ids=iter(ids), on=dt.date(2025, 1, 1))
    assert on_new_year[county.village_a1.pk] == li
    assert on_new_year[county.village_b1.pk] == b1

    with django_assert_num_queries(1):
        before = selectors.secretaries_on(organization_ids=ids, on=dt.date(2019, 12, 31))
    assert before == {}


def test_subtree_and_ancestors(county):
    assert {o.code for o in selectors.subtree(county.township_a)} == {"C01", "C01001", "C01002"}
    assert [o.code for o in selectors.ancestors(county.village_b2)] == ["C", "C02"]
    assert selectors.ancestors(county.root) == []


def test_subtree_counts(county):
    counts = selectors.subtree_counts(county.root)
    assert counts["total"] == 7
    assert counts["by_kind"] == {"党委": 2, "党支部": 5}
    assert counts["by_domain"] == {"农村": 3, "社区": 1, "机关": 1}


def test_scope_roots(county, township_admin, secretary):
    assert [o.code for o in selectors.scope_roots(actor=None)] == ["C"]
    assert [o.code for o in selectors.scope_roots(actor=township_admin)] == ["C01"]
    assert [o.code for o in selectors.scope_roots(actor=secretary)] == ["C01001"]
    assert list(selectors.scope_roots(actor=AnonymousUser())) == []


def test_organization_list_is_scoped(county, township_admin):
    assert {o.code for o in selectors.organization_list(actor=township_admin)} == {"C01", "C01001", "C01002"}


def test_children_of_is_scoped(county, township_admin, secretary):
    assert [o.code for o in selectors.children_of(actor=township_admin, parent=county.township_a)] == [
        "C01001",
        "C01002",
    ]
    assert list(selectors.children_of(actor=township_admin, parent=county.township_b)) == []
    assert [o.code for o in selectors.children_of(actor=secretary, parent=county.township_a)] == ["C01001"]


def test_organization_search_is_scoped(county, township_admin):
    assert {o.code for o in selectors.organization_search(actor=None, query=" 村 ")} == {
        "C01001",
        "C01002",
        "C02001",
        "C02002",
    }
    assert {o.code for o in selectors.organization_search(actor=township_admin, query="村")} == {"C01001", "C01002"}
    assert {o.code for o in selectors.organization_search(actor=township_admin, query="C02")} == set()


def test_organization_by_code_for(county, township_admin):
    assert selectors.organization_by_code_for(township_admin, "C01002") == county.village_a2
    with pytest.raises(NotInScope):
        selectors.organization_by_code_for(township_admin, "C02002")
    with pytest.raises(NotInScope):
        selectors.organization_by_code_for(township_admin, "NOPE")


def test_post_list_is_scoped(county, township_admin, secretary, django_assert_max_num_queries):
    for org in county.all()[3:]:
        PostFactory(organization=org, title="委员")
    township_admin.scope_paths("view")  # the account's grants are loaded once per request (see tests/accounts)
    with django_assert_max_num_queries(1):
        rows = [(p.organization.code, p.person.name) for p in selectors.post_list(actor=township_admin)]
    assert sorted(code for code, _ in rows) == ["C01001", "C01002"]
    assert [p.organization.code for p in selectors.post_list(actor=secretary)] == ["C01001"]


def test_effective_term_and_overdue(county):
    village, township, dept = county.village_a1, county.township_a, county.dept
    assert village.effective_term_years == 5  # 农村
    assert county.village_b2.effective_term_years == 5  # 社区
    assert township.effective_term_years == 5  # 党委
    assert dept.effective_term_years == 3
    dept.term_years = 4
    assert dept.effective_term_years == 4

    assert township.term_ends_on == dt.date(2026, 6, 1)
    assert township.term_overdue(today=dt.date(2026, 6, 1)) is False
    assert township.term_overdue(today=dt.date(2026, 6, 2)) is True
    assert village.term_ends_on is None and village.term_overdue() is False

    leap = Organization(kind="党支部", domain="机关", last_election_on=dt.date(2024, 2, 29))
    assert leap.term_ends_on == dt.date(2027, 2, 28)
