"""The findings workflow (supervision.services.findings), worked by hand: one step at a time, sign-off by the level
above, repeated findings across years, overdue flags, the checks on registration, the nightly findings_raise and the
counts the assessment reads. Every refusal leaves the tables exactly as they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import NotInScope
from core.models import AuditEvent
from organizations.services import post_create
from supervision.models import Finding, FindingEvent, FindingEvidence
from supervision.selectors.findings import FindingCounts, finding_counts, finding_steps_for
from supervision.services.findings import Fault, finding_advance, finding_update, findings_raise
from tests.factories import PersonFactory
from tests.supervision.findings_helpers import D, make, set_dates, this_year, today, unchanged, upload, walk

pytestmark = pytest.mark.django_db

START, REPORT, SIGN_OFF, SEND_BACK, NOTE = "开始整改", "报告整改完成", "销号", "退回重改", "补充说明"


def _refused(exc_info, field: str) -> list[str]:
    return exc_info.value.message_dict[field]


# --- The steps -----------------------------------------------------------------------------------------------------


def test_every_allowed_transition_moves_one_step_with_an_event_and_an_audit_row(county):
    f = make(county.village_a1)
    assert (f.status, f.events.count()) == ("待整改", 1)
    assert f.events.get().step == "登记"

    walk(f, START)
    assert f.status == "整改中" and f.rectified_on is None
    walk(f, REPORT)
    assert f.status == "已整改" and f.rectified_on == today()
    walk(f, SEND_BACK)
    assert f.status == "整改中" and f.rectified_on is None  # sent back: the rectification is not done any more
    walk(f, REPORT, SIGN_OFF)
    assert f.status == "已销号" and f.closed_on == today()
    steps = list(f.events.values_list("step", "from_status", "to_status"))
    assert steps == [
        ("登记", "", "待整改"),
        (START, "待整改", "整改中"),
        (REPORT, "整改中", "已整改"),
        (SEND_BACK, "已整改", "整改中"),
        (REPORT, "整改中", "已整改"),
        (SIGN_OFF, "已整改", "已销号"),
    ]
    audits = AuditEvent.objects.filter(object_type="supervision.finding", object_id=str(f.pk))
    assert list(audits.order_by("id").values_list("action", flat=True)) == ["create"] + ["advance"] * 5


@pytest.mark.parametrize(
    ("path", "step", "status", "next_step"),
    [
        ((), REPORT, "待整改", "开始整改"),
        ((), SIGN_OFF, "待整改", "开始整改"),
        ((START,), SIGN_OFF, "整改中", "报告整改完成"),
        ((START,), START, "整改中", "报告整改完成"),
        ((START, REPORT), START, "已整改", "上级销号或退回重改"),
        ((START, REPORT, SIGN_OFF), START, "已销号", "无（已销号）"),
        ((START, REPORT, SIGN_OFF), REPORT, "已销号", "无（已销号）"),
        ((START, REPORT, SIGN_OFF), SIGN_OFF, "已销号", "无（已销号）"),
        ((START, REPORT, SIGN_OFF), SEND_BACK, "已销号", "无（已销号）"),
    ],
)
def test_a_skipped_step_is_refused_with_the_step_that_comes_next(county, path, step, status, next_step):
    f = walk(make(county.village_a1), *path)
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_advance(actor=None, finding=f, step=step, note="想跳过")
    assert _refused(exc, "step") == [f"问题当前为“{status}”，不能“{step}”（不能跳过环节）；下一步应为：{next_step}。"]


def test_a_signed_off_finding_takes_no_note_and_no_correction(county):
    f = walk(make(county.village_a1), START, REPORT, SIGN_OFF)
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_advance(actor=None, finding=f, step=NOTE, note="补一张照片", files=[upload()])
    assert _refused(exc, "step") == ["问题已销号，不能再补充材料。"]
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_update(actor=None, finding=f, description="改一下")
    assert _refused(exc, "status") == ["问题已销号，不能再修改。"]


def test_register_and_invalid_steps(county):
    f = make(county.village_a1)
    for step in ("登记", "跳到最后"):
        with unchanged(f), pytest.raises(ValidationError) as exc:
            finding_advance(actor=None, finding=f, step=step)
        assert _refused(exc, "step") == ["无效的整改环节。"]


@pytest.mark.parametrize(
    ("path", "step", "message"),
    [
        ((), START, "请填写整改措施。"),
        ((START,), REPORT, "请填写整改完成情况。"),
        ((START, REPORT), SEND_BACK, "请填写退回原因。"),
        ((), NOTE, "请填写说明。"),
    ],
)
def test_steps_that_need_a_note(county, path, step, message):
    f = walk(make(county.village_a1), *path)
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_advance(actor=None, finding=f, step=step, note="  ")
    assert _refused(exc, "note") == [message]


def test_send_back_clears_the_rectified_date(county, township_admin):
    f = walk(make(county.village_a1), START, REPORT)
    assert f.rectified_on == today()
    finding_advance(actor=township_admin, finding=f, step=SEND_BACK, note="照片不清楚，重新整改")
    f.refresh_from_db()
    assert (f.status, f.rectified_on) == ("整改中", None)
    assert f.events.last().note == "照片不清楚，重新整改"


def test_a_note_keeps_the_status_and_stores_its_files_on_the_event(county, secretary):
    f = walk(make(county.village_a1), START)
    event = finding_advance(actor=secretary, finding=f, step=NOTE, note="补充整改照片", files=[upload()])
    f.refresh_from_db()
    assert (f.status, event.from_status, event.to_status) == ("整改中", "整改中", "整改中")
    assert list(event.files.values_list("name", flat=True)) == ["整改照片.jpg"]
    assert FindingEvidence.objects.get().finding_id == f.pk


def test_a_file_that_is_no_picture_is_refused_and_nothing_changes(county, secretary):
    f = walk(make(county.village_a1), START)
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_advance(
            actor=secretary, finding=f, step=REPORT, note="已整改", files=[upload("不是图片".encode(), "假.jpg")]
        )
    assert _refused(exc, "files") == ["“假.jpg”不是 JPG、PNG 图片或 PDF 文件（按文件内容判断）。"]


# --- Who may take which step ---------------------------------------------------------------------------------------


def test_the_village_secretary_starts_and_reports_but_does_not_sign_off(county, secretary):
    f = make(county.village_a1)
    assert finding_steps_for(secretary, f) == [START, NOTE]
    finding_advance(actor=secretary, finding=f, step=START, note="召开支委会研究整改")
    finding_advance(actor=secretary, finding=f, step=REPORT, note="已补开组织生活会", files=[upload()])
    f.refresh_from_db()
    assert f.status == "已整改"
    assert finding_steps_for(secretary, f) == [NOTE]
    for step in (SIGN_OFF, SEND_BACK):
        with unchanged(f), pytest.raises(PermissionDenied) as exc:
            finding_advance(actor=secretary, finding=f, step=step, note="自己销号")
        assert str(exc.value) == f"问题须由东街村党支部的上级组织审核销号，责任组织不能为自己的问题{step}。"


def test_the_township_signs_off_a_village_finding(county, township_admin):
    f = walk(make(county.village_a1), START, REPORT)
    assert finding_steps_for(township_admin, f) == [SIGN_OFF, SEND_BACK, NOTE]
    finding_advance(actor=township_admin, finding=f, step=SIGN_OFF, note="整改到位")
    f.refresh_from_db()
    assert (f.status, f.closed_on) == ("已销号", today())
    assert f.events.last().actor == township_admin


def test_the_township_cannot_sign_off_its_own_finding_the_county_can(county, township_admin, county_admin):
    f = walk(make(county.township_a), START, REPORT)
    assert finding_steps_for(township_admin, f) == [NOTE]
    with unchanged(f), pytest.raises(PermissionDenied) as exc:
        finding_advance(actor=township_admin, finding=f, step=SIGN_OFF)
    assert str(exc.value) == "问题须由城关镇党委的上级组织审核销号，责任组织不能为自己的问题销号。"
    assert finding_steps_for(county_admin, f) == [SIGN_OFF, SEND_BACK, NOTE]
    finding_advance(actor=county_admin, finding=f, step=SIGN_OFF)
    f.refresh_from_db()
    assert f.status == "已销号"


def test_the_leader_can_do_nothing(county, leader):
    f = make(county.village_a1)
    assert finding_steps_for(leader, f) == []
    with unchanged(f), pytest.raises(PermissionDenied) as exc:
        finding_advance(actor=leader, finding=f, step=START, note="看看")
    assert str(exc.value) == "只有东街村党支部及其上级的工作人员可以开始整改。"
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        make(county.village_a1, actor=leader)
    assert str(exc.value) == "您的角色不能登记问题（须为组织部、乡镇管理员或该组织的考核组成员）。"
    walk(f, START, REPORT)
    with unchanged(f), pytest.raises(PermissionDenied):
        finding_advance(actor=leader, finding=f, step=SIGN_OFF)


def test_the_sibling_township_gets_not_found(county, sibling_admin):
    f = walk(make(county.village_a1), START, REPORT)
    assert finding_steps_for(sibling_admin, f) == []
    for step in (START, REPORT, SIGN_OFF, SEND_BACK, NOTE):
        with unchanged(f), pytest.raises(NotInScope):
            finding_advance(actor=sibling_admin, finding=f, step=step, note="越权")
    with unchanged(), pytest.raises(NotInScope):
        make(county.village_a1, actor=sibling_admin)
    with unchanged(f), pytest.raises(NotInScope):
        finding_update(actor=sibling_admin, finding=f, description="越权修改")


def test_the_inspector_registers_and_corrects_but_takes_no_step(county, inspector):
    f = make(county.village_b1, actor=inspector, severity="较重", responsible="王书记")
    assert (f.created_by, f.severity, f.responsible) == (inspector, "较重", "王书记")
    assert finding_steps_for(inspector, f) == []
    finding_update(actor=inspector, finding=f, severity="严重", description="问题更正")
    f.refresh_from_db()
    assert (f.severity, f.description) == ("严重", "问题更正")
    update = AuditEvent.objects.get(object_type="supervision.finding", object_id=str(f.pk), action="update")
    assert update.before == {"severity": "较重", "description": "北山村党支部组织生活存在问题"}
    assert update.after == {"severity": "严重", "description": "问题更正"}
    with unchanged(f), pytest.raises(PermissionDenied):
        finding_advance(actor=inspector, finding=f, step=START, note="代为整改")


# --- Registration checks -------------------------------------------------------------------------------------------


def test_registering_a_system_check_by_hand_is_refused(county, inspector):
    with unchanged(), pytest.raises(ValidationError) as exc:
        make(county.village_a1, source="系统检查", actor=inspector)
    assert _refused(exc, "source") == ["“系统检查”的问题由夜间检查自动登记，不能手工登记。"]


def test_a_deadline_in_the_past_is_refused(county, inspector):
    yesterday = today() - dt.timedelta(days=1)
    with unchanged(), pytest.raises(ValidationError) as exc:
        make(county.village_a1, actor=inspector, found_on=yesterday - dt.timedelta(days=5), deadline=yesterday)
    assert _refused(exc, "deadline") == [f"整改时限 {yesterday} 已经过去，请填写今天或以后的日期。"]
    f = make(county.village_a1, actor=inspector, deadline=today())  # today is not past
    assert f.deadline == today()
    with unchanged(f), pytest.raises(ValidationError) as exc:
        finding_update(actor=inspector, finding=f, deadline=yesterday)
    assert _refused(exc, "deadline") == [f"整改时限 {yesterday} 已经过去，请填写今天或以后的日期。"]


def test_a_found_date_in_the_future_is_refused(county, inspector):
    tomorrow = today() + dt.timedelta(days=1)
    with unchanged(), pytest.raises(ValidationError) as exc:
        make(county.village_a1, actor=inspector, found_on=tomorrow, deadline=tomorrow + dt.timedelta(days=9))
    assert _refused(exc, "found_on") == [f"发现日期 {tomorrow} 晚于今天，不能登记。"]


def test_the_responsible_person_defaults_to_the_secretary(county):
    post_create(
        actor=None,
        organization=county.village_a1,
        person=PersonFactory(name="李明"),
        title="书记",
        start_on=D(2020, 1, 1),
    )
    assert make(county.village_a1).responsible == "李明"
    assert make(county.village_a1, responsible="张三").responsible == "张三"
    assert make(county.village_a2).responsible == ""  # no secretary on record


# --- Repeated findings ---------------------------------------------------------------------------------------------


def test_next_year_the_same_category_is_repeated_and_points_at_last_years(county):
    last = make(county.village_a1, found_on=D(this_year() - 1, 5, 10))
    assert not last.repeated
    current = make(county.village_a1, found_on=D(this_year(), 1, 1))
    assert (current.repeated, current.previous) == (True, last)
    assert (
        AuditEvent.objects.get(object_type="supervision.finding", object_id=str(current.pk), action="create").note
        == "上年同类问题重复发生"
    )


def test_last_years_registered_afterwards_marks_this_years(county):
    current = make(county.village_a1, found_on=D(this_year(), 1, 1))
    assert not current.repeated
    last = make(county.village_a1, found_on=D(this_year() - 1, 11, 20))
    current.refresh_from_db()
    assert (current.repeated, current.previous) == (True, last)
    assert not last.repeated


def test_two_years_back_does_not_make_this_year_repeated(county):
    make(county.village_a1, found_on=D(this_year() - 2, 6, 1))
    assert not make(county.village_a1, found_on=D(this_year(), 1, 1)).repeated


def test_another_category_or_another_organization_is_not_repeated(county):
    make(county.village_a1, category="组织生活", found_on=D(this_year() - 1, 6, 1))
    assert not make(county.village_a1, category="台账资料", found_on=D(this_year(), 1, 1)).repeated
    assert not make(county.village_a2, category="组织生活", found_on=D(this_year(), 1, 1)).repeated


def test_correcting_the_category_reconsiders_repeated(county):
    last = make(county.village_a1, category="台账资料", found_on=D(this_year() - 1, 6, 1))
    f = make(county.village_a1, category="组织生活", found_on=D(this_year(), 1, 1))
    assert not f.repeated
    finding_update(actor=None, finding=f, category="台账资料")
    f.refresh_from_db()
    assert (f.repeated, f.previous) == (True, last)


# --- Overdue -------------------------------------------------------------------------------------------------------


def test_overdue_boundary(county):
    day = today()
    due_today = make(county.village_a1, deadline=day)
    due_yesterday = set_dates(
        make(county.village_a2), found_on=day - dt.timedelta(days=10), deadline=day - dt.timedelta(days=1)
    )
    reported = set_dates(
        walk(make(county.village_b1), START, REPORT),
        found_on=day - dt.timedelta(days=10),
        deadline=day - dt.timedelta(days=1),
    )
    in_progress = set_dates(
        walk(make(county.village_b2), START), found_on=day - dt.timedelta(days=10), deadline=day - dt.timedelta(days=1)
    )
    assert not due_today.is_overdue(day)
    assert due_yesterday.is_overdue(day)
    assert not reported.is_overdue(day)  # 已整改: waiting for sign-off, not overdue
    assert in_progress.is_overdue(day)
    assert set(Finding.objects.overdue(day)) == {due_yesterday, in_progress}


# --- The nightly checks --------------------------------------------------------------------------------------------


def _fault(org, key: str, kind: str = "duplicate_speech") -> Fault:
    return Fault(
        organization_id=org.pk,
        check_kind=kind,
        key=key,
        description="组织生活会两名党员发言材料高度雷同",
        evidence={
            "summary": "相似度 93%",
            "pair": {
                "left": {"title": "甲", "text": "一二三"},
                "right": {"title": "乙", "text": "一二四"},
                "similarity": 0.93,
            },
        },
    )


def test_findings_raise_registers_each_fault_once_across_nights(county):
    faults = [_fault(county.village_a1, "duplicate_speech:1:2"), _fault(county.village_b1, "duplicate_speech:3:4")]
    first = findings_raise(faults)
    assert len(first) == 2
    with unchanged():
        assert findings_raise(faults) == []
    rows = Finding.objects.filter(pk__in=first).order_by("check_key")
    assert [(f.source, f.category, f.check_kind, f.status) for f in rows] == [
        ("系统检查", "形式主义", "duplicate_speech", "待整改")
    ] * 2
    assert rows[0].evidence["pair"]["similarity"] == 0.93
    assert rows[0].deadline == today() + dt.timedelta(days=30)
    assert FindingEvent.objects.filter(finding__in=rows, step="登记").count() == 2
    audits = AuditEvent.objects.filter(
        object_type="supervision.finding", action="create", object_id__in=[str(pk) for pk in first]
    )
    assert sorted(a.after["check_key"] for a in audits) == ["duplicate_speech:1:2", "duplicate_speech:3:4"]


def test_a_signed_off_finding_is_not_raised_again(county):
    [pk] = findings_raise([_fault(county.village_a1, "duplicate_speech:1:2")])
    walk(Finding.objects.get(pk=pk), START, REPORT, SIGN_OFF)
    new = findings_raise(
        [_fault(county.village_a1, "duplicate_speech:1:2"), _fault(county.village_a1, "duplicate_speech:5:6")]
    )
    assert len(new) == 1
    assert Finding.objects.get(pk=new[0]).check_key == "duplicate_speech:5:6"
    assert Finding.objects.get(pk=pk).status == "已销号"


def test_a_system_finding_is_repeated_from_last_years_of_its_category(county):
    last = make(county.village_a1, category="形式主义", found_on=D(this_year() - 1, 3, 1))
    [pk] = findings_raise([_fault(county.village_a1, "duplicate_speech:7:8")])
    f = Finding.objects.get(pk=pk)
    assert (f.repeated, f.previous) == (True, last)


# --- The counts the assessment reads -------------------------------------------------------------------------------


def test_finding_counts_by_hand(county):
    day = today()
    year = this_year()
    if day == D(year, 1, 1):
        pytest.skip("on 1 January a deadline yesterday lies in last year")
    a1 = county.village_a1
    make(a1, found_on=D(year - 1, 6, 1))  # last year: not counted below, but makes this year's 组织生活 repeated
    make(a1, found_on=D(year, 1, 1))  # open, repeated
    set_dates(
        make(a1, category="台账资料"), found_on=D(year, 1, 1), deadline=day - dt.timedelta(days=1)
    )  # open, overdue
    walk(make(a1, category="班子建设"), START, REPORT)  # reported: not open
    set_dates(walk(make(county.village_a2), START), found_on=D(year, 1, 1), deadline=day - dt.timedelta(days=1))
    counts = finding_counts(year=year, today=day)
    assert counts[a1.pk] == FindingCounts(total=3, open=2, overdue=1, repeated=1)
    assert counts[county.village_a2.pk] == FindingCounts(total=1, open=1, overdue=1, repeated=0)
    assert county.village_b1.pk not in counts
    assert finding_counts(year=year - 1, organization_ids=[a1.pk], today=day) == {a1.pk: FindingCounts(1, 1, 0, 0)}
