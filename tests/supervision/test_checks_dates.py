"""The date checks worked out by hand: training certificates, attendance lists against the members' files, first
secretaries' check-ins against the dispatch.

Attendance (test county, meetings at 19:30 Asia/Shanghai; attendance rows planted as an old import would leave them):

    张伟   东街村 a1 since 2010-07-01; 死亡 2024-05-01
    陈晨   东街村 a1, joined the party 2022-07-01
    林琳   西街村 a2 from 2021-07-01, transferred to 东街村 a1 on 2024-03-01 (a2 ends 2024-02-29)
    赵敏   北山村 b1 since 2015-07-01 (never in a1)
    王芳   东街村 a1 since 2012-07-01; 停止党籍 2023-01-01, 正常 again 2023-06-01

    a1 2022-06-30 党员大会  陈晨 请假                      → 2022-07-01才入党
    a1 2022-07-01 主题党日  陈晨 出席 (the day she joined)   fine
    a1 2023-03-01 主题党日  王芳 出席                       → 2023-01-01已停止党籍
    a1 2023-07-01 主题党日  王芳 出席 (restored)            fine
    a1 2024-02-29 主题党日  林琳 出席, 赵敏 出席, 陈晨 缺席 → 林琳 2024-03-01才转入, 赵敏 不是本支部党员 (缺席 ignored)
    a1 2024-03-01 党课      林琳 出席                       fine
    a2 2024-02-29 党课      林琳 出席                       fine (her last day in a2)
    a2 2024-03-01 主题党日  林琳 出席                       → 已于2024-03-01转出本支部
    a1 2024-04-30 党课      张伟 出席                       fine (the day before he died)
    a1 2024-05-01 主题党日  张伟 请假                       → 2024-05-01已去世 (the day itself)
    a1 2024-05-02 支部党员大会 张伟 出席                     → 2024-05-01已去世
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from meetings.models import Attendance, Meeting
from members.development import training_record_add
from members.services import member_create, member_status_change, member_transfer
from supervision.checks.dates import attendance_dates, certificate_dates, dispatch_dates
from supervision.models import Dispatch, DutyCheckIn
from tests.factories import id_number_for

SHANGHAI = timezone.get_default_timezone()
TODAY = dt.date(2026, 6, 15)


def member(name, branch, joined, n):
    return member_create(
        actor=None, name=name, id_number=id_number_for(n), branch=branch, category="正式党员", joined_on=joined
    )


def meeting(branch, day, kind="主题党日", topic="学习党章"):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        held_at=dt.datetime(day.year, day.month, day.day, 19, 30, tzinfo=SHANGHAI),
        held_on=day,
        topic=topic,
        place="村部会议室",
        has_attendance=True,
    )


def listed(m, person, status="出席"):
    Attendance.objects.create(meeting=m, member=person, status=status, reason="外出" if status == "请假" else "")


# --- Training certificates ----------------------------------------------------------------------------------------


def test_certificate_dates_differing_from_the_training_are_found(county):
    zhang = member("张伟", county.village_a1, dt.date(2010, 7, 1), 1)
    lin = member("林琳", county.village_b1, dt.date(2012, 7, 1), 2)

    def course(who, name, start, end, cert_start=None, cert_end=None):
        return training_record_add(
            actor=None,
            member=who,
            course=name,
            organizer="县委党校",
            start_on=start,
            end_on=end,
            hours=Decimal("24"),
            certificate_start_on=cert_start,
            certificate_end_on=cert_end,
        )

    shifted = course(
        zhang,
        "入党积极分子培训班",
        dt.date(2025, 3, 3),
        dt.date(2025, 3, 7),
        dt.date(2025, 3, 10),
        dt.date(2025, 3, 14),
    )
    course(zhang, "党务干部培训班", dt.date(2025, 4, 1), dt.date(2025, 4, 3), dt.date(2025, 4, 1), dt.date(2025, 4, 3))
    course(zhang, "党史学习班", dt.date(2025, 5, 6), dt.date(2025, 5, 8))  # no certificate dates: nothing to compare
    longer = course(lin, "支部书记示范培训班", dt.date(2025, 6, 2), dt.date(2025, 6, 6), None, dt.date(2025, 6, 7))
    faults = list(certificate_dates(TODAY))
    assert [f.key for f in faults] == [
        f"certificate_dates:{shifted.pk}:2025-03-10:2025-03-14",
        f"certificate_dates:{longer.pk}:—:2025-06-07",
    ]
    first, second = faults
    assert (first.organization_id, second.organization_id) == (county.village_a1.pk, county.village_b1.pk)
    assert first.check_kind == "certificate_dates"
    assert first.description == (
        "东街村党支部党员张伟参加“入党积极分子培训班”（县委党校）的培训台账记载培训时间为2025-03-03至2025-03-07，"
        "而培训证书所载时间为2025-03-10至2025-03-14，两者不一致，培训记录或证书的真实性存疑。"
    )
    assert first.evidence == {
        "summary": "张伟“入党积极分子培训班”培训证书日期（2025-03-10至2025-03-14）与培训日期（2025-03-03至2025-03-07）不符",
        "rows": [
            ["党员", "张伟（东街村党支部）"],
            ["培训班次", "入党积极分子培训班"],
            ["主办单位", "县委党校"],
            ["培训日期", "2025-03-03至2025-03-07"],
            ["证书所载日期", "2025-03-10至2025-03-14"],
            ["学时", "24"],
        ],
        "refs": [
            {"type": "member", "id": zhang.pk, "label": "张伟"},
            {"type": "training", "id": shifted.pk, "label": "入党积极分子培训班"},
        ],
    }
    assert "证书所载时间为—至2025-06-07" in second.description


# --- Attendance lists -----------------------------------------------------------------------------------------------


@pytest.fixture
def attendance_world(county):
    a1, a2, b1 = county.village_a1, county.village_a2, county.village_b1
    zhang = member("张伟", a1, dt.date(2010, 7, 1), 11)
    chen = member("陈晨", a1, dt.date(2022, 7, 1), 12)
    lin = member("林琳", a2, dt.date(2021, 7, 1), 13)
    zhao = member("赵敏", b1, dt.date(2015, 7, 1), 14)
    wang = member("王芳", a1, dt.date(2012, 7, 1), 15)
    member_transfer(actor=None, member=lin, to_branch=a1, on=dt.date(2024, 3, 1))
    member_status_change(actor=None, member=wang, status="停止党籍", on=dt.date(2023, 1, 1))
    member_status_change(actor=None, member=wang, status="正常", on=dt.date(2023, 6, 1))
    member_status_change(actor=None, member=zhang, status="死亡", on=dt.date(2024, 5, 1))
    m = {}
    m["before_joining"] = meeting(a1, dt.date(2022, 6, 30), "支部党员大会")
    listed(m["before_joining"], chen, "请假")
    m["joining_day"] = meeting(a1, dt.date(2022, 7, 1))
    listed(m["joining_day"], chen)
    m["suspended"] = meeting(a1, dt.date(2023, 3, 1))
    listed(m["suspended"], wang)
    m["restored"] = meeting(a1, dt.date(2023, 7, 1))
    listed(m["restored"], wang)
    m["before_transfer"] = meeting(a1, dt.date(2024, 2, 29))
    listed(m["before_transfer"], lin)
    listed(m["before_transfer"], zhao)
    listed(m["before_transfer"], chen, "缺席")
    m["transfer_day"] = meeting(a1, dt.date(2024, 3, 1), "党课")
    listed(m["transfer_day"], lin)
    m["last_day_in_a2"] = meeting(a2, dt.date(2024, 2, 29), "党课")
    listed(m["last_day_in_a2"], lin)
    m["after_leaving_a2"] = meeting(a2, dt.date(2024, 3, 1))
    listed(m["after_leaving_a2"], lin)
    m["day_before_death"] = meeting(a1, dt.date(2024, 4, 30), "党课")
    listed(m["day_before_death"], zhang)
    m["death_day"] = meeting(a1, dt.date(2024, 5, 1))
    listed(m["death_day"], zhang, "请假")
    m["after_death"] = meeting(a1, dt.date(2024, 5, 2), "支部党员大会")
    listed(m["after_death"], zhang)
    people = {"zhang": zhang, "chen": chen, "lin": lin, "zhao": zhao, "wang": wang}
    return m, people


def test_attendance_outside_membership_is_found_once_per_meeting(
    county, attendance_world, django_assert_max_num_queries
):
    m, p = attendance_world
    with django_assert_max_num_queries(8):  # set-based: the same few queries however many rows
        faults = list(attendance_dates(TODAY))
    assert [f.key for f in faults] == [
        f"attendance_dates:{m[name].pk}"
        for name in ("before_joining", "suspended", "before_transfer", "after_leaving_a2", "death_day", "after_death")
    ]
    by_key = {f.key: f for f in faults}
    assert {f.organization_id for f in faults} == {county.village_a1.pk, county.village_a2.pk}
    assert by_key[f"attendance_dates:{m['after_leaving_a2'].pk}"].organization_id == county.village_a2.pk

    def rows(name):
        return by_key[f"attendance_dates:{m[name].pk}"].evidence["rows"][1:]

    assert rows("before_joining") == [["陈晨", "登记为请假；2022-07-01才入党，会议时尚未入党"]]
    assert rows("suspended") == [["王芳", "登记为出席；2023-01-01已停止党籍"]]
    assert rows("before_transfer") == [
        ["林琳", "登记为出席；2024-03-01才转入本支部，会议时尚未转入"],
        ["赵敏", "登记为出席；会议时不是本支部党员"],
    ]
    assert rows("after_leaving_a2") == [["林琳", "登记为出席；已于2024-03-01转出本支部"]]
    assert rows("death_day") == [["张伟", "登记为请假；2024-05-01已去世"]]
    assert rows("after_death") == [["张伟", "登记为出席；2024-05-01已去世"]]

    two = by_key[f"attendance_dates:{m['before_transfer'].pk}"]
    assert two.check_kind == "attendance_dates"
    assert two.description == (
        "东街村党支部2024-02-29 主题党日（主题：学习党章）的出席名单中有 2 人当天不在本支部党籍期内："
        "林琳（登记为出席，2024-03-01才转入本支部，会议时尚未转入）；赵敏（登记为出席，会议时不是本支部党员）。"
        "会议记录与党员档案矛盾，疑似补记或虚报。"
    )
    assert two.evidence == {
        "summary": "东街村党支部2024-02-29 主题党日的出席名单中有 2 人当天不是本支部在册党员",
        "rows": [
            ["会议", "东街村党支部 2024-02-29 主题党日（主题：学习党章）"],
            ["林琳", "登记为出席；2024-03-01才转入本支部，会议时尚未转入"],
            ["赵敏", "登记为出席；会议时不是本支部党员"],
        ],
        "refs": [
            {"type": "meeting", "id": m["before_transfer"].pk, "label": "东街村党支部 2024-02-29 主题党日"},
            {"type": "member", "id": p["lin"].pk, "label": "林琳"},
            {"type": "member", "id": p["zhao"].pk, "label": "赵敏"},
        ],
    }


def test_attendance_of_members_in_good_standing_is_not_a_fault(county):
    a1 = county.village_a1
    zhang = member("张伟", a1, dt.date(2010, 7, 1), 21)
    m = meeting(a1, dt.date(2025, 3, 5))
    listed(m, zhang)
    assert list(attendance_dates(TODAY)) == []


# --- Duty check-ins ----------------------------------------------------------------------------------------------


def test_check_ins_outside_the_dispatch_are_found_once_per_dispatch(county):
    a1, b2 = county.village_a1, county.village_b2
    closed = Dispatch.objects.create(
        organization=a1,
        name="周建国",
        unit="县财政局",
        start_on=dt.date(2024, 1, 1),
        end_on=dt.date(2025, 12, 31),
    )
    running = Dispatch.objects.create(
        organization=b2, name="吴海", unit="县农业农村局", role="工作队员", start_on=dt.date(2025, 3, 1)
    )
    for d, on in [
        (closed, dt.date(2023, 12, 31)),  # the day before it began
        (closed, dt.date(2024, 1, 1)),  # its first day: fine
        (closed, dt.date(2025, 12, 31)),  # its last day: fine
        (closed, dt.date(2026, 1, 1)),  # the next day
        (running, dt.date(2025, 3, 1)),
        (running, dt.date(2026, 6, 1)),  # no end: fine
    ]:
        DutyCheckIn.objects.create(dispatch=d, on=on)
    faults = list(dispatch_dates(TODAY))
    assert [f.key for f in faults] == [f"dispatch_dates:{closed.pk}"]
    fault = faults[0]
    assert (fault.organization_id, fault.check_kind) == (a1.pk, "dispatch_dates")
    assert fault.description == (
        "县财政局派驻东街村党支部的第一书记周建国，派驻期为2024-01-01至2025-12-31，但有 2 天到岗记录不在派驻期内"
        "（1 天在派驻开始之前，1 天在派驻结束之后）：2023-12-31、2026-01-01。到岗记录与派驻时间矛盾，疑似补记或代签。"
    )
    assert fault.evidence == {
        "summary": "第一书记周建国有 2 天到岗记录不在派驻期（2024-01-01至2025-12-31）内",
        "rows": [
            ["驻村干部", "周建国（第一书记）"],
            ["派出单位", "县财政局"],
            ["派驻组织", "东街村党支部"],
            ["派驻期", "2024-01-01至2025-12-31"],
            ["派驻期外的到岗日期", "2023-12-31、2026-01-01"],
        ],
        "refs": [
            {"type": "dispatch", "id": closed.pk, "label": "第一书记周建国"},
            {"type": "organization", "id": a1.pk, "label": "东街村党支部"},
        ],
    }
