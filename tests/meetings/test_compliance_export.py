"""The `compliance` export (docs: formats.md): 组织代码 | 组织名称 | 会议类型 | 周期 | 要求次数 | 实际次数 | 状态, one row per
branch, required kind and period of the year, exempt kinds without rows, sorted by 组织代码, kind in the order of the
会议 sheet, period in time order — worked out by hand on the test county for 2025, default standards.

"Today" is 2025-08-20 (Asia/Shanghai): January–July and Q1–Q2 are over; August (the current month), September–
December, Q3, Q4 and the year are still open (进行中) unless already met.

    东街村 C01001: committee and party groups → 大会 4 + 委员会 12 + 党小组 12 + 党课 4 + 主题党日 12 + 组织生活会 1 +
                   民主评议 1 = 46 rows
        支部党员大会   2025-03-31 23:59 → Q1        (Q1 达标; Q2 未达标; Q3, Q4 进行中)
        支部委员会会议 2025-03-31 23:59 → March     (March 达标; Jan, Feb, Apr–Jul 未达标; Aug–Dec 进行中)
        党小组会      2025-08-05 → August          (August 达标 before the month is over; Jan–Jul 未达标; Sep–Dec 进行中)
        党课          2025-04-01 00:10 → Q2 (16:10 UTC on 31 March)   (Q1 未达标; Q2 达标; Q3, Q4 进行中)
        主题党日      2025-04-01 00:10 → April     (April 达标; Jan–Mar, May–Jul 未达标; Aug–Dec 进行中)
        组织生活会    2025-01-10                   (2025 达标);  民主评议党员: none (2025 进行中)
    西街村 C01002: neither → 4 + 4 + 12 + 1 + 1 = 22 rows; 主题党日 twice in January (实际次数 2, 达标)
    新村   C01003: founded 2025-05-15, neither → only periods starting on or after that day: Q3, Q4 of 大会 and 党课,
                   June–December of 主题党日, no yearly kinds = 2 + 2 + 7 = 11 rows; 主题党日 2025-06-05 (June 达标)
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.xlsx.exporter import export_write
from meetings.models import MeetingStandard
from meetings.services import meeting_record
from organizations.models import Organization
from organizations.services import organization_create
from tests.commands.cli import run_cli

pytestmark = pytest.mark.django_db

SHANGHAI = timezone.get_default_timezone()
NOW = dt.datetime(2025, 8, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 on 20 August in Shanghai
HEADERS = ["组织代码", "组织名称", "会议类型", "周期", "要求次数", "实际次数", "状态"]
MET, MISSED, OPEN = "达标", "未达标", "进行中"
# One letter a period, in time order: ✓ 达标, ✗ 未达标, · 进行中.
STATUS = {"✓": MET, "✗": MISSED, "·": OPEN}


def at(y, m, d, hh=9, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def held(branch, kind, when):
    return meeting_record(
        actor=None, branch=branch, kind=kind, held_at=when, topic="学习", expected_count=10, present_count=9
    )


@pytest.fixture
def world(county):
    Organization.objects.filter(pk=county.village_a1.pk).update(has_committee=True, has_party_groups=True)
    county.refresh()
    new = organization_create(
        actor=None, parent=county.township_a, code="C01003", name="新村党支部", kind="党支部", domain="农村",
        founded_on=dt.date(2025, 5, 15),
    )  # fmt: skip
    a1, a2 = county.village_a1, county.village_a2
    held(a1, "支部党员大会", at(2025, 3, 31, 23, 59))
    held(a1, "支部委员会会议", at(2025, 3, 31, 23, 59))
    held(a1, "党小组会", at(2025, 8, 5))
    held(a1, "党课", at(2025, 4, 1, 0, 10))
    held(a1, "主题党日", at(2025, 4, 1, 0, 10))
    held(a1, "组织生活会", at(2025, 1, 10))
    held(a2, "主题党日", at(2025, 1, 5))
    held(a2, "主题党日", at(2025, 1, 25))
    held(new, "主题党日", at(2025, 6, 5))
    # Not counted for 2025: the year before and the year after (in Shanghai time).
    held(a1, "民主评议党员", at(2024, 12, 31, 23, 59))
    return county, new


def expected(code, name, kind, labels, marks, actual=None):
    """Rows of one branch and kind: `labels` the periods, `marks` their statuses (✓ ✗ ·), `actual` the counts."""
    actual = actual or {}
    return [
        [code, name, kind, label, 1, actual.get(label, 1 if mark == "✓" else 0), STATUS[mark]]
        for label, mark in zip(labels, marks, strict=True)
    ]


MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]

A1 = ("C01001", "东街村党支部")
A1_ROWS = [
    *expected(*A1, "支部党员大会", QUARTERS, "✓✗··"),
    *expected(*A1, "支部委员会会议", MONTHS, "✗✗✓✗✗✗✗·····"),
    *expected(*A1, "党小组会", MONTHS, "✗✗✗✗✗✗✗✓····"),
    *expected(*A1, "党课", QUARTERS, "✗✓··"),
    *expected(*A1, "主题党日", MONTHS, "✗✗✗✓✗✗✗·····"),
    *expected(*A1, "组织生活会", ["2025"], "✓"),
    *expected(*A1, "民主评议党员", ["2025"], "·"),
]
A2 = ("C01002", "西街村党支部")
A2_ROWS = [
    *expected(*A2, "支部党员大会", QUARTERS, "✗✗··"),
    *expected(*A2, "党课", QUARTERS, "✗✗··"),
    *expected(*A2, "主题党日", MONTHS, "✓✗✗✗✗✗✗·····", actual={"2025-01": 2}),
    *expected(*A2, "组织生活会", ["2025"], "·"),
    *expected(*A2, "民主评议党员", ["2025"], "·"),
]
NEW = ("C01003", "新村党支部")
NEW_ROWS = [
    *expected(*NEW, "支部党员大会", QUARTERS[2:], "··"),
    *expected(*NEW, "党课", QUARTERS[2:], "··"),
    *expected(*NEW, "主题党日", MONTHS[5:], "✓✗·····"),
]


def read(data: bytes) -> tuple[list[str], list[list]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["compliance"]
    rows = [list(r) for r in wb["compliance"].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def export(actor, year=2025, **kw) -> tuple[int, list[str], list[list]]:
    buf = io.BytesIO()
    count = export_write(kind="compliance", actor=actor, fp=buf, year=year, **kw)
    return (count, *read(buf.getvalue()))


def test_township_export_worked_out_by_hand(world, township_admin):
    assert len(A1_ROWS) == 46 and len(A2_ROWS) == 22 and len(NEW_ROWS) == 11
    count, headers, rows = export(township_admin)
    assert headers == HEADERS
    assert rows == A1_ROWS + A2_ROWS + NEW_ROWS
    assert count == 79
    event = AuditEvent.objects.get(action="export")
    assert (event.object_id, event.note, event.actor) == ("compliance", "导出 compliance，79 行", township_admin)


def test_county_export_sorted_by_code_and_scoped(world, county_admin, sibling_admin, secretary):
    _, _, rows = export(county_admin)
    codes = [r[0] for r in rows]
    assert list(dict.fromkeys(codes)) == ["C01001", "C01002", "C01003", "C02001", "C02002", "C90"]
    assert codes == sorted(codes)
    assert rows[:79] == A1_ROWS + A2_ROWS + NEW_ROWS
    # The sibling township sees its own branches only, the secretary their one branch.
    assert {r[0] for r in export(sibling_admin)[2]} == {"C02001", "C02002"}
    assert export(secretary)[2] == A1_ROWS


def test_the_queryset_narrows_and_is_still_scoped(world, township_admin):
    county, _ = world
    everything = Organization.objects.all()
    buf = io.BytesIO()
    export_write(kind="compliance", actor=township_admin, fp=buf, year=2025, queryset=everything.filter(code="C01002"))
    assert read(buf.getvalue())[1] == A2_ROWS
    buf = io.BytesIO()
    export_write(kind="compliance", actor=township_admin, fp=buf, year=2025, queryset=everything.filter(code="C02001"))
    assert read(buf.getvalue())[1] == []  # out of scope: nothing, as if it did not exist


def test_a_kind_with_no_requirement_has_no_rows(world, township_admin):
    MeetingStandard.objects.filter(kind="民主评议党员").update(min_count=0)
    MeetingStandard.objects.filter(kind="党课").update(min_count=2)
    _, _, rows = export(township_admin)
    assert not [r for r in rows if r[2] == "民主评议党员"]
    lectures = [r[3:] for r in rows if r[:3] == ["C01001", "东街村党支部", "党课"]]
    assert lectures == [["2025-Q1", 2, 0, MISSED], ["2025-Q2", 2, 1, MISSED], ["2025-Q3", 2, 0, OPEN],
                        ["2025-Q4", 2, 0, OPEN]]  # fmt: skip


def test_another_year(world, township_admin):
    _, _, rows = export(township_admin, year=2024)
    # 2024 is over: the 民主评议党员 at 23:59 on 31 December 2024 counts for it; C01003 did not exist yet.
    assert [r for r in rows if r[2] == "民主评议党员"] == [
        ["C01001", "东街村党支部", "民主评议党员", "2024", 1, 1, MET],
        ["C01002", "西街村党支部", "民主评议党员", "2024", 1, 0, MISSED],
    ]
    assert {r[0] for r in rows} == {"C01001", "C01002"}
    assert {r[6] for r in rows} == {MET, MISSED}


def test_command_needs_a_year(world, tmp_path, monkeypatch):
    path = tmp_path / "compliance.xlsx"
    code, out, err = run_cli(monkeypatch, "export_xlsx", "compliance", "-o", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == ["CommandError: 导出 compliance 须指定年度，如 --year 2025"]
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="export").exists()

    code, out, err = run_cli(monkeypatch, "export_xlsx", "compliance", "--year", "2025", "-o", str(path))
    assert (code, err) == (0, "")
    _, rows = read(path.read_bytes())
    assert out.splitlines() == [f"已导出 compliance：{len(rows)} 行 → {path}"]
    assert rows[:79] == A1_ROWS + A2_ROWS + NEW_ROWS
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_export_write_without_a_year_is_refused(world, county_admin):
    with pytest.raises(ValueError, match="须指定年度"):
        export_write(kind="compliance", actor=county_admin, fp=io.BytesIO(), year=None)
