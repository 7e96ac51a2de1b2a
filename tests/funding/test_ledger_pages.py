"""An organization's ledger (/funding/orgs/<pk>/), the forms of its records, the spending vouchers and the records
list (/funding/records/): figures equal to numbers worked by hand, what each role may see and do (the sibling
township gets 404, the leader reads only: no forms, every POST refused and nothing changed), the services' Chinese
messages next to the fields they name (a refused write changes nothing), the export's columns, and query counts
that do not grow with the records."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from funding.models import Allocation, Disbursement, Expenditure, ExpenditureAttachment
from funding.services.ledger import allocation_create, disbursement_create, expenditure_create

from .conftest import D
from .test_summary_pages import YEAR, build_ledgers, no_inline_scripts, table_rows, workbook_rows

pytestmark = pytest.mark.django_db

RECORDS = reverse("funding:records")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def ledger(org, year=YEAR) -> str:
    return f"{reverse('funding:ledger', args=[org.pk])}?year={year}"


def url(name: str, pk, year: int | None = None) -> str:
    return reverse(f"funding:{name}", args=[pk]) + (f"?year={year}" if year else "")


def rows() -> tuple:
    """Everything a write could change (the audit trail included)."""
    return (
        sorted(Allocation.objects.values_list("id", "amount", "allocated_on", "deadline", "category_id", "note")),
        sorted(Disbursement.objects.values_list("id", "amount", "paid_on", "voucher")),
        sorted(Expenditure.objects.values_list("id", "amount", "spent_on", "purpose")),
        ExpenditureAttachment.objects.count(),
        AuditEvent.objects.count(),
    )


def upload(name="发票.jpg", content=JPEG, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def client_as(client):
    def make(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def world(county, funds):
    build_ledgers(county, funds)
    a = Allocation.objects.get(organization=county.village_a1)
    e = Expenditure.objects.get()
    e_file = expenditure_create(
        actor=None, organization=county.village_a1, year=YEAR, category=funds.operating, amount="10.00",
        spent_on=D(YEAR, 4, 2), purpose="打印材料", files=[upload()],
    )  # fmt: skip
    return {
        "county": county,
        "funds": funds,
        "allocation": a,
        "disbursement": Disbursement.objects.get(allocation=a),
        "expenditure": e,
        "with_file": e_file,
        "file": ExpenditureAttachment.objects.get(),
        "town_allocation": Allocation.objects.get(organization=county.township_a),
    }


# --- Who sees what ----------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, world):
    county, a = world["county"], world["allocation"]
    for target in (ledger(county.village_a1), RECORDS, url("allocation_create", county.village_a1.pk),
                   url("expenditure_create", county.village_a1.pk), url("expenditure_file", world["file"].pk)):  # fmt: skip
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], target
    before = rows()
    assert client.post(url("allocation_delete", a.pk)).status_code == 302
    assert client.post(url("disbursement_create", a.pk), {"amount": "1", "paid_on": "2025-03-11"}).status_code == 302
    assert rows() == before


def test_the_village_ledger_equals_the_hand_worked_figures(client_as, world, township_admin):
    county = world["county"]
    response = client_as(township_admin).get(ledger(county.village_a1))
    assert response.status_code == 200
    # 300.00 allocated, 200.00 arrived, 50.00 + 10.00 spent.
    assert [(c["label"], c["text"]) for c in response.context["cards"]] == [
        ("下达", "300.00"), ("到位", "200.00"), ("支出", "60.00"), ("尚欠", "100.00"), ("到位率", "66.67%"),
        ("使用率", "30.00%"),
    ]  # fmt: skip
    [line] = response.context["lines"]
    assert line.category.name == "村级组织运转经费"
    allocations = table_rows(response, "funding-allocations")
    assert allocations[1][:6] == [
        "2025-03-01", "300.00", "县财政", "县组发〔2025〕3号",
        f"2025-03-31 逾期 {(timezone.localdate() - D(2025, 3, 31)).days} 天", "100.00",
    ]  # fmt: skip
    disbursements = table_rows(response, "funding-disbursements")
    assert disbursements[1][:4] == [
        "2025-03-10",
        "200.00",
        "PZ-001",
        "2025-03-01 · 县财政 · 300.00 元 · 县组发〔2025〕3号",
    ]
    spending = table_rows(response, "funding-expenditures")
    assert [r[:4] for r in spending[1:]] == [
        ["2025-04-01", "50.00", "购买办公用品", "FP-01"],
        ["2025-04-02", "10.00", "打印材料", "—"],
    ]
    assert spending[2][4] == "发票.jpg"
    html = response.content.decode()
    assert url("expenditure_file", world["file"].pk) in html
    assert "有 1 笔下达已过拨付时限仍未足额到位" in html
    assert no_inline_scripts(html)


def test_a_ledger_with_nothing_shows_blank_rates(client_as, world, township_admin):
    response = client_as(township_admin).get(ledger(world["county"].village_a2))
    assert [c["text"] for c in response.context["cards"]] == ["0.00", "0.00", "0.00", "0.00", "—", "—"]
    assert "2025年暂无经费记录" in response.content.decode()
    # 城关镇 itself: 100.00 allocated, nothing arrived: 到位率 0.00%, 使用率 — (nothing to divide by).
    response = client_as(township_admin).get(ledger(world["county"].township_a))
    assert [c["text"] for c in response.context["cards"]] == ["100.00", "0.00", "0.00", "100.00", "0.00%", "—"]


def test_what_each_role_is_offered(client_as, world, county_admin, township_admin, secretary, leader, inspector):
    county = world["county"]
    add_spending = "funding-add-expenditure"
    add_allocation = "funding-add-allocation"
    for user, spend, allocate in (
        (county_admin, True, True),
        (township_admin, True, True),
        (secretary, True, False),
        (leader, False, False),
        (inspector, False, False),
    ):
        response = client_as(user).get(ledger(county.village_a1))
        assert response.status_code == 200, user
        html = response.content.decode()
        assert (add_spending in html) is spend, user
        assert (add_allocation in html) is allocate, user
        assert (url("allocation_delete", world["allocation"].pk) in html) is allocate, user
        assert (url("disbursement_create", world["allocation"].pk) in html) is allocate, user
        assert (url("expenditure_delete", world["expenditure"].pk) in html) is spend, user
        assert ('method="post" action="/funding/' in html) is spend, user  # the leader and the inspector: no form


def test_the_sibling_township_gets_404_and_changes_nothing(client_as, world, sibling_admin):
    county, a, d, e = world["county"], world["allocation"], world["disbursement"], world["expenditure"]
    c = client_as(sibling_admin)
    for target in (
        ledger(county.village_a1),
        ledger(county.township_a),
        url("allocation_create", county.village_a1.pk),
        url("expenditure_create", county.village_a1.pk),
        url("allocation_update", a.pk),
        url("disbursement_create", a.pk),
        url("disbursement_update", d.pk),
        url("expenditure_update", e.pk),
        url("expenditure_file", world["file"].pk),
    ):
        assert c.get(target).status_code == 404, target
    before = rows()
    for target, data in (
        (url("allocation_create", county.village_a1.pk, YEAR), {"category": world["funds"].operating.pk,
         "source": world["funds"].county.pk, "amount": "5", "allocated_on": "2025-06-01"}),
        (url("allocation_update", a.pk), {"amount": "999"}),
        (url("allocation_delete", a.pk), {}),
        (url("disbursement_create", a.pk), {"amount": "1", "paid_on": "2025-03-11"}),
        (url("disbursement_delete", d.pk), {}),
        (url("expenditure_create", county.village_a1.pk, YEAR), {"category": world["funds"].operating.pk,
         "amount": "1", "spent_on": "2025-05-01", "purpose": "x"}),
        (url("expenditure_delete", e.pk), {}),
    ):  # fmt: skip
        assert c.post(target, data).status_code == 404, target
    assert rows() == before
    assert c.get(ledger(county.village_b1)).status_code == 200  # their own


def test_the_leader_reads_only(client_as, world, leader):
    county, a, d, e = world["county"], world["allocation"], world["disbursement"], world["expenditure"]
    c = client_as(leader)
    for target in (url("allocation_create", county.village_a1.pk), url("expenditure_create", county.village_a1.pk),
                   url("allocation_update", a.pk), url("disbursement_create", a.pk), url("expenditure_update", e.pk)):  # fmt: skip
        assert c.get(target).status_code == 403, target
    before = rows()
    funds = world["funds"]
    for target, data in (
        (url("allocation_create", county.village_a1.pk, YEAR), {"category": funds.operating.pk,
         "source": funds.county.pk, "amount": "5", "allocated_on": "2025-06-01"}),
        (url("allocation_update", a.pk), {"category": funds.operating.pk, "source": funds.county.pk,
         "amount": "999", "allocated_on": "2025-03-01", "deadline": "2025-03-31"}),
        (url("allocation_delete", a.pk), {}),
        (url("disbursement_create", a.pk), {"amount": "1", "paid_on": "2025-03-11"}),
        (url("disbursement_update", d.pk), {"amount": "1", "paid_on": "2025-03-11"}),
        (url("disbursement_delete", d.pk), {}),
        (url("expenditure_create", county.village_a1.pk, YEAR), {"category": funds.operating.pk,
         "amount": "1", "spent_on": "2025-05-01", "purpose": "x"}),
        (url("expenditure_update", e.pk), {"amount": "1", "spent_on": "2025-05-01", "purpose": "x"}),
        (url("expenditure_delete", e.pk), {}),
    ):  # fmt: skip
        assert c.post(target, data).status_code == 403, target
    assert rows() == before
    # The file of a ledger the leader sees may be read.
    assert c.get(url("expenditure_file", world["file"].pk)).status_code == 200


def test_the_secretary_records_spending_with_a_voucher_but_not_allocations(client_as, world, secretary):
    county, funds = world["county"], world["funds"]
    c = client_as(secretary)
    assert c.get(url("allocation_create", county.village_a1.pk)).status_code == 403
    assert c.get(url("disbursement_create", world["allocation"].pk)).status_code == 403
    form = c.get(url("expenditure_create", county.village_a1.pk, YEAR) + f"&category={funds.operating.pk}")
    assert form.status_code == 200
    assert "村级组织运转经费（可用 140.00 元）" in form.content.decode()  # 200.00 arrived − 60.00 spent
    response = c.post(
        url("expenditure_create", county.village_a1.pk, YEAR),
        {"category": funds.operating.pk, "amount": "120.50", "spent_on": "2025-06-01", "purpose": "党员活动室电费",
         "voucher": "FP-09", "files": [upload("电费发票.jpg")]},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{ledger(county.village_a1)}#category-{funds.operating.pk}"
    e = Expenditure.objects.get(purpose="党员活动室电费")
    assert (str(e.amount), e.year, e.created_by, e.voucher) == ("120.50", YEAR, secretary, "FP-09")
    assert e.files.get().name == "电费发票.jpg"
    page = c.get(response["Location"])
    assert "已录入支出：党员活动室电费 120.50 元。" in page.content.decode()
    # Another village's ledger is not theirs.
    assert c.get(ledger(county.village_a2)).status_code == 404


def test_spending_beyond_what_arrived_is_refused_next_to_the_amount(client_as, world, secretary):
    county, funds = world["county"], world["funds"]
    before = rows()
    response = client_as(secretary).post(
        url("expenditure_create", county.village_a1.pk, YEAR),
        {"category": funds.operating.pk, "amount": "140.01", "spent_on": "2025-06-01", "purpose": "超支",
         "files": [upload()]},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [
        "2025年“村级组织运转经费”到位 200.00 元，支出将达 200.01 元，超出 0.01 元：专款专用，支出不能超过该类别已到位的资金。"
    ]
    assert rows() == before
    response = client_as(secretary).post(
        url("expenditure_create", county.village_a1.pk, YEAR),
        {"category": funds.operating.pk, "amount": "1.234", "spent_on": "2026-13-01", "purpose": ""},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "spent_on" in errors and "purpose" in errors
    assert rows() == before


def test_the_township_allocates_and_disburses(client_as, world, township_admin):
    county, funds = world["county"], world["funds"]
    c = client_as(township_admin)
    assert c.get(url("allocation_create", county.village_a2.pk, YEAR)).status_code == 200
    response = c.post(
        url("allocation_create", county.village_a2.pk, YEAR),
        {"category": funds.operating.pk, "source": funds.township.pk, "amount": "2,000", "allocated_on": "2025-07-01",
         "document_no": "城组〔2025〕7号"},
    )  # fmt: skip
    assert response.status_code == 302
    a = Allocation.objects.get(organization=county.village_a2)
    assert (str(a.amount), a.deadline, a.document_no) == ("2000.00", D(2025, 7, 31), "城组〔2025〕7号")
    form = c.get(url("disbursement_create", a.pk))
    assert form.context["form"].initial["amount"] == "2000.00"  # what it still lacks
    before = rows()
    response = c.post(url("disbursement_create", a.pk), {"amount": "2000.01", "paid_on": "2025-07-02"})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [
        "这笔下达 2,000.00 元，已拨付 0.00 元，还可拨付 2,000.00 元；本次 2,000.01 元超出下达金额。"
    ]
    assert rows() == before
    response = c.post(url("disbursement_create", a.pk), {"amount": "1500", "paid_on": "2025-06-30"})
    assert response.context["form"].errors["paid_on"] == ["拨付日期 2025-06-30 早于下达日期 2025-07-01。"]
    assert rows() == before
    response = c.post(url("disbursement_create", a.pk), {"amount": "1500", "paid_on": "2025-07-02", "voucher": "Z1"})
    assert response.status_code == 302
    assert Disbursement.objects.get(allocation=a).amount == 1500
    page = c.get(ledger(county.village_a2))
    assert [c["text"] for c in page.context["cards"]] == ["2,000.00", "1,500.00", "0.00", "500.00", "75.00%", "0.00%"]


def test_corrections_and_deletions(client_as, world, township_admin, secretary):
    a, d, e = world["allocation"], world["disbursement"], world["expenditure"]
    funds = world["funds"]
    c = client_as(township_admin)
    form = c.get(url("allocation_update", a.pk)).context["form"]
    assert form.fields["category"].disabled and form.fields["source"].disabled  # 200.00 has arrived
    before = rows()
    data = {"amount": "199.99", "allocated_on": "2025-03-01", "deadline": "2025-03-31", "document_no": "", "note": ""}
    response = c.post(url("allocation_update", a.pk), data)
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == ["这笔下达已拨付 200.00 元，下达金额不能少于已拨付的金额。"]
    assert rows() == before
    response = c.post(url("allocation_update", a.pk), {**data, "amount": "350", "category": funds.pay.pk})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (str(a.amount), a.category_id) == ("350.00", funds.operating.pk)  # the disabled category stays
    # An allocation something arrived against cannot go; the message says why and nothing changes.
    before = rows()
    response = c.post(url("allocation_delete", a.pk), follow=True)
    assert "未能删除下达记录：这笔下达已拨付 200.00 元，请先删除对应的拨付记录。" in response.content.decode()
    assert rows() == before
    # Cutting the disbursement below what was spent breaks 专款专用.
    response = c.post(url("disbursement_update", d.pk), {"amount": "59.99", "paid_on": "2025-03-10"})
    assert response.status_code == 400
    assert "专款专用" in response.context["form"].errors["amount"][0]
    assert rows() == before
    # The secretary corrects and deletes spending.
    s = client_as(secretary)
    response = s.post(url("expenditure_update", e.pk), {"amount": "55", "spent_on": "2025-04-01", "purpose": "办公用品",
                                                        "voucher": "FP-01", "note": "", "source": funds.county.pk})  # fmt: skip
    assert response.status_code == 302
    e.refresh_from_db()
    assert (str(e.amount), e.purpose, e.source_id) == ("55.00", "办公用品", funds.county.pk)
    file_row = world["file"]
    response = s.post(url("expenditure_delete", world["with_file"].pk), follow=True)
    assert "已删除支出记录：村级组织运转经费 10.00 元。" in response.content.decode()
    assert not Expenditure.objects.filter(pk=world["with_file"].pk).exists()
    assert not ExpenditureAttachment.objects.filter(pk=file_row.pk).exists()


def test_the_voucher_is_served_through_the_scope(client_as, world, secretary, sibling_admin):
    f = world["file"]
    response = client_as(secretary).get(url("expenditure_file", f.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == JPEG
    assert client_as(sibling_admin).get(url("expenditure_file", f.pk)).status_code == 404
    assert client_as(secretary).get(reverse("funding:expenditure_file", args=[999999])).status_code == 404


def test_ledger_queries_do_not_grow_with_the_records(client_as, world, township_admin):
    county, funds = world["county"], world["funds"]
    c = client_as(township_admin)
    c.get(ledger(county.village_a1))
    with CaptureQueriesContext(connection) as few:
        c.get(ledger(county.village_a1))
    for n in range(5):
        a = allocation_create(
            actor=None, organization=county.village_a1, year=YEAR, category=funds.pay, source=funds.township,
            amount="100", allocated_on=D(YEAR, 6, n + 1),
        )  # fmt: skip
        disbursement_create(actor=None, allocation=a, amount="60", paid_on=D(YEAR, 6, n + 2))
        expenditure_create(
            actor=None, organization=county.village_a1, year=YEAR, category=funds.pay, amount="10",
            spent_on=D(YEAR, 7, n + 1), purpose=f"补贴{n}", files=[upload()],
        )  # fmt: skip
    with CaptureQueriesContext(connection) as more:
        response = c.get(ledger(county.village_a1))
    assert len(response.context["lines"]) == 2
    assert len(more.captured_queries) == len(few.captured_queries)


# --- Records list ---------------------------------------------------------------------------------------------------


def test_the_records_list_and_its_filters(client_as, world, township_admin, county_admin):
    county, funds = world["county"], world["funds"]
    c = client_as(township_admin)
    response = c.get(RECORDS)
    assert response.status_code == 200
    listed = [(r["kind"], r["org"].name, r["amount_text"]) for r in response.context["object_list"]]
    # Newest first; only township A's subtree.
    assert listed == [
        ("下达", "城关镇党委", "100.00"),
        ("支出", "东街村党支部", "10.00"),
        ("支出", "东街村党支部", "50.00"),
        ("拨付", "东街村党支部", "200.00"),
        ("下达", "东街村党支部", "300.00"),
    ]

    def kinds(**params):
        return [(r["kind"], r["amount_text"]) for r in c.get(RECORDS, params).context["object_list"]]

    assert kinds(kind="支出") == [("支出", "10.00"), ("支出", "50.00")]
    assert kinds(kind="拨付") == [("拨付", "200.00")]
    assert kinds(overdue="1") == [("下达", "100.00"), ("下达", "300.00")]  # both past their deadlines, short
    assert kinds(category=funds.pay.pk) == [("下达", "100.00")]
    assert kinds(source=funds.county.pk) == [("拨付", "200.00"), ("下达", "300.00")]
    assert kinds(organization=county.village_a2.pk) == []
    assert kinds(year=YEAR - 1) == []
    # An organization outside the scope is a filter the form refuses: nothing is shown.
    response = c.get(RECORDS, {"organization": county.village_b1.pk})
    assert response.context["object_list"] == [] and response.context["filter_errors"]
    html = c.get(RECORDS).content.decode()
    assert "逾期" in html and "尚欠 100.00 元" in html
    # The county sees both townships.
    assert len(client_as(county_admin).get(RECORDS).context["object_list"]) == 7


def test_the_records_export(client_as, world, township_admin):
    response = client_as(township_admin).get(RECORDS, {"kind": "下达", "export": "xlsx"})
    rows_ = workbook_rows(response)
    assert rows_[0] == [
        "年度", "组织代码", "组织名称", "经费类别", "资金来源", "记录类型", "金额（元）", "日期", "摘要", "文号/凭证号",
        "备注", "拨付时限", "已到位（元）", "尚欠（元）", "是否逾期", "对应下达", "登记时间",
    ]  # fmt: skip
    assert len(rows_) == 3
    first = rows_[2]
    assert first[:7] == [2025, "C01001", "东街村党支部", "村级组织运转经费", "县财政", "下达", 300]
    assert first[7].date() == D(2025, 3, 1) and first[11].date() == D(2025, 3, 31)
    assert first[8:11] == [None, "县组发〔2025〕3号", None]
    assert first[12:16] == [200, 100, "是", None]
    response = client_as(township_admin).get(RECORDS, {"kind": "拨付", "export": "xlsx"})
    [_, d] = workbook_rows(response)
    assert d[5] == "拨付" and d[9] == "PZ-001"
    assert d[15] == "2025-03-01 下达 300.00 元（村级组织运转经费 · 县财政，县组发〔2025〕3号）"
    response = client_as(township_admin).get(RECORDS, {"kind": "支出", "export": "xlsx"})
    [_, *spending] = workbook_rows(response)
    assert [(r[5], r[6], r[8], r[9], r[4]) for r in spending] == [
        ("支出", 10, "打印材料", None, None), ("支出", 50, "购买办公用品", "FP-01", None),
    ]  # fmt: skip
    # The first nine columns are the 经费 import sheet's.
    from funding.xlsx import FUNDING_COLUMNS

    assert [c.header for c in FUNDING_COLUMNS] == [h for h in rows_[0] if h in {c.header for c in FUNDING_COLUMNS}]


def test_records_queries_do_not_grow_with_the_rows(client_as, world, county_admin):
    county, funds = world["county"], world["funds"]
    c = client_as(county_admin)
    c.get(RECORDS)
    with CaptureQueriesContext(connection) as few:
        c.get(RECORDS)
    for org in (county.village_a2, county.village_b2, county.dept):
        a = allocation_create(
            actor=None, organization=org, year=YEAR, category=funds.pay, source=funds.township, amount="100",
            allocated_on=D(YEAR, 8, 1),
        )  # fmt: skip
        disbursement_create(actor=None, allocation=a, amount="60", paid_on=D(YEAR, 8, 2))
        expenditure_create(
            actor=None, organization=org, year=YEAR, category=funds.pay, amount="10", spent_on=D(YEAR, 8, 3),
            purpose="补贴", files=[upload()],
        )  # fmt: skip
    with CaptureQueriesContext(connection) as more:
        response = c.get(RECORDS)
    assert len(response.context["object_list"]) == 16
    assert len(more.captured_queries) == len(few.captured_queries)
