"""The 会议 sheet (docs: formats.md): one meeting a row, matched by (支部代码, 会议类型, 召开时间) in Asia/Shanghai; counts
as given, no attendance list; 补录 by the service's rule; every row checked first and a file with any problem writes
nothing; re-importing the same file changes nothing; a changed row is one audited update.

"Now" is frozen at 2025-06-15 10:00 Asia/Shanghai (02:00 UTC), so the import day is 2025-06-15.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.xlsx.importer import workbook_import
from meetings.compliance import compliance_cells
from meetings.models import Attendance, Meeting
from meetings.xlsx import held_at_cell
from organizations.models import Organization
from tests.commands.cli import run_cli
from tests.helpers import ORG_HEADERS, org_row, problem_texts, workbook

pytestmark = pytest.mark.django_db

SHANGHAI = timezone.get_default_timezone()
NOW = dt.datetime(2025, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
# The public layout, spelled out (formats.md), not taken from the code.
MEETING_HEADERS = ["支部代码", "会议类型", "召开时间", "地点", "主题", "主持人", "记录人", "应到人数", "实到人数"]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def meeting_workbook(rows, extra=None) -> bytes:
    return workbook({**(extra or {}), "会议": [MEETING_HEADERS, *rows]})


def import_rows(rows, actor=None, extra=None, dry_run=False):
    return workbook_import(source=meeting_workbook(rows, extra), actor=actor, dry_run=dry_run)


def ok(report):
    assert report.ok, problem_texts(report)
    return report


def state() -> dict:
    return {
        "meetings": sorted(
            Meeting.objects.values_list(
                "id", "branch_id", "kind", "held_at", "held_on", "place", "topic", "host", "recorder",
                "expected_count", "present_count", "has_attendance", "backfilled", "late_edit_reason", "updated_at",
            )
        ),
        "audit": AuditEvent.objects.count(),
        "organizations": Organization.objects.count(),
    }  # fmt: skip


GOOD = [
    # row 2: an Excel date-time, 00:10 on 1 April in Shanghai (31 March 16:10 UTC): April, the second quarter
    [
        "C01001",
        "主题党日",
        dt.datetime(2025, 4, 1, 0, 10),
        "村党群服务中心",
        "重温入党誓词",
        "王书记",
        "李委员",
        30,
        28,
    ],
    # row 3: text with a time, 23:59 on 31 March: March, the first quarter
    ["C01001", "支部委员会会议", "2025-03-31 23:59", "村委会", "研究发展党员工作", "王书记", None, 5, 5],
    # row 4: a date alone is 00:00 that day; held 14 days before the import day: not 补录
    ["C01002", "党课", dt.date(2025, 6, 1), None, "书记讲党课", None, None, None, None],
    # row 5: text date alone, 15 days before: not 补录 (more than 15 days is)
    ["C01002", "主题党日", "2025-05-31", None, "清洁家园志愿服务", None, None, 12, 0],
    # row 6: 16 days before: 补录; slashes and a single-digit hour are accepted
    ["C02001", "支部党员大会", "2025/5/30 8:05", "会议室", "通报上季度工作", None, None, "20", 19.0],
]


def test_import_creates_meetings_in_shanghai_time_with_counts_and_audit(county):
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["会议: 已新增 5 行，已更新 0 行，未变 0 行"]
    rows = {(m.branch.code, m.kind): m for m in Meeting.objects.select_related("branch").order_by("held_at")}
    theme = rows[("C01001", "主题党日")]
    assert theme.held_at == dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC)
    assert theme.held_on == dt.date(2025, 4, 1)
    assert (theme.place, theme.topic, theme.host, theme.recorder) == (
        "村党群服务中心",
        "重温入党誓词",
        "王书记",
        "李委员",
    )
    assert (theme.expected_count, theme.present_count, theme.leave_count) == (30, 28, 0)
    assert (theme.has_attendance, theme.backfilled, theme.late_edit_reason) == (False, True, "")
    committee = rows[("C01001", "支部委员会会议")]
    assert committee.held_at == dt.datetime(2025, 3, 31, 15, 59, tzinfo=dt.UTC)
    assert committee.held_on == dt.date(2025, 3, 31)
    assert (committee.recorder, committee.backfilled) == ("", True)
    lecture = rows[("C01002", "党课")]
    assert lecture.held_at == at(2025, 6, 1, 0, 0)
    assert (lecture.held_on, lecture.expected_count, lecture.present_count, lecture.backfilled) == (
        dt.date(2025, 6, 1), 0, 0, False,
    )  # fmt: skip
    assert rows[("C01002", "主题党日")].backfilled is False  # 15 days
    general = rows[("C02001", "支部党员大会")]
    assert general.held_at == at(2025, 5, 30, 8, 5)
    assert (general.expected_count, general.present_count, general.backfilled) == (20, 19, True)  # 16 days
    assert Attendance.objects.count() == 0

    # One create event per meeting, under the branch, with the service's snapshot and the 补录 note.
    events = AuditEvent.objects.filter(object_type="meetings.meeting", action="create")
    assert events.count() == 5
    event = events.get(object_id=str(theme.pk))
    assert event.org_path == county.village_a1.path
    assert event.object_repr == "2025-04-01 主题党日"
    assert event.after == {
        "branch": county.village_a1.pk, "kind": "主题党日", "held_at": "2025-04-01T00:10:00+08:00",
        "place": "村党群服务中心", "topic": "重温入党誓词", "host": "王书记", "recorder": "李委员", "minutes": "",
        "expected_count": 30, "present_count": 28, "leave_count": 0, "backfilled": True,
    }  # fmt: skip
    assert event.note == "补录：召开后超过 15 天登记"
    assert events.get(object_id=str(lecture.pk)).note == ""

    # The quarter boundary in Shanghai time: 23:59 on 31 March counts for Q1 / March, 00:10 on 1 April for April.
    cells = {
        (c.kind, c.period.label): c.actual
        for c in compliance_cells(actor=None, year=2025, today=dt.date(2025, 6, 15))
        if c.branch.code == "C01001"
    }
    assert cells[("支部委员会会议", "2025-03")] == 1
    assert cells[("支部委员会会议", "2025-04")] == 0
    assert cells[("主题党日", "2025-03")] == 0
    assert cells[("主题党日", "2025-04")] == 1


def test_reimporting_the_same_file_changes_nothing(county):
    ok(import_rows(GOOD))
    before = state()
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["会议: 已新增 0 行，已更新 0 行，未变 5 行"]
    assert state() == before


def test_dry_run_counts_and_writes_nothing(county):
    before = state()
    report = ok(import_rows(GOOD, dry_run=True))
    assert report.summary_lines() == ["会议: 将新增 5 行，将更新 0 行，未变 0 行"]
    assert state() == before


def test_a_changed_row_is_one_audited_update_and_no_late_edit(county):
    ok(import_rows(GOOD))
    theme = Meeting.objects.get(branch=county.village_a1, kind="主题党日")
    changed = [list(r) for r in GOOD]
    changed[0][4] = "重温入党誓词，学习党章"  # topic
    changed[0][8] = 29  # present
    changed[4][3] = None  # place cleared
    events_before = AuditEvent.objects.count()
    report = ok(import_rows(changed))
    assert report.summary_lines() == ["会议: 已新增 0 行，已更新 2 行，未变 3 行"]
    theme.refresh_from_db()
    assert (theme.topic, theme.present_count, theme.expected_count) == ("重温入党誓词，学习党章", 29, 30)
    # History imported is not a secretary's late edit: no reason asked for or stored.
    assert (theme.late_edit_reason, theme.late_edited_at) == ("", None)
    assert theme.updated_at == NOW
    general = Meeting.objects.get(branch=county.village_b1)
    assert general.place == ""
    assert AuditEvent.objects.count() == events_before + 2
    update = AuditEvent.objects.get(object_type="meetings.meeting", action="update", object_id=str(theme.pk))
    assert update.before == {"topic": "重温入党誓词", "present_count": 28}
    assert update.after == {"topic": "重温入党誓词，学习党章", "present_count": 29}
    assert (update.org_path, update.note) == (county.village_a1.path, "Excel 导入")
    assert AuditEvent.objects.get(object_type="meetings.meeting", action="update", object_id=str(general.pk)).after == {
        "place": ""
    }


BAD = [
    ["C01001", "主题党日", at(2025, 5, 5, 9, 0).replace(tzinfo=None), None, "一", None, None, 10, 9],  # 2: fine
    ["X99", "主题党日", "2025-05-05 09:00", None, "未知支部", None, None, 10, 9],  # 3
    ["C01", "主题党日", "2025-05-05 09:00", None, "党委不登记", None, None, 10, 9],  # 4
    ["C01001", "党员大会", "2025-05-05 09:00", None, "未知类型", None, None, 10, 9],  # 5
    ["C01001", "党课", "2025-06-15 10:01", None, "尚未召开", None, None, 10, 9],  # 6: one minute from now
    ["C01001", "党课", "1979-12-31", None, "成立以前", None, None, 10, 9],  # 7: founded 1980-01-01
    ["C01001", "支部党员大会", "2025-05-06", None, "实到多于应到", None, None, 10, 12],  # 8
    ["C01001", "支部党员大会", "2025-05-07", None, "负数", None, None, -1, 0],  # 9
    ["C01001", "主题党日", "2025-05-05 09:00", None, "与第 2 行重复", None, None, 10, 9],  # 10
    ["C01001", "党课", "2025-02-30", None, "不存在的日期", None, None, 10, 9],  # 11
    ["C01001", "党课", "下周一", None, "不是日期", None, None, 10, 9],  # 12
    ["C01001", "党课", "2025-05-08", None, None, None, None, "十", 9],  # 13: no topic, a count that is no number
]


def test_every_problem_is_reported_and_nothing_is_written(county):
    ok(import_rows(GOOD[:1]))
    before = state()
    report = import_rows(BAD)
    sheet = "工作表 会议 第"
    assert problem_texts(report) == [
        # Cells first, row by row (a row with a bad cell is not checked further) …
        f"{sheet} 5 行 会议类型: 未知的会议类型“党员大会”，应为：支部党员大会、支部委员会会议、党小组会、党课、主题党日、"
        "组织生活会、民主评议党员",
        f"{sheet} 9 行 应到人数: 人数不能为负数",
        f"{sheet} 11 行 召开时间: 时间“2025-02-30”不存在",
        f"{sheet} 12 行 召开时间: “下周一”不是日期时间，应为 Excel 日期（时间）或 YYYY-MM-DD / YYYY-MM-DD HH:MM 格式的文本",
        f"{sheet} 13 行 主题: 必填，不能为空",
        f"{sheet} 13 行 应到人数: “十”不是整数",
        # … then the rules against the file and the database.
        f"{sheet} 3 行 支部代码: 支部 X99 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
        f"{sheet} 4 行 支部代码: 城关镇党委是党委，三会一课只能由党支部或党总支登记",
        f"{sheet} 6 行 召开时间: 召开时间不能晚于当前时间（不能登记尚未召开的会议）",
        f"{sheet} 7 行 召开时间: 召开日期早于该支部的成立日期 1980-01-01",
        f"{sheet} 8 行 实到人数: 实到人数 12 多于应到人数 10",
        f"{sheet} 10 行 召开时间: 与第 2 行重复（同一支部、会议类型和召开时间）",
    ]
    assert state() == before


def test_branch_out_of_scope_reads_as_unknown_and_changes_nothing(county, township_admin):
    before = state()
    rows = [
        ["C01001", "主题党日", "2025-05-05 09:00", None, "本镇", None, None, 10, 9],
        ["C02001", "主题党日", "2025-05-05 09:00", None, "邻镇", None, None, 10, 9],
    ]
    report = import_rows(rows, actor=township_admin)
    assert problem_texts(report) == [
        "工作表 会议 第 3 行 支部代码: 支部 C02001 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内"
    ]
    assert state() == before
    ok(import_rows(rows[:1], actor=township_admin))
    meeting = Meeting.objects.get()
    assert meeting.created_by == township_admin
    event = AuditEvent.objects.get(object_type="meetings.meeting", action="create", object_id=str(meeting.pk))
    assert event.actor == township_admin


def test_branch_from_the_same_workbook(county):
    orgs = [
        ORG_HEADERS,
        org_row("C01003", "新村党支部", "C01", founded=dt.date(2020, 5, 1)),
        org_row("C01004", "新村党总支", "C01", kind="党总支", founded=dt.date(2021, 1, 1)),
        org_row("C01005", "新社区党委", "C01", kind="党委", domain="社区", founded=dt.date(2021, 1, 1)),
    ]
    rows = [
        ["C01003", "主题党日", "2025-05-05 09:00", None, "新支部的第一次主题党日", None, None, 8, 8],  # 2
        ["C01004", "支部委员会会议", "2025-05-06 15:00", None, "总支委员会", None, None, 5, 5],  # 3
        ["C01003", "党课", "2020-04-30", None, "成立以前", None, None, 8, 8],  # 4
        ["C01005", "主题党日", "2025-05-05 09:00", None, "党委", None, None, 8, 8],  # 5
    ]
    before = state()
    report = import_rows(rows, extra={"组织": orgs})
    assert problem_texts(report) == [
        "工作表 会议 第 4 行 召开时间: 召开日期早于该支部的成立日期 2020-05-01",
        "工作表 会议 第 5 行 支部代码: 新社区党委是党委，三会一课只能由党支部或党总支登记",
    ]
    assert state() == before
    report = ok(import_rows(rows[:2], extra={"组织": orgs[:3]}))
    assert report.summary_lines() == [
        "组织: 已新增 2 行，已更新 0 行，未变 0 行",
        "会议: 已新增 2 行，已更新 0 行，未变 0 行",
    ]
    assert sorted(Meeting.objects.values_list("branch__code", "kind")) == [
        ("C01003", "主题党日"), ("C01004", "支部委员会会议"),
    ]  # fmt: skip
    # The file's 组织 row wins over the database: a branch the same file turns into a 党委 takes no meetings.
    turned = [ORG_HEADERS, org_row("C01002", "西街村党委", "C01", kind="党委", founded=dt.date(1980, 1, 1))]
    report = import_rows(
        [["C01002", "主题党日", "2025-05-05 09:00", None, "x", None, None, 1, 1]], extra={"组织": turned}
    )
    assert problem_texts(report) == ["工作表 会议 第 2 行 支部代码: 西街村党委是党委，三会一课只能由党支部或党总支登记"]


def test_counts_of_a_meeting_with_an_attendance_list_are_not_overwritten(county):
    listed = Meeting.objects.create(
        branch=county.village_a1, kind="主题党日", held_at=at(2025, 5, 5, 9, 0), held_on=dt.date(2025, 5, 5),
        topic="已签到", expected_count=3, present_count=2, has_attendance=True,
    )  # fmt: skip
    before = state()
    row = ["C01001", "主题党日", "2025-05-05 09:00", None, "已签到", None, None, 5, 5]
    assert problem_texts(import_rows([row])) == [
        "工作表 会议 第 2 行 实到人数: 该会议已按签到名单登记（应到 3 人，实到 2 人），人数不能通过导入修改"
    ]
    assert state() == before
    report = ok(import_rows([["C01001", "主题党日", "2025-05-05 09:00", "会议室", "已签到", None, None, 3, 2]]))
    assert report.summary_lines() == ["会议: 已新增 0 行，已更新 1 行，未变 0 行"]
    listed.refresh_from_db()
    assert (listed.place, listed.expected_count, listed.present_count) == ("会议室", 3, 2)


def test_held_at_cell_reads_shanghai_wall_clock_time():
    assert held_at_cell(dt.datetime(2025, 4, 1, 0, 10)) == dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC)
    assert held_at_cell(dt.date(2025, 4, 1)) == dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert held_at_cell(" 2025-04-01 ") == at(2025, 4, 1, 0, 0)
    assert held_at_cell("2025-04-01 00:10") == at(2025, 4, 1, 0, 10)
    assert held_at_cell("2025-4-1 8:05:30") == at(2025, 4, 1, 8, 5, 30)
    assert held_at_cell("2025/04/01T19:30") == at(2025, 4, 1, 19, 30)
    aware = dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC)
    assert held_at_cell(aware) == aware
    for bad in ("2025-04-01 24:00", "2025-13-01", 45000, "", "2025-04-01 9点"):
        with pytest.raises(ValueError):
            held_at_cell(bad)


def test_import_command_prints_every_problem_and_exits_1(county, tmp_path, monkeypatch):
    path = tmp_path / "meetings.xlsx"
    path.write_bytes(meeting_workbook(BAD[1:3]))
    before = state()
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "工作表 会议 第 2 行 支部代码: 支部 X99 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
        "工作表 会议 第 3 行 支部代码: 城关镇党委是党委，三会一课只能由党支部或党总支登记",
        "CommandError: 导入失败：共 2 个问题，未写入任何数据。",
    ]
    assert state() == before
    path.write_bytes(meeting_workbook(GOOD))
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == ["会议: 已新增 5 行，已更新 0 行，未变 0 行", "导入完成。"]


def test_the_bulk_audit_snapshot_is_the_services_json():
    """MeetingValues formats its create snapshot by hand for speed: the very text json.dumps would write, with the
    service's fields (services.MEETING_AUDIT_FIELDS) in order."""
    import json

    from meetings.services import MEETING_AUDIT_FIELDS
    from meetings.xlsx import MeetingValues

    values = MeetingValues(
        id=1, branch_id=7, kind="主题党日", held_at=dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC),
        held_on=dt.date(2025, 4, 1), topic='“七一”\n"引号"\\', created_at=NOW, place="会议室", host="王", recorder="",
        minutes="第一行\n第二行", expected_count=30, present_count=28, leave_count=1, backfilled=True,
    )  # fmt: skip
    for attendance in (None, "出席 28 人；请假 1 人：李（外出务工）"):
        text = values.audit_after(attendance).value
        parsed = json.loads(text)
        assert text == json.dumps(parsed)
        assert list(parsed)[: len(MEETING_AUDIT_FIELDS)] == list(MEETING_AUDIT_FIELDS)
        assert parsed["held_at"] == "2025-04-01T00:10:00+08:00"
        assert (parsed["topic"], parsed["backfilled"]) == ('“七一”\n"引号"\\', True)
        assert parsed.get("attendance") == attendance
