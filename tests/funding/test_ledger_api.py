"""The ledgers over REST: /api/fund-allocations/, /api/fund-disbursements/, /api/fund-expenditures/ (scope, filters,
writes through the services with their Chinese messages, a refused write changing nothing) and
/api/funding/summary/ (figures as strings of Decimal, rates null where the divisor is 0); list query counts flat."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding.models import Allocation, Disbursement, Expenditure
from funding.services.ledger import allocation_create, disbursement_create, expenditure_create

from .conftest import D
from .test_ledger_pages import rows, upload
from .test_summary_pages import YEAR, build_ledgers

pytestmark = pytest.mark.django_db

ALLOCATIONS = "/api/fund-allocations/"
DISBURSEMENTS = "/api/fund-disbursements/"
EXPENDITURES = "/api/fund-expenditures/"
SUMMARY = "/api/funding/summary/"


@pytest.fixture
def world(county, funds):
    build_ledgers(county, funds)
    a = Allocation.objects.get(organization=county.village_a1)
    return {"county": county, "funds": funds, "allocation": a, "disbursement": Disbursement.objects.get(allocation=a),
            "expenditure": Expenditure.objects.get()}  # fmt: skip


def test_anonymous_is_refused(api_as, world):
    before = rows()
    for path in (ALLOCATIONS, DISBURSEMENTS, EXPENDITURES, SUMMARY):
        assert api_as(None).get(path).status_code in (401, 403), path
    assert api_as(None).post(ALLOCATIONS, {}, format="json").status_code in (401, 403)
    assert rows() == before


def test_lists_are_scoped_and_amounts_are_strings(api_as, world, township_admin, sibling_admin):
    county = world["county"]
    response = api_as(township_admin).get(ALLOCATIONS)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["organization"]["code"] for r in results] == ["C01", "C01001"]  # newest first, township A only
    a = results[1]
    assert (a["amount"], a["arrived"], a["outstanding"], a["overdue"]) == ("300.00", "200.00", "100.00", True)
    assert (a["category"]["name"], a["source"]["name"], a["deadline"], a["document_no"]) == (
        "村级组织运转经费", "县财政", "2025-03-31", "县组发〔2025〕3号",
    )  # fmt: skip
    d = api_as(township_admin).get(DISBURSEMENTS).json()["results"]
    assert [(x["amount"], x["allocation"], x["voucher"]) for x in d] == [("200.00", a["id"], "PZ-001")]
    e = api_as(township_admin).get(EXPENDITURES).json()["results"]
    assert [(x["amount"], x["purpose"], x["source"], x["files"]) for x in e] == [("50.00", "购买办公用品", None, [])]
    # The sibling township sees its own only, and A's records are "not found".
    sibling = api_as(sibling_admin)
    assert [r["organization"]["code"] for r in sibling.get(ALLOCATIONS).json()["results"]] == ["C02001"]
    for path in (f"{ALLOCATIONS}{a['id']}/", f"{DISBURSEMENTS}{d[0]['id']}/", f"{EXPENDITURES}{e[0]['id']}/"):
        assert sibling.get(path).status_code == 404
    before = rows()
    assert sibling.patch(f"{ALLOCATIONS}{a['id']}/", {"note": "x"}, format="json").status_code == 404
    assert sibling.delete(f"{EXPENDITURES}{e[0]['id']}/").status_code == 404
    assert sibling.post(
        EXPENDITURES, {"organization_id": county.village_a1.pk, "year": YEAR, "category_id": world["funds"].operating.pk,
                       "amount": "1", "spent_on": "2025-05-01", "purpose": "x"}, format="json",
    ).status_code == 404  # fmt: skip
    assert rows() == before


def test_filters(api_as, world, county_admin):
    county, funds = world["county"], world["funds"]
    c = api_as(county_admin)

    def codes(path, **params):
        return [r["organization"]["code"] for r in c.get(path, params).json()["results"]]

    assert codes(ALLOCATIONS) == ["C01", "C01001", "C02001"]
    assert codes(ALLOCATIONS, organization=county.township_a.pk) == ["C01", "C01001"]  # with its subtree
    assert codes(ALLOCATIONS, year=YEAR - 1) == []
    assert codes(ALLOCATIONS, category=funds.pay.pk) == ["C01"]
    assert codes(ALLOCATIONS, source=funds.county.pk) == ["C01001", "C02001"]
    assert codes(ALLOCATIONS, overdue="true") == ["C01", "C01001"]
    assert codes(ALLOCATIONS, overdue="false") == ["C02001"]  # fully arrived
    assert codes(DISBURSEMENTS, organization=county.township_b.pk) == ["C02001"]
    assert codes(DISBURSEMENTS, allocation=world["allocation"].pk) == ["C01001"]
    assert codes(EXPENDITURES, category=funds.pay.pk) == []


def test_allocating_and_disbursing(api_as, world, township_admin):
    county, funds = world["county"], world["funds"]
    c = api_as(township_admin)
    response = c.post(
        ALLOCATIONS,
        {"organization_id": county.village_a2.pk, "year": YEAR, "category_id": funds.operating.pk,
         "source_id": funds.township.pk, "amount": "2000", "allocated_on": "2025-07-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["deadline"], body["arrived"], body["overdue"]) == (
        "2000.00",
        "2025-07-31",
        "0.00",
        True,
    )
    before = rows()
    # More than the allocation lacks: refused with the service's words, nothing saved.
    response = c.post(DISBURSEMENTS, {"allocation_id": body["id"], "amount": "2000.01", "paid_on": "2025-07-02"},
                      format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "amount": ["这笔下达 2,000.00 元，已拨付 0.00 元，还可拨付 2,000.00 元；本次 2,000.01 元超出下达金额。"]
    }
    assert rows() == before
    response = c.post(DISBURSEMENTS, {"allocation_id": body["id"], "amount": "10.001", "paid_on": "2025-07-02"},
                      format="json")  # fmt: skip
    assert response.json() == {"amount": ["金额 10.001 超过两位小数：金额以元为单位，精确到分。"]}
    assert rows() == before
    response = c.post(DISBURSEMENTS, {"allocation_id": body["id"], "amount": 1500.5, "paid_on": "2025-07-02"},
                      format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["amount"] == "1500.50"
    d = response.json()
    assert c.get(f"{ALLOCATIONS}{body['id']}/").json()["outstanding"] == "499.50"
    # Corrections and deletion through the services.
    response = c.patch(f"{DISBURSEMENTS}{d['id']}/", {"amount": "2000.50"}, format="json")
    assert response.status_code == 400 and "超出下达金额" in response.json()["amount"][0]
    response = c.patch(f"{ALLOCATIONS}{body['id']}/", {"category_id": funds.pay.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"category_id": ["这笔下达已拨付 1,500.50 元，不能再改经费类别。"]}
    response = c.patch(f"{ALLOCATIONS}{body['id']}/", {"category_id": 999999}, format="json")
    assert response.json() == {"category_id": ["没有编号为 999999 的经费类别。"]}
    before = rows()
    response = c.delete(f"{ALLOCATIONS}{body['id']}/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["这笔下达已拨付 1,500.50 元，请先删除对应的拨付记录。"]}
    assert rows() == before
    assert c.delete(f"{DISBURSEMENTS}{d['id']}/").status_code == 204
    assert c.delete(f"{ALLOCATIONS}{body['id']}/").status_code == 204
    assert not Allocation.objects.filter(pk=body["id"]).exists()


def test_who_may_write_what(api_as, world, secretary, leader):
    county, funds, a = world["county"], world["funds"], world["allocation"]
    allocation = {"organization_id": county.village_a1.pk, "year": YEAR, "category_id": funds.operating.pk,
                  "source_id": funds.county.pk, "amount": "5", "allocated_on": "2025-06-01"}  # fmt: skip
    spending = {"organization_id": county.village_a1.pk, "year": YEAR, "category_id": funds.operating.pk,
                "amount": "5", "spent_on": "2025-06-01", "purpose": "茶叶"}  # fmt: skip
    before = rows()
    for user in (secretary, leader):
        c = api_as(user)
        assert c.post(ALLOCATIONS, allocation, format="json").status_code == 403
        assert c.post(DISBURSEMENTS, {"allocation_id": a.pk, "amount": "1", "paid_on": "2025-03-11"},
                      format="json").status_code == 403  # fmt: skip
        assert c.patch(f"{ALLOCATIONS}{a.pk}/", {"note": "x"}, format="json").status_code == 403
        assert c.delete(f"{DISBURSEMENTS}{world['disbursement'].pk}/").status_code == 403
    leader_client = api_as(leader)
    assert leader_client.post(EXPENDITURES, spending, format="json").status_code == 403
    assert leader_client.delete(f"{EXPENDITURES}{world['expenditure'].pk}/").status_code == 403
    assert rows() == before
    # The secretary records spending, with a voucher.
    response = api_as(secretary).post(EXPENDITURES, {**spending, "file": [upload()]}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "5.00" and [f["name"] for f in body["files"]] == ["发票.jpg"]
    assert body["files"][0]["url"] == f"/funding/expenditures/files/{body['files'][0]['id']}/"  # a scoped page
    response = api_as(secretary).patch(f"{EXPENDITURES}{body['id']}/", {"amount": "6", "source_id": funds.county.pk},
                                      format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["source"]["name"] == "县财政"


def test_spending_beyond_what_arrived_is_refused(api_as, world, secretary):
    county, funds = world["county"], world["funds"]
    before = rows()
    response = api_as(secretary).post(
        EXPENDITURES,
        {"organization_id": county.village_a1.pk, "year": YEAR, "category_id": funds.operating.pk,
         "amount": "150.01", "spent_on": "2025-06-01", "purpose": "超支"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "amount": [
            "2025年“村级组织运转经费”到位 200.00 元，支出将达 200.01 元，超出 0.01 元：专款专用，支出不能超过该类别已到位的资金。"
        ]
    }
    assert rows() == before
    response = api_as(secretary).post(
        EXPENDITURES,
        {"organization_id": county.village_a1.pk, "year": YEAR, "category_id": funds.operating.pk,
         "amount": "1", "spent_on": "2024-06-01", "purpose": "x"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "spent_on" in response.json()
    assert rows() == before


def test_the_summary_endpoint(api_as, world, township_admin, county_admin, sibling_admin):
    county, funds = world["county"], world["funds"]
    response = api_as(township_admin).get(SUMMARY, {"year": YEAR})
    assert response.status_code == 200
    body = response.json()
    assert (body["organization"]["code"], body["year"], body["by"]) == ("C01", YEAR, "unit")
    assert body["totals"] == {"allocated": "400.00", "disbursed": "200.00", "spent": "50.00", "owed": "200.00",
                              "arrival_rate": "50.00", "use_rate": "25.00"}  # fmt: skip
    assert body["groups"] == [
        {"id": county.township_a.pk, "code": "C01", "name": "城关镇党委", "own": True, "allocated": "100.00",
         "disbursed": "0.00", "spent": "0.00", "owed": "100.00", "arrival_rate": "0.00", "use_rate": None},
        {"id": county.village_a1.pk, "code": "C01001", "name": "东街村党支部", "own": False, "allocated": "300.00",
         "disbursed": "200.00", "spent": "50.00", "owed": "100.00", "arrival_rate": "66.67", "use_rate": "25.00"},
        {"id": county.village_a2.pk, "code": "C01002", "name": "西街村党支部", "own": False, "allocated": "0.00",
         "disbursed": "0.00", "spent": "0.00", "owed": "0.00", "arrival_rate": None, "use_rate": None},
    ]  # fmt: skip
    c = api_as(county_admin)
    by_category = c.get(SUMMARY, {"year": YEAR, "by": "category"}).json()
    assert [(g["name"], g["allocated"], g["arrival_rate"]) for g in by_category["groups"]] == [
        ("村级组织运转经费", "1300.00", "92.31"), ("村干部报酬", "100.00", "0.00"),
    ]  # fmt: skip
    assert by_category["totals"]["arrival_rate"] == "85.71"
    by_source = c.get(SUMMARY, {"year": YEAR, "by": "source", "organization": county.township_a.pk}).json()
    assert [(g["id"], g["name"], g["spent"]) for g in by_source["groups"]] == [
        (funds.county.pk, "县财政", "0.00"), (funds.township.pk, "乡镇", "0.00"), (None, "未指定来源", "50.00"),
    ]  # fmt: skip
    by_org = c.get(SUMMARY, {"year": YEAR, "by": "organization"}).json()
    assert [g["code"] for g in by_org["groups"]] == ["C01", "C01001", "C02001"]
    response = c.get(SUMMARY, {"by": "everything"})
    assert response.status_code == 400 and "汇总方式应为" in response.json()["by"][0]
    assert api_as(sibling_admin).get(SUMMARY, {"organization": county.township_a.pk}).status_code == 404


def test_list_queries_do_not_grow_with_the_rows(api_as, world, county_admin):
    county, funds = world["county"], world["funds"]
    c = api_as(county_admin)
    counts = {}
    for size in ("few", "more"):
        if size == "more":
            for org in (county.village_a2, county.village_b2, county.dept):
                a = allocation_create(
                    actor=None, organization=org, year=YEAR, category=funds.pay, source=funds.township,
                    amount="100", allocated_on=D(YEAR, 8, 1),
                )  # fmt: skip
                disbursement_create(actor=None, allocation=a, amount="60", paid_on=D(YEAR, 8, 2))
                expenditure_create(
                    actor=None, organization=org, year=YEAR, category=funds.pay, amount="10", spent_on=D(YEAR, 8, 3),
                    purpose="补贴", files=[upload()],
                )  # fmt: skip
        for path in (ALLOCATIONS, DISBURSEMENTS, EXPENDITURES, SUMMARY):
            c.get(path)
            with CaptureQueriesContext(connection) as queries:
                assert c.get(path, {"year": YEAR}).status_code == 200
            counts[(size, path)] = len(queries.captured_queries)
    for path in (ALLOCATIONS, DISBURSEMENTS, EXPENDITURES, SUMMARY):
        assert counts[("more", path)] == counts[("few", path)], path
