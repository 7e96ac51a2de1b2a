"""软弱涣散, 驻村第一书记 and 换届提醒 in headless Chromium. The department's lists at 1440×900; a village secretary
checks the first secretary in on a phone (390×844) with one tap. Screenshots land in
artifacts/screenshots/supervision-flags-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.services import account_create
from organizations.models import Organization
from organizations.services import organization_create
from supervision.models import DutyCheckIn
from supervision.services.dispatch import checkin_record, dispatch_register
from supervision.services.weak import weak_designate, weak_lift, weak_step_add
from tests.browser.conftest import SHOTS
from tests.browser.pages import login, no_sideways_scroll, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
DAY = dt.timedelta(days=1)
TOWNS = ("城关镇党委", "石门镇党委", "柳河乡党委")
VILLAGES = ("东村", "西村", "南村", "北山村", "河湾社区")
UNITS = ("县财政局", "县农业农村局", "县教育局", "县卫健委", "县人社局", "县交通运输局")
CADRES = ("王建国", "李明", "赵强", "钱进", "孙伟", "周涛", "吴刚", "郑浩", "冯磊", "陈晨", "褚亮", "卫东")


def screen(page, name: str) -> None:
    """What the phone shows without scrolling (the one-tap button must be there)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.fixture
def flags_world(db):
    today = timezone.localdate()

    def org(parent, code, name, kind, **extra):
        return organization_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, founded_on=dt.date(1980, 1, 1), **extra
        )

    county = org(None, "F", "测试县委", "县委", last_election_on=today - relativedelta(years=2))
    villages = []
    for t, town_name in enumerate(TOWNS, 1):
        town = org(county, f"F0{t}", town_name, "党委", last_election_on=today - relativedelta(years=4, months=8 - t))
        for v, name in enumerate(VILLAGES, 1):
            elected = {
                1: today - relativedelta(years=5, days=20 * t),  # overdue
                2: today - relativedelta(years=5) + relativedelta(days=3 * t),  # within a month
                3: today - relativedelta(years=5) + relativedelta(months=2 + t),  # within six months
                4: today - relativedelta(years=3),
                5: None,  # not recorded
            }[v]
            domain = "社区" if "社区" in name else "农村"
            villages.append(
                org(
                    town,
                    f"F0{t}00{v}",
                    f"{town_name[:2]}{name}党支部",
                    "党支部",
                    domain=domain,
                    last_election_on=elected,
                )
            )
    org(
        county,
        "F90",
        "县财政局机关党支部",
        "党支部",
        domain="机关",
        last_election_on=today - relativedelta(years=3, days=9),
    )

    # Weak organizations: four under rectification, two lifted.
    reasons = (
        "班子不团结、软弱无力，长期不开展组织生活",
        "村级集体经济薄弱，党员作用发挥不明显",
        "制度不落实，三会一课流于形式",
    )
    for i, village in enumerate(villages[:6]):
        weak = weak_designate(
            actor=None,
            organization=village,
            designated_on=today - (200 - 25 * i) * DAY,
            reason=reasons[i % 3],
            measures="乡镇党委书记包联，县直单位结对帮扶",
        )
        for k in range(i % 3 + 1):
            weak_step_add(
                actor=None,
                weak=weak,
                done_on=min(weak.designated_on + (20 + 30 * k) * DAY, today - 11 * DAY),
                description="调整充实支部班子，召开专题组织生活会",
            )
        if i >= 4:
            weak_lift(actor=None, weak=weak, lifted_on=today - 10 * DAY, note="经乡镇党委验收，整顿达到预期效果")

    # Dispatches: a first secretary in most villages, a few work-team members; some never report for duty.
    dispatches = []
    for i, village in enumerate(villages[:12]):
        role = "工作队员" if i % 4 == 3 else "第一书记"
        end = today - 40 * DAY if i == 11 else None
        d = dispatch_register(
            actor=None,
            organization=village,
            name=CADRES[i],
            role=role,
            unit=UNITS[i % len(UNITS)],
            unit_post="科员" if role == "工作队员" else "副局长",
            start_on=today - (300 + i) * DAY,
            end_on=end,
        )
        dispatches.append(d)
        if i in (2, 7):
            continue  # never checked in
        gap = 45 if i in (5, 9) else 1  # last seen more than thirty days ago
        last = (end or today) - gap * DAY
        for k in range(0, 80, 2 + i % 3):
            day = last - k * DAY
            if day >= d.start_on:
                checkin_record(actor=None, dispatch=d, on=day, note="走访农户，了解村情民意")

    admin = account_create(
        actor=None,
        username="county_admin",
        password=PASSWORD,
        organization=county,
        role="county_admin",
        full_name="组织部管理员",
    )
    secretary = account_create(
        actor=None,
        username="shuji",
        password=PASSWORD,
        organization=villages[0],
        role="branch_secretary",
        full_name="东村书记",
    )
    return {"admin": admin, "secretary": secretary, "home": villages[0], "home_dispatch": dispatches[0]}


