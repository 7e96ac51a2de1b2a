"""Funding pages in headless Chromium: the county's summary at 1440×900 with its 到位率 charts, the drill-down into a
township, a village's ledger and the records list; then a village secretary on a phone (390×844) who opens the
ledger and records a spending with a photo of the receipt. Screenshots land in artifacts/screenshots/funding-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import account_create
from funding.models import Expenditure, FundCategory, FundSource
from funding.services.ledger import allocation_create, disbursement_create, expenditure_create
from organizations.services import organization_create
from tests.browser.pages import login, no_sideways_scroll, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 256


@pytest.fixture
def funding_world(db):
    def org(parent, code, name, kind, **extra):
        return organization_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, founded_on=dt.date(1980, 1, 1), **extra
        )

    today = timezone.localdate()
    year = today.year
    start = dt.date(year, 1, 1)

    def day(offset: int) -> dt.date:
        return min(today, start + dt.timedelta(days=offset))

    operating = FundCategory.objects.create(name="村级组织运转经费", disburse_within_days=30, order=1)
    pay = FundCategory.objects.create(name="村干部报酬", disburse_within_days=60, order=2)
    service = FundCategory.objects.create(name="服务群众专项经费", disburse_within_days=60, order=3)
    county_money = FundSource.objects.create(name="县财政", order=1)
    township_money = FundSource.objects.create(name="乡镇", order=2)
    FundSource.objects.create(name="党费", order=3)
    county = org(None, "F", "测试县委", "县委")
    towns = [
        org(county, f"F0{i}", name, "党委") for i, name in enumerate(("城关镇党委", "石门镇党委", "柳河乡党委"), 1)
    ]
    villages = []
    for t, town in enumerate(towns, 1):
        for v, name in enumerate(("东村", "西村", "南村"), 1):
            villages.append(org(town, f"F0{t}00{v}", f"{town.name[:2]}{name}党支部", "党支部", domain="农村"))
    for n, village in enumerate(villages):
        for k, (category, source, amount) in enumerate(
            ((operating, county_money, 20000), (pay, county_money, 36000), (service, township_money, 10000))
        ):
            if (n + k) % 4 == 3:
                continue  # some categories are not allocated to some villages
            a = allocation_create(
                actor=None, organization=village, year=year, category=category, source=source, amount=str(amount),
                allocated_on=day(10 + k), document_no=f"县组发〔{year}〕{k + 1}号",
            )  # fmt: skip
            share = [1, 0.75, 0.5, 0][(n + 2 * k) % 4]
            if share:
                disbursement_create(
                    actor=None, allocation=a, amount=f"{amount * share:.2f}", paid_on=day(30 + n), voucher=f"BF-{n}{k}"
                )
                expenditure_create(
                    actor=None, organization=village, year=year, category=category, amount=f"{amount * share / 3:.2f}",
                    spent_on=day(60 + n), purpose=["购买办公用品", "支付村干部报酬", "慰问困难党员"][k],
                    voucher=f"FP-{n}{k}",
                )  # fmt: skip
    allocation_create(
        actor=None, organization=towns[0], year=year, category=operating, source=township_money, amount="50000",
        allocated_on=day(5),
    )  # fmt: skip
    account_create(
        actor=None, username="county_admin", password=PASSWORD, organization=county, role="county_admin",
        full_name="组织部管理员",
    )  # fmt: skip
    account_create(
        actor=None, username="shuji", password=PASSWORD, organization=villages[0], role="branch_secretary",
        full_name="东村书记",
    )  # fmt: skip
    return {"county": county, "towns": towns, "villages": villages, "home": villages[0], "year": year}


def test_department_pages(browser, live_server, funding_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, "county_admin", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/funding/")
    page.wait_for_selector(".funding-chart[data-chart=units] svg")
    page.wait_for_selector(".funding-chart[data-chart=categories] svg")
    assert page.locator(".funding-unit-table tbody tr").count() == 3  # the three townships
    assert page.locator(".funding-chart[data-chart=units] svg rect, .funding-chart[data-chart=units] svg path").count()
    no_sideways_scroll(page)
    shot(page, "funding-01-summary-county")

    page.locator(".funding-unit-table a:has-text('城关镇党委')").click()
    page.wait_for_selector(".funding-unit-table >> text=城关东村党支部")
    page.wait_for_selector(".funding-chart[data-chart=units] svg")
    assert page.locator(".funding-unit-table tbody tr").count() == 4  # 本级 and three villages
    no_sideways_scroll(page)
    shot(page, "funding-02-summary-township")

    page.locator(".funding-unit-table tr:has-text('城关东村党支部') a:has-text('台账')").click()
    page.wait_for_selector(".funding-ledger-card")
    assert page.locator(".funding-add-allocation").count() == 1
    no_sideways_scroll(page)
    shot(page, "funding-03-ledger")

    page.goto(f"{base}/funding/records/")
    page.wait_for_selector(".funding-records")
    assert page.locator(".funding-records tbody tr").count() == 50  # a full page
    no_sideways_scroll(page)
    shot(page, "funding-04-records")

    page.goto(f"{base}/funding/orgs/{funding_world['home'].pk}/allocations/new/?year={funding_world['year']}")
    page.wait_for_selector("form select[name=category]")
    no_sideways_scroll(page)
    shot(page, "funding-05-allocation-form")
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_a_secretary_records_spending_on_a_phone(browser, live_server, funding_world, tmp_path):
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, "shuji", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/funding/")
    page.wait_for_selector(".funding-unit-table")
    page.wait_for_selector(".funding-chart[data-chart=categories] svg")
    no_sideways_scroll(page)
    shot(page, "funding-10-summary-phone")

    page.locator(".funding-unit-table a:has-text('台账')").first.click()
    page.wait_for_selector(".funding-ledger-card")
    assert page.locator(".funding-add-allocation").count() == 0  # allocations are the township's to record
    no_sideways_scroll(page)
    shot(page, "funding-11-ledger-phone")

    page.locator(".funding-add-expenditure").click()
    page.wait_for_selector("form select[name=category]")
    no_sideways_scroll(page)
    category = page.locator("select[name=category] option:has-text('村级组织运转经费')").get_attribute("value")
    page.select_option("select[name=category]", category)
    page.fill("input[name=amount]", "99999999")  # far beyond what arrived: refused next to the amount
    page.fill("input[name=purpose]", "党员活动室电费")
    page.click("form button[type=submit]")
    page.wait_for_selector(".invalid-feedback >> text=专款专用")
    no_sideways_scroll(page)
    shot(page, "funding-12-refused-phone")
    # A refused form answers 400, which Chromium reports on the console; that one is expected.
    assert all("status of 400" in e for e in errors), errors
    errors.clear()
    page.fill("input[name=amount]", "320.50")
    page.fill("input[name=voucher]", "FP-2026-118")
    receipt = tmp_path / "电费发票.jpg"
    receipt.write_bytes(JPEG)
    page.set_input_files("input[name=files]", str(receipt))
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已录入支出")
    page.wait_for_selector(".funding-expenditures >> text=党员活动室电费")
    no_sideways_scroll(page)
    shot(page, "funding-13-spent-phone")
    e = Expenditure.objects.get(purpose="党员活动室电费")
    assert str(e.amount) == "320.50" and e.files.count() == 1
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
