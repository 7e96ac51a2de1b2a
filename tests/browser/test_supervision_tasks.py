"""党建任务 pages in headless Chromium. A township clerk at 1440×900: the list of what the township sent (overdue
first, with counts), the dispatch form whose live preview follows the filters (all village branches, one unticked),
the new task's page, and a task with reports to review (one returned with a comment). A village secretary on a phone
(390×844): the to-do list and the report form, sent. Screenshots land in artifacts/screenshots/tasks-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import account_create
from organizations.services import organization_create
from supervision.models import Task, TaskAssignment
from supervision.services.tasks import task_dispatch, task_report, task_review
from tests.browser.pages import login, no_sideways_scroll, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
VILLAGES = ["东街村", "西街村", "南关村", "北关村", "柳树村", "杨庄村"]


@pytest.fixture
def task_world(db):
    def org(parent, code, name, kind, **extra):
        return organization_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, founded_on=dt.date(1980, 1, 1), **extra
        )

    county = org(None, "T", "测试县委", "县委")
    town = org(county, "T01", "城关镇党委", "党委")
    other = org(county, "T02", "石门镇党委", "党委")
    villages = [org(town, f"T01{i:03d}", f"{n}党支部", "党支部", domain="农村") for i, n in enumerate(VILLAGES, 1)]
    community = org(town, "T01101", "城东社区党支部", "党支部", domain="社区")
    org(other, "T02001", "石门村党支部", "党支部", domain="农村")
    clerk = account_create(
        actor=None, username="zhen", password=PASSWORD, organization=town, role="township_admin", full_name="镇组织委员"
    )
    account_create(
        actor=None,
        username="shuji",
        password=PASSWORD,
        organization=villages[0],
        role="branch_secretary",
        full_name="东街村书记",
    )
    admin = account_create(
        actor=None, username="xian", password=PASSWORD, organization=county, role="county_admin", full_name="组织部"
    )
    today = timezone.localdate()

    def send(actor, sender, title, targets, days, body="请按要求完成并上报佐证材料。"):
        return task_dispatch(
            actor=actor,
            sender=sender,
            title=title,
            body=body,
            deadline=today + dt.timedelta(days=max(days, 0)),
            targets=targets,
            targets_note="城关镇党委下级 · 党支部 · 农村",
        )

    # From the county: the township's own to-do, and the secretary's.
    send(admin, county, "开展2026年度党员冬训", [town, other, villages[0]], 20)
    # From the township: one overdue with reports, one due soon, one finished.
    dues = send(
        clerk,
        town,
        "第四季度党费收缴情况上报",
        villages,
        0,
        body="各村党支部：\n请于今日前上报第四季度党费收缴明细表（含党员姓名、缴纳金额），并附收据照片。\n城关镇党委组织办",
    )
    rows = {a.organization_id: a for a in dues.assignments.all()}
    for i, v in enumerate(villages[1:5], 1):
        task_report(actor=clerk, assignment=rows[v.pk], report=f"{v.name}已收缴党费，共 {20 + i} 名党员，明细见附件。")
    task_review(actor=clerk, assignment=rows[villages[1].pk], accept=True)
    task_review(actor=clerk, assignment=rows[villages[2].pk], accept=False, comment="缺少收据照片，请补充后重新上报。")
    Task.objects.filter(pk=dues.pk).update(deadline=today - dt.timedelta(days=3))
    send(clerk, town, "主题党日活动照片上报", [*villages, community], 2)
    done = send(clerk, town, "村级组织活动场所排查", villages[:3], 30)
    for a in done.assignments.all():
        task_report(actor=clerk, assignment=a, report="已排查，无安全隐患。")
        task_review(actor=clerk, assignment=a, accept=True)
    return {"dues": dues, "villages": villages, "town": town}


def test_a_township_clerk_sends_and_reviews(browser, live_server, task_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, "zhen", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/supervision/tasks/")
    page.wait_for_selector(".task-table")
    assert (
        page.locator(".task-table tbody tr").first.inner_text().startswith("第四季度党费收缴情况上报")
    )  # overdue first
    no_sideways_scroll(page)
    shot(page, "tasks-01-sent-list")

    page.click("text=派送任务")
    page.wait_for_selector("[data-target-preview]")
    assert page.locator("[data-target-count]").inner_text() == "7"
    page.fill("input[name=title]", "学习贯彻全会精神专题组织生活会")
    page.fill("textarea[name=body]", "各村党支部于月底前召开专题组织生活会，并上报会议记录和照片。")
    page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=14)).isoformat())
    with page.expect_response(lambda r: "/supervision/tasks/targets/" in r.url):
        page.check("input[name=kinds][value=党支部]")
    with page.expect_response(lambda r: "/supervision/tasks/targets/" in r.url):
        page.check("input[name=domains][value=农村]")
    expect(page.locator("[data-target-count]")).to_have_text("6")  # not a string predicate: the CSP refuses eval
    page.uncheck(f"#target-{task_world['villages'][5].pk}")
    assert page.locator("[data-target-count]").inner_text() == "5"
    no_sideways_scroll(page)
    shot(page, "tasks-02-dispatch-form")
    page.click("button[data-submit-once]")
    page.wait_for_selector("text=已派送到 5 个组织")
    task = Task.objects.get(title="学习贯彻全会精神专题组织生活会")
    assert task.assignments.count() == 5
    shot(page, "tasks-03-dispatched")

    page.goto(f"{base}/supervision/tasks/{task_world['dues'].pk}/")
    page.wait_for_selector(".task-assignments")
    shot(page, "tasks-04-detail-review")
    row = page.locator(".task-assignments tr:has-text('北关村党支部')")
    row.locator("input[name=comment]").fill("明细表缺少金额合计，请补充。")
    row.locator("button:has-text('退回')").click()
    page.wait_for_selector("text=已退回：北关村党支部")
    assert TaskAssignment.objects.get(task=task_world["dues"], organization__name="北关村党支部").status == "已退回"
    no_sideways_scroll(page)
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_a_secretary_reports_on_a_phone(browser, live_server, task_world):
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, "shuji", PASSWORD)
    page.goto(f"{live_server.url}/supervision/tasks/")
    page.wait_for_selector(".task-cards")
    assert "我收到的（待办）" in page.locator(".task-boxes .active").inner_text()
    assert "已逾期" in page.locator(".alert").first.inner_text()
    no_sideways_scroll(page)
    shot(page, "tasks-10-received-phone")
    page.locator(".task-cards .list-group-item-danger a.btn:has-text('上报')").click()
    page.wait_for_selector(".task-report-card")
    no_sideways_scroll(page)
    shot(page, "tasks-11-report-form-phone")
    page.fill(".task-report-card textarea", "已收缴第四季度党费，共 18 名党员，收据照片见附件。")
    page.set_input_files(
        ".task-report-card input[type=file]",
        files=[{"name": "收据.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}],
    )
    page.click(".task-report-card button[type=submit]")
    page.wait_for_selector("text=记为逾期上报")
    no_sideways_scroll(page)
    shot(page, "tasks-12-reported-phone")
    a = TaskAssignment.objects.get(task=task_world["dues"], organization=task_world["villages"][0])
    assert a.status == "已上报" and a.evidence.count() == 1
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