def test_department_lists(browser, live_server, flags_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, "county_admin", PASSWORD)
    base = live_server.url

    page.goto(f"{base}/supervision/weak/")
    page.wait_for_selector(".weak-table")
    assert page.locator(".weak-table tbody tr").count() == 4
    no_sideways_scroll(page)
    shot(page, "supervision-flags-01-weak-list")
    page.goto(f"{base}/supervision/weak/?view=history")
    assert page.locator(".weak-table tbody tr").count() == 2
    shot(page, "supervision-flags-02-weak-history")
    page.goto(f"{base}/supervision/weak/")
    page.locator(".weak-table tbody a").first.click()
    page.wait_for_selector("text=整顿进展（")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-03-weak-detail")
    page.goto(f"{base}/supervision/weak/new/")
    shot(page, "supervision-flags-04-weak-form")

    page.goto(f"{base}/supervision/dispatch/")
    page.wait_for_selector("text=未到岗：")
    assert "从未到岗" in page.content()
    no_sideways_scroll(page)
    shot(page, "supervision-flags-05-dispatch-list")
    page.locator("table a:has-text('王建国')").first.click()
    page.wait_for_selector(".duty-cal")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-05b-dispatch-detail")
    page.goto(f"{base}/supervision/dispatch/new/")
    shot(page, "supervision-flags-06-dispatch-form")

    page.goto(f"{base}/supervision/terms/")
    page.wait_for_selector("text=未录入换届日期（")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-07-terms")
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_a_secretary_checks_in_on_a_phone(browser, live_server, flags_world):
    d = flags_world["home_dispatch"]
    DutyCheckIn.objects.filter(dispatch=d, on=timezone.localdate()).delete()
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, "shuji", PASSWORD)
    page.goto(f"{live_server.url}/supervision/dispatch/")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-10-dispatch-list-phone")
    page.goto(f"{live_server.url}/supervision/dispatch/{d.pk}/")
    page.wait_for_selector(".duty-checkin-btn")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-11-checkin-phone")
    screen(page, "supervision-flags-11-checkin-phone-screen")
    page.click(".duty-checkin-btn")  # one tap
    page.wait_for_selector("text=今天（")
    page.wait_for_selector(".alert-success")
    assert DutyCheckIn.objects.filter(dispatch=d, on=timezone.localdate()).exists()
    no_sideways_scroll(page)
    shot(page, "supervision-flags-12-checked-in-phone")
    screen(page, "supervision-flags-12-checked-in-phone-screen")
    page.goto(f"{live_server.url}/supervision/terms/")
    no_sideways_scroll(page)
    shot(page, "supervision-flags-13-terms-phone")
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
    assert Organization.objects.filter(pk=flags_world["home"].pk).exists()
