"""党建任务 rules, worked by hand in the county of tests/conftest.py: who may send to whom (task_dispatch), who reports
when (task_report), who reviews what (task_review), each organization's completion of a year (task_completion) and
the tree filters that choose the receivers (dispatch_targets). Every refusal also checks that nothing changed.

The helpers at the top are shared by the page and API tests of tasks (tests/supervision/test_tasks_*.py)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.services import account_create
from core.exceptions import NotInScope
from core.models import AuditEvent
from supervision.choices import AssignmentStatus
from supervision.models import Task, TaskAssignment, TaskAttachment, TaskEvidence
from supervision.selectors.tasks import (
    Completion,
    assignment_received_list,
    dispatch_targets,
    is_overdue,
    reported_late,
    task_completion,
)
from supervision.services.tasks import task_dispatch, task_report, task_review
from tests.conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
MODELS = (Task, TaskAssignment, TaskAttachment, TaskEvidence, AuditEvent)


def today() -> dt.date:
    return timezone.localdate()


def upload(content: bytes = PNG, name: str = "通知.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def send(actor, sender, targets, *, deadline=None, title="开展主题党日活动", **extra) -> Task:
    return task_dispatch(
        actor=actor,
        sender=sender,
        title=title,
        body=extra.pop("body", "请各支部于本月组织开展主题党日活动，并上报照片。"),
        deadline=deadline or today() + dt.timedelta(days=7),
        targets=targets,
        **extra,
    )


def assignment_of(task, org) -> TaskAssignment:
    return TaskAssignment.objects.select_related("task", "organization").get(task=task, organization=org)


def lapse(task, days: int = 1) -> None:
    """Move a task's deadline into the past, as if `days` had gone by since it fell due today."""
    Task.objects.filter(pk=task.pk).update(deadline=today() - dt.timedelta(days=days))


def state() -> tuple:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    rows = list(TaskAssignment.objects.order_by("pk").values())
    return counts, rows


@contextmanager
def unchanged():
    """Assert the block leaves every task table (and the audit log) as it was."""
    before = state()
    yield
    assert state() == before


def secretary_of(org, username: str):
    return account_create(
        actor=None, username=username, password=PASSWORD, organization=org, role="branch_secretary", full_name="书记"
    )


# --- task_dispatch --------------------------------------------------------------------------------------------


def test_a_township_sends_to_its_villages_with_audit_rows(township_admin, county):
    task = send(
        township_admin,
        county.township_a,
        [county.village_a2, county.village_a1, county.village_a1],  # a repeated target counts once
        targets_note="城关镇党委下 · 党支部",
        files=[upload()],
    )
    rows = list(task.assignments.order_by("organization__path"))
    assert [a.organization for a in rows] == [county.village_a1, county.village_a2]
    assert {a.status for a in rows} == {AssignmentStatus.PENDING}
    assert task.created_by == township_admin and task.targets_note == "城关镇党委下 · 党支部"
    assert task.attachments.get().name == "通知.png"
    dispatch = AuditEvent.objects.get(action="dispatch")
    assert dispatch.object_id == str(task.pk) and dispatch.org_path == county.township_a.path
    assert dispatch.after["organizations"] == 2
    created = AuditEvent.objects.filter(action="create", object_type="supervision.taskassignment")
    assert sorted(e.org_path for e in created) == [county.village_a1.path, county.village_a2.path]
    assert AuditEvent.objects.filter(action="create", object_type="supervision.taskattachment").count() == 1


def test_a_target_outside_the_senders_subtree_is_refused_by_name(county_admin, county):
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(county_admin, county.township_a, [county.village_a1, county.village_b1])
    message = exc.value.message_dict["targets"][0]
    assert "北山村党支部" in message and "城关镇党委" in message and "东街村党支部" not in message


def test_a_sibling_townships_village_is_refused(township_admin, county):
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(township_admin, county.township_a, [county.village_b2])
    assert "南河村党支部" in exc.value.message_dict["targets"][0]


def test_the_sender_itself_is_not_a_target(township_admin, county):
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(township_admin, county.township_a, [county.township_a])
    assert "城关镇党委" in exc.value.message_dict["targets"][0]


def test_a_sender_outside_the_actors_scope_is_not_found(township_admin, secretary, leader, county):
    with unchanged():
        with pytest.raises(NotInScope):
            send(township_admin, county.township_b, [county.village_b1])
        with pytest.raises(NotInScope):  # the county above the township
            send(township_admin, county.root, [county.village_a1])
        with pytest.raises(NotInScope):  # a branch secretary does not manage
            send(secretary, county.village_a1, [county.village_a1])
        with pytest.raises(NotInScope):  # nor does the read-only leader
            send(leader, county.root, [county.township_a])


