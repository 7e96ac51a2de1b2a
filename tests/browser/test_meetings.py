"""三会一课 pages in headless Chromium. A secretary records a meeting on a phone (390×844): the branch's 本月待办,
the form with the members pre-listed (everyone 出席, one tap for 请假 with its reason), saved and shown; the
department's pages at 1440×900: the county's compliance by township, a township's branches, a branch's calendar,
the overdue reminders, the list and the standards. Screenshots land in artifacts/screenshots/meetings-*.png."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from accounts.services import account_create
from core.idnumber import make_id_number
from meetings.models import Attendance, Meeting, MonthlyReport
from meetings.services import meeting_record
from members.services import member_create
from organizations.models import Organization
from organizations.services import organization_create
from tests.browser.pages import login, no_sideways_scroll, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-test-2026!"
SHANGHAI = timezone.get_default_timezone()
NAMES = ["张伟", "李娜", "王强", "刘洋", "陈静", "杨帆", "赵敏", "孙丽", "周杰", "吴刚", "郑爽", "冯涛"]


@pytest.fixture
def meeting_world(db, default_meeting_standards):
    def org(parent, code, name, kind, **extra):
        return organization_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, founded_on=dt.date(1980, 1, 1), **extra
        )

    county = org(None, "M", "测试县委", "县委")
    towns = [
        org(county, f"M0{i}", name, "党委") for i, name in enumerate(("城关镇党委", "石门镇党委", "柳河乡党委"), 1)
    ]
    branches = []
    for t, town in enumerate(towns, 1):
        for b in range(1, 4):
            branches.append(
                org(
                    town,
                    f"M0{t}00{b}",
                    f"{town.name[:2]}{'东西南'[b - 1]}村党支部",
                    "党支部",
                    domain="农村",
                    has_committee=b != 3,
                    has_party_groups=b == 1,
                )
            )
    home = branches[0]
    for i, name in enumerate(NAMES):
        member_create(
            actor=None,
            name=name,
            id_number=make_id_number("410102", dt.date(1970 + i, 3, 1), 10 + i, i % 2 == 0),
            branch=home,
            category="正式党员",
            joined_on=dt.date(2000 + i, 7, 1),
        )
    # Twelve months of meetings before this one: most branches keep up, some skip.
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for n, branch in enumerate(branches):
        month = first
        for k in range(11):
            if (n + k) % 4 != 0 or n % 3 == 0:
                when = dt.datetime(month.year, month.month, 8 + n % 10, 19, 0, tzinfo=SHANGHAI)
                meeting_record(
                    actor=None,
                    branch=branch,
                    kind="主题党日",
                    held_at=when,
                    topic=f"{month:%Y年%m月}主题党日",
                    expected_count=20,
                    present_count=17,
                )
                if branch.has_committee and (n + k) % 3:
                    meeting_record(
                        actor=None,
                        branch=branch,
                        kind="支部委员会会议",
                        held_at=when + dt.timedelta(days=1),
                        topic="研究村务",
                        expected_count=5,
                        present_count=5,
                    )
            if month.month % 3 == 0 and n % 2 == 0:
                meeting_record(
                    actor=None,
                    branch=branch,
                    kind="支部党员大会",
                    held_at=dt.datetime(month.year, month.month, 20, 9, tzinfo=SHANGHAI),
                    topic="季度党员大会",
                    expected_count=20,
                    present_count=18,
                )
                meeting_record(
                    actor=None,
                    branch=branch,
                    kind="党课",
                    held_at=dt.datetime(month.year, month.month, 21, 9, tzinfo=SHANGHAI),
                    topic="书记讲党课",
                    expected_count=20,
                    present_count=16,
                )
            month = (month - dt.timedelta(days=1)).replace(day=1)
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
        organization=home,
        role="branch_secretary",
        full_name="东村书记",
    )
    return {"county": county, "towns": towns, "home": home, "admin": admin, "secretary": secretary}


def test_a_secretary_records_a_meeting_on_a_phone(browser, live_server, meeting_world):
    context, page, errors, foreign = open_page(browser, live_server, size=(390, 844))
    login(page, live_server, "shuji", PASSWORD)
    page.wait_for_selector("text=还需召开")  # the secretary's home is the branch's 本月待办
    no_sideways_scroll(page)
    shot(page, "meetings-01-todo-phone")

    started = time.monotonic()
    page.locator(".due-list a:has-text('登记')").first.click()
    page.wait_for_selector("[data-attendance-row]")
    assert page.locator("[data-attendance-row]").count() == len(NAMES)  # everyone of the branch, pre-listed
    no_sideways_scroll(page)
    shot(page, "meetings-02-form-phone")
    page.fill("input[name=topic]", "学习党章 重温入党誓词")
    page.fill("input[name=place]", "村部会议室")
    page.locator("[data-attendance-row]:has-text('李娜') label:has-text('请假')").click()  # one tap
    page.locator("[data-attendance-row]:has-text('李娜') input.attendance-reason").fill("外出务工")
    page.locator("[data-attendance-row]:has-text('王强') label:has-text('缺席')").click()
    summary = page.locator("[data-attendance-summary]").inner_text()
    assert "出席 10" in summary and "请假 1" in summary and "缺席 1" in summary
    shot(page, "meetings-03-form-filled-phone")
    page.click("button[data-submit-once]")
    page.wait_for_selector("text=已保存")
    elapsed = time.monotonic() - started
    no_sideways_scroll(page)
    shot(page, "meetings-04-saved-phone")

    meeting = Meeting.objects.filter(topic="学习党章 重温入党誓词").get()
    assert (meeting.expected_count, meeting.present_count, meeting.leave_count) == (12, 10, 1)
    assert Attendance.objects.get(meeting=meeting, member__person__name="李娜").reason == "外出务工"
    assert elapsed < 120, f"recording took {elapsed:.0f} s"

    page.goto(f"{live_server.url}/meetings/branch/{meeting_world['home'].pk}/calendar/")
    page.wait_for_selector(".compliance-calendar")
    shot(page, "meetings-05-calendar-phone")
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()


def test_department_pages(browser, live_server, meeting_world):
    context, page, errors, foreign = open_page(browser, live_server)
    login(page, live_server, "county_admin", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/meetings/compliance/")
    page.wait_for_selector(".compliance-table")
    assert page.locator(".compliance-table tbody tr").count() == 3  # the three townships
    shot(page, "meetings-10-compliance-county")
    page.locator(".compliance-table a:has-text('石门镇党委')").click()
    page.wait_for_selector(".compliance-table >> text=石门东村党支部")
    shot(page, "meetings-11-compliance-township")
    page.locator(".compliance-table a:has-text('石门东村党支部')").click()
    page.wait_for_selector(".compliance-calendar")
    shot(page, "meetings-12-calendar")
    page.goto(f"{base}/meetings/overdue/")
    page.wait_for_selector("text=未达标（周期已结束")
    shot(page, "meetings-13-overdue")
    page.goto(f"{base}/meetings/")
    page.wait_for_selector(".meeting-table")
    shot(page, "meetings-14-list")
    page.locator(".meeting-table tbody a").first.click()
    page.wait_for_selector("text=变更记录")
    shot(page, "meetings-15-detail")
    page.goto(f"{base}/meetings/standards/")
    shot(page, "meetings-16-standards")

    # Last month's 动态登记月报, built from its page (the confirm dialog accepted), then the county's bulletin.
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    page.goto(f"{base}/meetings/reports/?month={last_month}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('生成月报')")
    page.wait_for_selector("text=已生成")
    assert MonthlyReport.objects.filter(month__year=int(last_month[:4]), month__month=int(last_month[5:])).count() == 9
    shot(page, "meetings-17-monthly-report")
    page.goto(f"{base}/meetings/bulletins/{meeting_world['county'].pk}/{last_month}/")
    page.wait_for_selector("text=柳河乡党委")
    shot(page, "meetings-18-bulletin")
    page.emulate_media(media="print")
    shot(page, "meetings-19-bulletin-print")
    assert Organization.objects.filter(kind="党支部").count() == 9
    assert errors == [], errors
    assert foreign == [], foreign
    context.close()
