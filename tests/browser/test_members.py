"""Member pages in headless Chromium: the list, a file's tabs, the team structure, the 发展党员 board, 失联排查,
training coverage and the points configuration at 1440×900; the list and a form at 390×844 (a phone).

The data comes through the importers and services (the 组织 and 党员 sheets, candidate_register, training_record_add,
point_record_add, lost_contact_find, …), the way a county would build it. Screenshots land in
artifacts/screenshots/members-*.png so a person can look at them. The browser is Debian's chromium (never a
downloaded one); without it the test is skipped, or fails when REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import account_create
from core.idnumber import make_id_number
from core.xlsx.importer import workbook_import
from members import config_services
from members.contact import lost_contact_decide, lost_contact_find, lost_contact_resolve
from members.development import (
    candidate_record_steps,
    candidate_register,
    point_record_add,
    thought_report_add,
    training_record_add,
)
from members.models import (
    Candidate,
    FlowRecord,
    LostContactCase,
    Member,
    PointItem,
    StarRule,
    ThoughtReport,
    TrainingRecord,
)
from tests.browser.pages import login, no_sideways_scroll, open_page, shot
from tests.helpers import ORG_HEADERS, workbook
from tests.members.helpers import MEMBER_HEADERS, member_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
USERNAME = "members_admin"
TABS = ("info", "memberships", "status", "training", "points", "flows", "audit")


def _id(birth: dt.date, seq: int, male: bool) -> str:
    return make_id_number("410102", birth, seq, male)


MEMBERS = [
    # name, birth, male, branch, education, category, joined, full
    ("张伟", dt.date(1985, 6, 12), True, "T01001", "大学本科", "正式党员", "2010-07-01", "2011-07-01"),
    ("李娜", dt.date(1992, 3, 8), False, "T01001", "大学专科", "正式党员", "2015-06-20", "2016-06-20"),
    ("王强", dt.date(1978, 11, 2), True, "T01001", "高中", "正式党员", "2002-07-01", "2003-07-01"),
    ("刘洋", dt.date(1999, 9, 9), True, "T01002", "研究生", "正式党员", "2021-06-30", "2022-06-30"),
    ("陈静", dt.date(1968, 1, 20), False, "T01002", "初中及以下", "正式党员", "1995-07-01", "1996-07-01"),
    ("杨帆", dt.date(1996, 5, 5), True, "T02001", "大学本科", "正式党员", "2019-07-01", "2020-07-01"),
    ("赵敏", dt.date(2001, 12, 1), False, "T02001", "大学本科", "预备党员", "2025-12-01", None),
]


@pytest.fixture
def member_world(db):
    """A county with two townships and three branches, seven members, five people in the pipeline, trainings,
    points, a flow and the lost-contact cases the monthly scan opens."""
    today = timezone.localdate()
    orgs = [
        ["T", "测试县委", None, "县委", None, None, "否", "否", "1949-10-01", None, None],
        ["T01", "城关镇党委", "T", "党委", None, "乡镇党委", "是", "否", "1950-01-01", "2021-06-01", None],
        ["T01001", "东街村党支部", "T01", "党支部", "农村", "村（社区）党组织", "是", "是", "1980-01-01", "2023-05-01", None],
        ["T01002", "西街村党支部", "T01", "党支部", "农村", "村（社区）党组织", "否", "否", "1981-01-01", "2023-05-01", None],
        ["T02", "石门镇党委", "T", "党委", None, "乡镇党委", "是", "否", "1950-01-01", "2021-06-01", None],
        ["T02001", "北山村党支部", "T02", "党支部", "农村", "村（社区）党组织", "是", "否", "1982-01-01", "2023-05-01", None],
    ]  # fmt: skip
    rows = [
        member_row(name, _id(birth, i, male), branch, education=edu, category=cat, joined=joined, full=full)
        for i, (name, birth, male, branch, edu, cat, joined, full) in enumerate(MEMBERS)
    ]
    report = workbook_import(
        source=workbook({"组织": [ORG_HEADERS, *orgs], "党员": [MEMBER_HEADERS, *rows]}), actor=None
    )
    assert report.ok, report.problems
    from organizations.models import Organization

    county = Organization.objects.get(code="T")
    a1 = Organization.objects.get(code="T01001")
    b1 = Organization.objects.get(code="T02001")
    admin = account_create(
        actor=None,
        username=USERNAME,
        password=PASSWORD,
        organization=county,
        role="county_admin",
        full_name="测试管理员",
    )
    members = {m.person.name: m for m in Member.objects.select_related("person", "branch")}

    # Points: the county's items and star rules, then a year of records for 张伟 (72 points: 二星).
    items = {
        name: config_services.point_item_create(actor=admin, name=name, points=Decimal(points))
        for name, points in [("年度基础分", "60"), ("参加主题党日", "2"), ("志愿服务", "3"), ("无故缺席组织生活", "-5")]
    }
    # The migration's default rules; a transactional test before this one may have flushed them.
    for min_points, stars, label in [("0", 0, "不合格"), ("60", 1, "一星"), ("70", 2, "二星"), ("80", 3, "三星"),
                                     ("90", 4, "四星"), ("96", 5, "五星")]:  # fmt: skip
        if not StarRule.objects.filter(stars=stars).exists():
            config_services.star_rule_create(actor=admin, min_points=Decimal(min_points), stars=stars, label=label)
    zhang = members["张伟"]
    year_start = dt.date(today.year, 1, 1)
    for item, days in [("年度基础分", 0), ("参加主题党日", 30), ("参加主题党日", 60), ("参加主题党日", 90),
                       ("志愿服务", 100), ("志愿服务", 120)]:  # fmt: skip
        on = min(year_start + dt.timedelta(days=days), today)
        point_record_add(actor=admin, member=zhang, item=items[item], year=today.year, recorded_on=on, note="")
    last = today.year - 1
    point_record_add(actor=admin, member=zhang, item=items["年度基础分"], year=last, recorded_on=dt.date(last, 3, 1))

    # Training: one course whose certificate carries other dates than the course (flagged), one in order.
    start = today - dt.timedelta(days=40)
    training_record_add(actor=admin, member=zhang, course="乡村振兴专题培训班", organizer="县委党校",
                        start_on=start, end_on=start + dt.timedelta(days=2), hours=Decimal("24"),
                        certificate_start_on=start - dt.timedelta(days=1),
                        certificate_end_on=start + dt.timedelta(days=2))  # fmt: skip
    training_record_add(actor=admin, member=zhang, course="党员冬训", organizer="城关镇党委",
                        start_on=today - dt.timedelta(days=20), end_on=today - dt.timedelta(days=20),
                        hours=Decimal("4"))  # fmt: skip
    training_record_add(actor=admin, member=members["刘洋"], course="党员冬训", start_on=today - dt.timedelta(days=20),
                        end_on=today - dt.timedelta(days=20), hours=Decimal("4"))  # fmt: skip
    # No service writes flow records yet (see the report): the one row the 流动 tab shows is made directly.
    FlowRecord.objects.create(member=zhang, direction="流出", place="广东省深圳市宝安区", start_on=dt.date(2023, 3, 1),
                              end_on=dt.date(2024, 1, 31), contact="深圳宝安流动党员党支部")  # fmt: skip

    # 发展党员: five people, from a fresh applicant to a probationary member whose year is up.
    def candidate(n, name, branch, applied, **steps):
        c = candidate_register(actor=admin, branch=branch, name=name,
                               id_number=_id(dt.date(1998, 1 + n, 10), 50 + n, n % 2 == 0), applied_on=applied)  # fmt: skip
        if steps:
            candidate_record_steps(actor=admin, candidate=c, **steps)
        return c

    candidate(0, "孙新", a1, today - dt.timedelta(days=10))
    candidate(1, "周迟", a1, today - dt.timedelta(days=75))  # no talk after two months: overdue
    act = today - relativedelta(months=15)
    c = candidate(2, "吴积", a1, act - relativedelta(months=1), talked_on=act - relativedelta(days=20), activist_on=act)
    thought_report_add(actor=admin, candidate=c, submitted_on=act + dt.timedelta(days=20), title="学习党章的体会",
                       text="通过学习党章，我进一步认识到……")  # fmt: skip
    tgt = today - relativedelta(months=2)
    candidate(3, "郑发", b1, tgt - relativedelta(months=14), talked_on=tgt - relativedelta(months=13, days=20),
              activist_on=tgt - relativedelta(months=13), target_on=tgt, training_hours=Decimal("16"))  # fmt: skip
    adm = today - relativedelta(months=13)
    candidate(4, "冯预", a1, adm - relativedelta(years=2), talked_on=adm - relativedelta(years=2) + dt.timedelta(days=7),
              activist_on=adm - relativedelta(months=22), target_on=adm - relativedelta(months=6),
              training_hours=Decimal("24"), admitted_on=adm, approved_on=adm + relativedelta(months=1))  # fmt: skip

    # 失联排查: last month's scan, then one case confirmed, one dismissed, one confirmed and resolved (decisions are
    # dated on or after the day a case was found).
    assert lost_contact_find(today=today - dt.timedelta(days=25)) >= 3
    cases = {
        c.member.person.name: c for c in LostContactCase.objects.select_related("member__person", "member__branch")
    }
    lost_contact_decide(actor=admin, case=cases["王强"], confirmed=True, on=today - dt.timedelta(days=3),
                        note="电话无法接通")  # fmt: skip
    lost_contact_decide(actor=admin, case=cases["陈静"], confirmed=False, on=today - dt.timedelta(days=2),
                        note="已联系上，长期卧病在家")  # fmt: skip
    lost_contact_decide(actor=admin, case=cases["杨帆"], confirmed=True, on=today - dt.timedelta(days=20))
    lost_contact_resolve(actor=admin, case=cases["杨帆"], on=today - dt.timedelta(days=5), note="返乡后已参加主题党日")
    return {"county": county, "zhang": zhang, "a1": a1, "admin": admin}


def _wait_shown(page, selector: str) -> None:
    """A Bootstrap tab pane has faded in completely (the screenshot would catch it half transparent otherwise)."""
    page.wait_for_selector(f"{selector}.show.active")
    # expect(), not a string predicate: that is eval in the page, which the CSP refuses
    expect(page.locator(selector)).to_have_css("opacity", "1")


def test_member_pages_desktop(browser, live_server, member_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, USERNAME, PASSWORD)
    base = live_server.url

    page.goto(f"{base}/members/")
    page.wait_for_selector("text=张伟")
    assert page.locator("a:has-text('发展党员')").count() >= 1
    shot(page, "members-01-list")

    zhang = member_world["zhang"]
    page.goto(f"{base}/members/{zhang.pk}/")
    for i, tab in enumerate(TABS, start=1):
        page.click(f"#tab-{tab}")
        page.wait_for_selector(f"#pane-{tab}.show.active")
        shot(page, f"members-02-detail-{i}-{tab}")
    page.click("#tab-training")
    assert page.locator("#pane-training >> text=证书日期与培训不符").count() >= 1
    assert page.locator("#pane-training >> text=新增培训记录").is_visible()
    page.click("#tab-points")
    assert page.locator("#pane-points >> text=二星").is_visible()
    assert "72" in page.locator("#pane-points .points-summary").inner_text()
    page.click("#tab-flows")
    assert page.locator("#pane-flows >> text=广东省深圳市宝安区").is_visible()

    page.goto(f"{base}/members/structure/")
    page.wait_for_selector(".structure-chart svg, .structure-chart canvas")
    shot(page, "members-03-structure")

    page.goto(f"{base}/members/pipeline/")
    page.wait_for_selector(".pipeline-board")
    assert page.locator(".pipeline-problems >> text=一个月内未谈话").count() == 1
    assert page.locator(".pipeline-problems >> text=预备期已满未按期讨论转正").count() == 1
    shot(page, "members-04-pipeline")
    page.check("input[name=overdue]")
    page.click("form.list-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".pipeline-person >> text=孙新").count() == 0  # nothing overdue for the fresh applicant
    shot(page, "members-05-pipeline-overdue")
    page.locator(".pipeline-person a:has-text('冯预')").click()
    page.wait_for_selector("text=培养步骤")
    shot(page, "members-06-candidate")

    page.click("text=新增思想汇报")
    page.fill("input[name=submitted_on]", timezone.localdate().isoformat())
    page.fill("input[name=title]", "预备期思想汇报")
    page.fill("textarea[name=text]", "一年来，我认真学习党的理论……")
    shot(page, "members-06b-thought-report-form")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已登记")
    assert ThoughtReport.objects.filter(person__name="冯预", title="预备期思想汇报").exists()

    # Register an applicant from the board.
    page.goto(f"{base}/members/pipeline/")
    page.click("text=登记入党申请人")
    page.fill("input[name=name]", "钱新")
    page.fill("input[name=id_number]", _id(dt.date(2000, 8, 8), 77, True))
    page.fill("input[name=branch_code]", "T01002")
    page.fill("input[name=applied_on]", timezone.localdate().isoformat())
    shot(page, "members-06c-candidate-register-form")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已将 钱新 登记为入党申请人")
    assert Candidate.objects.filter(person__name="钱新", branch__code="T01002", stage="入党申请人").exists()

    page.goto(f"{base}/members/lost-contact/")
    page.wait_for_selector(".lost-table")
    shot(page, "members-07-lost-contact")
    page.locator("tr:has-text('李娜') >> text=确认/排除").click()
    page.fill("input[name=note]", "已电话联系，在外地务工")
    shot(page, "members-07b-lost-contact-decide")
    page.click("button[value=dismiss]")
    page.wait_for_selector("text=已排除 李娜 的失联疑点")
    assert LostContactCase.objects.get(member__person__name="李娜").status == "已排除"

    page.goto(f"{base}/members/{zhang.pk}/points/new/")
    shot(page, "members-07c-point-form")
    page.goto(f"{base}/members/training/coverage/?org={member_world['a1'].parent_id}")
    page.wait_for_selector(".coverage-table")
    shot(page, "members-08-coverage")
    page.goto(f"{base}/members/points/config/")
    page.wait_for_selector("text=星级标准")
    shot(page, "members-09-points-config")
    page.locator("tr:has-text('志愿服务') >> text=修改").click()
    page.fill("input[name=points]", "2.5")
    shot(page, "members-09b-point-item-edit")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已保存")
    assert PointItem.objects.get(name="志愿服务").points == Decimal("2.5")

    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_member_pages_phone(browser, live_server, member_world):
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, USERNAME, PASSWORD)
    base = live_server.url

    page.goto(f"{base}/members/")
    page.wait_for_selector("text=张伟")
    no_sideways_scroll(page)
    shot(page, "members-10-list-phone")

    # Add a training record from a phone: the row lands in the ledger and the tab shows it.
    zhang = member_world["zhang"]
    page.goto(f"{base}/members/{zhang.pk}/training/new/")
    no_sideways_scroll(page)
    shot(page, "members-11-training-form-phone")
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    page.fill("input[name=course]", "手机端录入的党课")
    page.fill("input[name=start_on]", day)
    page.fill("input[name=end_on]", day)
    page.fill("input[name=hours]", "3")
    page.click("form button[type=submit]")
    page.wait_for_selector("#pane-training.show.active >> text=手机端录入的党课")
    _wait_shown(page, "#pane-training")
    no_sideways_scroll(page)
    shot(page, "members-12-training-saved-phone")
    assert TrainingRecord.objects.filter(member=zhang, course="手机端录入的党课", hours=Decimal("3")).exists()

    page.goto(f"{base}/members/pipeline/")
    page.wait_for_selector(".pipeline-board")
    no_sideways_scroll(page)
    shot(page, "members-13-pipeline-phone")

    # Record the overdue talk of 周迟 from a phone.
    page.locator(".pipeline-person a:has-text('周迟')").click()
    page.wait_for_selector("text=培养步骤")
    no_sideways_scroll(page)
    shot(page, "members-14-candidate-phone")
    page.click("text=记录培养步骤")
    no_sideways_scroll(page)
    shot(page, "members-15-candidate-steps-phone")
    page.fill("input[name=talked_on]", timezone.localdate().isoformat())
    page.click("form button[type=submit]")
    page.wait_for_selector("text=已保存 周迟 的培养步骤")
    assert Candidate.objects.get(person__name="周迟").talked_on == timezone.localdate()

    page.goto(f"{base}/members/lost-contact/")
    page.wait_for_selector(".lost-table")
    no_sideways_scroll(page)
    shot(page, "members-16-lost-contact-phone")

    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