def test_deadline_yesterday_is_refused_today_is_taken(township_admin, county):
    yesterday = today() - dt.timedelta(days=1)
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(township_admin, county.township_a, [county.village_a1], deadline=yesterday)
    message = exc.value.message_dict["deadline"][0]
    assert str(yesterday) in message and "已经过去" in message
    task = send(township_admin, county.township_a, [county.village_a1], deadline=today())
    assert task.deadline == today()
    assert not is_overdue(assignment_of(task, county.village_a1))  # due today is not overdue yet


def test_empty_targets_and_empty_title_are_refused(township_admin, county):
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(township_admin, county.township_a, [], title="  ")
    assert exc.value.message_dict["targets"] == ["请至少选择一个承办组织。"]
    assert exc.value.message_dict["title"] == ["请填写任务名称。"]


def test_a_file_that_is_not_a_picture_or_pdf_sends_nothing(township_admin, county):
    fake = SimpleUploadedFile("通知.png", "这不是图片".encode(), content_type="image/png")
    with unchanged(), pytest.raises(ValidationError) as exc:
        send(township_admin, county.township_a, [county.village_a1], files=[fake])
    assert "不是 JPG、PNG 图片或 PDF 文件" in exc.value.message_dict["files"][0]


# --- task_report ----------------------------------------------------------------------------------------------


@pytest.fixture
def sent(township_admin, county):
    """城关镇 sends a task to both its villages, due in a week."""
    return send(township_admin, county.township_a, [county.village_a1, county.village_a2])


def test_the_branch_reports_with_evidence(secretary, county, sent):
    a = task_report(
        actor=secretary,
        assignment=assignment_of(sent, county.village_a1),
        report="已于12月1日开展，参加党员18人。",
        files=[upload(PDF, "签到表.pdf")],
    )
    a.refresh_from_db()
    assert (a.status, a.report_count, a.reported_by) == (AssignmentStatus.REPORTED, 1, secretary)
    assert a.reported_at is not None and not reported_late(a)
    assert a.evidence.get().content_type == "application/pdf"
    event = AuditEvent.objects.get(action="report")
    assert event.before == {"status": "待办理"} and event.after["status"] == "已上报" and event.note == ""
    # The other village is untouched.
    assert assignment_of(sent, county.village_a2).status == AssignmentStatus.PENDING


def test_a_read_only_leader_may_not_report(leader, county, sent):
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        task_report(actor=leader, assignment=assignment_of(sent, county.village_a1), report="已完成")
    assert "只能查看" in str(exc.value)


def test_another_branchs_secretary_gets_not_found(county, sent):
    west = secretary_of(county.village_a2, "west_secretary")
    with unchanged(), pytest.raises(NotInScope):
        task_report(actor=west, assignment=assignment_of(sent, county.village_a1), report="代为上报")


def test_the_sibling_township_gets_not_found(sibling_admin, county, sent):
    with unchanged(), pytest.raises(NotInScope):
        task_report(actor=sibling_admin, assignment=assignment_of(sent, county.village_a1), report="已完成")


def test_reported_and_accepted_cannot_report_again_returned_can(secretary, township_admin, county, sent):
    a = assignment_of(sent, county.village_a1)
    task_report(actor=secretary, assignment=a, report="第一次上报")
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_report(actor=secretary, assignment=a, report="再报一次")
    assert "不能重复上报" in exc.value.message_dict["status"][0]
    task_review(actor=township_admin, assignment=a, accept=False, comment="缺少活动照片，请补充。")
    a.refresh_from_db()
    assert (a.status, a.review_comment) == (AssignmentStatus.RETURNED, "缺少活动照片，请补充。")
    task_report(actor=secretary, assignment=a, report="已补充照片", files=[upload()])
    a.refresh_from_db()
    assert (a.status, a.report_count, a.report) == (AssignmentStatus.REPORTED, 2, "已补充照片")
    task_review(actor=township_admin, assignment=a, accept=True)
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_report(actor=secretary, assignment=a, report="通过后再报")
    assert "已审核通过" in exc.value.message_dict["status"][0]


def test_a_report_after_the_deadline_is_taken_and_flagged_late(secretary, county, sent):
    lapse(sent, days=3)
    a = assignment_of(sent, county.village_a1)
    assert is_overdue(a)
    task_report(actor=secretary, assignment=a, report="逾期完成")
    a = assignment_of(sent, county.village_a1)
    assert a.status == AssignmentStatus.REPORTED and reported_late(a) and not is_overdue(a)
    assert AuditEvent.objects.get(action="report").note == "逾期上报"


