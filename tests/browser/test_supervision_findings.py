"""Findings pages in headless Chromium: the county's board at 1440×900 with its drill-down into a township, the list,
a system check's finding with the two speeches side by side (differences marked), the registration form, and the
same finding on a phone (390×844) where the village secretary starts the rectification. Screenshots land in
artifacts/screenshots/findings-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import account_create
from organizations.services import organization_create
from supervision.models import Finding
from supervision.services.findings import Fault, finding_advance, finding_create, findings_raise
from tests.browser.pages import login, no_sideways_scroll, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
LEFT = (
    "通过这次组织生活会，我深刻认识到自身在理论学习上还存在不够深入、不够系统的问题，平时学习多停留在读原文、"
    "记笔记的层面，联系实际思考不够。今后我将认真学习党的二十大精神，坚持每周集中学习一次，并结合村里的产业"
    "发展工作，带头参与人居环境整治，积极为群众办实事、解难题。"
)
RIGHT = (
    "通过这次组织生活会，我深刻认识到自身在理论学习上还存在不够深入、不够全面的问题，平时学习多停留在读原文、"
    "抄笔记的层面，联系实际思考不够。今后我将认真学习党的二十大精神，坚持每月集中学习两次，并结合村里的产业"
    "发展工作，带头参与人居环境整治，积极为群众办实事。"
)


@pytest.fixture
def finding_world(db):
    def org(parent, code, name, kind, **extra):
        return organization_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, founded_on=dt.date(1980, 1, 1), **extra
        )

    today = timezone.localdate()
    county = org(None, "F", "测试县委", "县委")
    towns = [
        org(county, f"F0{i}", name, "党委") for i, name in enumerate(("城关镇党委", "石门镇党委", "柳河乡党委"), 1)
    ]
    villages = []
    for t, town in enumerate(towns, 1):
        for v, name in enumerate(("东村", "西村", "南村"), 1):
            villages.append(org(town, f"F0{t}00{v}", f"{town.name[:2]}{name}党支部", "党支部", domain="农村"))
    categories = ["组织生活", "台账资料", "班子建设", "党员管理", "阵地建设"]
    sources = ["督查", "暗访", "述职点评", "巡察"]
    for n, village in enumerate(villages):
        for k in range(n % 4 + 1):
            f = finding_create(
                actor=None,
                organization=village,
                source=sources[(n + k) % 4],
                category=categories[(n + k) % 5],
                severity=["一般", "较重", "严重"][(n * k) % 3],
                description=f"{village.name}{categories[(n + k) % 5]}方面：会议记录不完整，部分党员签到由他人代签，"
                "整改措施未落实到人。",
                found_on=min(today, dt.date(today.year, 1, 1) + dt.timedelta(days=(n * 7 + k * 3) % 60)),
                deadline=today + dt.timedelta(days=10 + n),
            )
            steps = (3 * n + k) % 4
            for step in ("开始整改", "报告整改完成", "销号")[:steps]:
                finding_advance(actor=None, finding=f, step=step, note=f"{step}：已按要求落实")
            if k == 0 and n % 3 == 1:  # some are overdue
                Finding.objects.filter(pk=f.pk, status__in=["待整改", "整改中"]).update(
                    deadline=today - dt.timedelta(days=5), found_on=today - dt.timedelta(days=40)
                )
    for n, village in enumerate(villages[::2]):  # last year's of the same kind: this year's become repeated
        finding_create(
            actor=None, organization=village, source="督查", category=categories[(2 * n) % 5],
            description="上年督查发现同类问题", found_on=dt.date(today.year - 1, 9, 1), deadline=today,
        )  # fmt: skip
    home = villages[0]
    evidence = {
        "summary": "同一次组织生活会上，党员张伟与李娜的发言材料相似度 91%",
        "rows": [["会议", f"{today.year}年度组织生活会"], ["召开日期", f"{today.year}-01-20"], ["相似度", "91%"]],
        "pair": {
            "left": {"title": "张伟的发言材料", "text": LEFT},
            "right": {"title": "李娜的发言材料", "text": RIGHT},
            "similarity": 0.91,
        },
        "refs": [
            {"type": "organization", "id": home.pk, "label": home.name},
            {"type": "dispatch", "id": 1, "label": "驻村第一书记 王明"},
        ],
    }
    [pk] = findings_raise(
        [Fault(home.pk, "duplicate_speech", "duplicate_speech:1:2", "组织生活会发言材料雷同：张伟、李娜", evidence)]
    )
    admin = account_create(
        actor=None, username="county_admin", password=PASSWORD, organization=county, role="county_admin",
        full_name="组织部管理员",
    )  # fmt: skip
    account_create(
        actor=None, username="shuji", password=PASSWORD, organization=home, role="branch_secretary",
        full_name="东村书记",
    )  # fmt: skip
    return {"county": county, "towns": towns, "home": home, "admin": admin, "pair": Finding.objects.get(pk=pk)}


def test_department_pages(browser, live_server, finding_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, "county_admin", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/supervision/")
    page.wait_for_selector(".finding-board-table")
    assert page.locator(".finding-board-table tbody tr").count() == 3  # the three townships
    no_sideways_scroll(page)
    shot(page, "findings-01-board-county")

    # A number opens the list of exactly those findings.
    cell = page.locator(".finding-board-table tfoot .finding-count-total a")
    total = int(cell.inner_text())
    cell.click()
    page.wait_for_selector(".finding-table")
    assert page.locator(".finding-table tbody tr").count() == min(total, 50)
    no_sideways_scroll(page)
    shot(page, "findings-02-list")

    page.goto(f"{base}/supervision/")
    page.locator(".finding-board-table a:has-text('城关镇党委')").click()
    page.wait_for_selector(".finding-board-table >> text=城关东村党支部")
    shot(page, "findings-03-board-township")

    page.goto(f"{base}/supervision/findings/{finding_world['pair'].pk}/")
    page.wait_for_selector(".finding-pair")
    assert page.locator(".finding-pair del.diff-del").count() >= 3
    assert page.locator(".finding-pair ins.diff-ins").count() >= 3
    no_sideways_scroll(page)
    shot(page, "findings-04-detail-pair")

    page.goto(f"{base}/supervision/findings/new/")
    page.wait_for_selector("form select[name=organization]")
    no_sideways_scroll(page)
    shot(page, "findings-05-create")
    page.select_option("select[name=organization]", label="　　城关西村党支部")
    page.select_option("select[name=category]", "台账资料")
    page.fill("textarea[name=description]", "发展党员档案缺少政审材料")
    page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=20)).isoformat())
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已登记问题")
    shot(page, "findings-06-created")
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_a_secretary_on_a_phone(browser, live_server, finding_world):
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, "shuji", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/supervision/")
    page.wait_for_selector(".finding-board-table")
    no_sideways_scroll(page)
    shot(page, "findings-10-board-phone")

    f = finding_world["pair"]
    page.goto(f"{base}/supervision/findings/{f.pk}/")
    page.wait_for_selector(".finding-pair")
    assert page.locator("form[data-step='销号']").count() == 0  # not the branch's to sign off
    no_sideways_scroll(page)
    shot(page, "findings-11-detail-phone")
    page.locator("form[data-step='开始整改'] textarea[name=note]").fill("召开支委会，要求两名党员重新撰写发言材料")
    page.locator("form[data-step='开始整改'] button[type=submit]").click()
    page.wait_for_selector("text=已开始整改")
    no_sideways_scroll(page)
    shot(page, "findings-12-started-phone")
    f.refresh_from_db()
    assert f.status == "整改中"
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