def test_an_empty_report_is_refused(secretary, county, sent):
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_report(actor=secretary, assignment=assignment_of(sent, county.village_a1), report="   ")
    assert exc.value.message_dict["report"] == ["请填写完成情况。"]


# --- task_review ----------------------------------------------------------------------------------------------


@pytest.fixture
def reported(secretary, county, sent):
    a = assignment_of(sent, county.village_a1)
    task_report(actor=secretary, assignment=a, report="已完成")
    return assignment_of(sent, county.village_a1)


def test_the_senders_staff_accept_with_an_audit_row(township_admin, reported):
    task_review(actor=township_admin, assignment=reported, accept=True, comment="")
    reported.refresh_from_db()
    assert (reported.status, reported.reviewed_by) == (AssignmentStatus.ACCEPTED, township_admin)
    event = AuditEvent.objects.get(action="review")
    assert event.before == {"status": "已上报"} and event.after["status"] == "已通过"


def test_the_county_above_the_sender_may_review_too(county_admin, reported):
    task_review(actor=county_admin, assignment=reported, accept=True)
    reported.refresh_from_db()
    assert reported.status == AssignmentStatus.ACCEPTED


def test_the_receiver_cannot_review_its_own_report(secretary, sibling_admin, reported):
    with unchanged():
        with pytest.raises(PermissionDenied) as exc:
            task_review(actor=secretary, assignment=reported, accept=True)
        assert "只有发送单位（城关镇党委）可以审核" in str(exc.value)
        with pytest.raises(NotInScope):
            task_review(actor=sibling_admin, assignment=reported, accept=True)


def test_a_receiving_township_cannot_review_the_countys_task(county_admin, township_admin, county):
    task = send(county_admin, county.root, [county.township_a, county.township_b])
    a = assignment_of(task, county.township_a)
    task_report(actor=township_admin, assignment=a, report="已部署")
    with unchanged(), pytest.raises(PermissionDenied):
        task_review(actor=township_admin, assignment=a, accept=True)


def test_returning_needs_a_comment(township_admin, reported):
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_review(actor=township_admin, assignment=reported, accept=False, comment="  ")
    assert "退回须填写意见" in exc.value.message_dict["comment"][0]


def test_only_a_reported_task_is_reviewable(township_admin, county, sent, reported):
    pending = assignment_of(sent, county.village_a2)
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_review(actor=township_admin, assignment=pending, accept=True)
    assert "待办理" in exc.value.message_dict["status"][0]
    task_review(actor=township_admin, assignment=reported, accept=True)
    with unchanged(), pytest.raises(ValidationError) as exc:
        task_review(actor=township_admin, assignment=reported, accept=False, comment="再退回")
    assert "已通过" in exc.value.message_dict["status"][0]


# --- task_completion ------------------------------------------------------------------------------------------


def _set(task, org, *, deadline, status, reported_at=None):
    Task.objects.filter(pk=task.pk).update(deadline=deadline)
    TaskAssignment.objects.filter(task=task, organization=org).update(status=status, reported_at=reported_at)


def test_completion_of_a_year_worked_by_hand(township_admin, county):
    """东街村 (a1), tasks due in 2026: one accepted on time (reported 23:30 on the deadline day, Beijing time), one
    accepted late (00:10 the day after: still the deadline day in UTC), one still pending past its deadline; one
    accepted task due 2025-12-31 belongs to 2025. 西街村 (a2): one reported but not yet accepted, one returned and
    past its deadline. 北山村 received nothing."""
    a1, a2 = county.village_a1, county.village_a2
    t0, t1, t2, t3 = (send(township_admin, county.township_a, [a1, a2], title=f"任务{i}") for i in range(4))
    _set(
        t0, a1, deadline=dt.date(2025, 12, 31), status="已通过", reported_at=dt.datetime(2025, 12, 30, tzinfo=SHANGHAI)
    )
    _set(
        t1,
        a1,
        deadline=dt.date(2026, 3, 31),
        status="已通过",
        reported_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI),
    )
    _set(
        t2,
        a1,
        deadline=dt.date(2026, 6, 30),
        status="已通过",
        reported_at=dt.datetime(2026, 7, 1, 0, 10, tzinfo=SHANGHAI),
    )
    _set(t3, a1, deadline=dt.date(2026, 9, 30), status="待办理")
    _set(t1, a2, deadline=dt.date(2026, 3, 31), status="已上报", reported_at=dt.datetime(2026, 3, 20, tzinfo=SHANGHAI))
    _set(t3, a2, deadline=dt.date(2026, 9, 30), status="已退回", reported_at=dt.datetime(2026, 9, 1, tzinfo=SHANGHAI))
    # t0 and t2 went to a2 as well, still pending: t0 belongs to 2025, t2 is a third 2026 task of a2, overdue.

    result = task_completion(year=2026, today=dt.date(2026, 10, 15))
    assert result[a1.pk] == Completion(assigned=3, accepted=2, on_time=1, overdue=1)
    assert result[a1.pk].rate == Fraction(2, 3) and result[a1.pk].on_time_rate == Fraction(1, 3)
    assert result[a2.pk] == Completion(assigned=3, accepted=0, on_time=0, overdue=2)
    assert result[a2.pk].rate == 0
    assert county.village_b1.pk not in result and Completion().rate is None

    # On t3's deadline day nothing of it is overdue yet; 2025 holds t0 only.
    assert task_completion(year=2026, today=dt.date(2026, 9, 30))[a1.pk].overdue == 0
    assert task_completion(year=2025, organization_ids=[a1.pk], today=dt.date(2026, 10, 15)) == {
        a1.pk: Completion(assigned=1, accepted=1, on_time=1, overdue=0)
    }
    assert task_completion(year=2026, organization_ids=[county.village_b1.pk]) == {}


# --- dispatch_targets -----------------------------------------------------------------------------------------


def names(qs) -> list[str]:
    return [o.name for o in qs]


def test_dispatch_targets_by_kind_and_domain(county_admin, county):
    # All village branches of a township: sender the township, 党支部 of 农村.
    assert names(
        dispatch_targets(actor=county_admin, sender=county.township_a, kinds=["党支部"], domains=["农村"])
    ) == [
        "东街村党支部",
        "西街村党支部",
    ]
    # All rural branches of the county: 南河村 is a 社区 branch, the finance bureau an 机关 one.
    assert names(dispatch_targets(actor=county_admin, sender=county.root, kinds=["党支部"], domains=["农村"])) == [
        "东街村党支部",
        "西街村党支部",
        "北山村党支部",
    ]
    assert names(dispatch_targets(actor=county_admin, sender=county.root, kinds=["党委"])) == [
        "城关镇党委",
        "石门镇党委",
    ]


def test_dispatch_targets_direct_children_or_the_subtree(county_admin, county):
    everything = dispatch_targets(actor=county_admin, sender=county.root)
    assert len(everything) == 7 and county.root not in everything
    assert names(dispatch_targets(actor=county_admin, sender=county.root, direct_only=True)) == [
        "城关镇党委",
        "石门镇党委",
        "县财政局机关党支部",
    ]


def test_dispatch_targets_within_a_part_of_the_tree(county_admin, county):
    within_b = dispatch_targets(actor=county_admin, sender=county.root, within=county.township_b)
    assert names(within_b) == ["北山村党支部", "南河村党支部"]
    assert names(
        dispatch_targets(actor=county_admin, sender=county.root, within=county.township_b, domains=["社区"])
    ) == ["南河村党支部"]
    assert names(
        dispatch_targets(actor=county_admin, sender=county.root, within=county.township_b, direct_only=True)
    ) == ["北山村党支部", "南河村党支部"]
    # A range outside the sender's subtree matches nothing; the sender itself as the range is the whole subtree.
    assert not dispatch_targets(actor=county_admin, sender=county.township_a, within=county.township_b).exists()
    assert len(dispatch_targets(actor=county_admin, sender=county.root, within=county.root)) == 7


def test_dispatch_targets_stay_inside_the_actors_manage_scope(township_admin, sibling_admin, secretary, county):
    assert names(dispatch_targets(actor=township_admin, sender=county.root)) == [
        "城关镇党委",
        "东街村党支部",
        "西街村党支部",
    ]
    assert not dispatch_targets(actor=sibling_admin, sender=county.township_a).exists()
    assert not dispatch_targets(actor=secretary, sender=county.village_a1).exists()


def test_the_received_list_is_the_to_do_not_the_own_sending(county_admin, township_admin, secretary, county):
    from_county = send(county_admin, county.root, [county.township_a, county.village_a1], title="县委任务")
    from_township = send(township_admin, county.township_a, [county.village_a1], title="镇党委任务")
    assert {a.task for a in assignment_received_list(actor=secretary)} == {from_county, from_township}
    # The township reports for itself (and may for its villages) on the county's task, not on its own.
    assert {(a.task, a.organization) for a in assignment_received_list(actor=township_admin)} == {
        (from_county, county.township_a),
        (from_county, county.village_a1),
    }
    assert not assignment_received_list(actor=county_admin).exists()
