"""The member pages added for 发展党员, training and points, 失联排查, the points configuration and training coverage.

For every page and form: the county administrator gets it; a sibling township's administrator gets 404 for township
A's objects and changes nothing; the read-only leader reads but cannot write; one happy-path POST per form leaves
its row and an audit event. The points configuration is the county's alone (403 for everyone else).
"""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from members import config_services
from members.choices import DevelopmentStage, LostContactStatus, MemberStatus
from members.contact import lost_contact_decide, lost_contact_find
from members.development import (
    STEP_FIELDS,
    candidate_record_steps,
    candidate_register,
    point_record_add,
    thought_report_add,
    training_record_add,
)
from members.models import (
    Candidate,
    LostContactCase,
    Member,
    PointItem,
    PointRecord,
    StarRule,
    ThoughtReport,
    TrainingRecord,
)
from members.services import member_create
from tests.factories import id_number_for
from tests.members.helpers import member_state

pytestmark = pytest.mark.django_db
D = dt.date
SCAN_DAY = D(2025, 9, 2)


def state() -> dict:
    """Everything the pages below could write, as it stands."""
    return {
        **member_state(),
        "candidates": sorted(Candidate.objects.values_list("id", "person_id", "branch_id", "stage", *STEP_FIELDS)),
        "reports": sorted(ThoughtReport.objects.values_list("id", "person_id", "submitted_on", "title", "text")),
        "trainings": sorted(TrainingRecord.objects.values_list("id", "member_id", "course", "start_on", "hours")),
        "points": sorted(PointRecord.objects.values_list("id", "member_id", "item_id", "year", "points")),
        "items": sorted(PointItem.objects.values_list("id", "name", "points", "is_active")),
        "rules": sorted(StarRule.objects.values_list("id", "min_points", "stars", "label")),
        "cases": sorted(LostContactCase.objects.values_list("id", "member_id", "status", "decided_on", "resolved_on")),
        "audit": AuditEvent.objects.count(),
    }


@contextmanager
def nothing_changed():
    before = state()
    yield
    assert state() == before


class World:
    """Township A's member, candidate and lost-contact case, and the same in township B; a points item."""

    def __init__(self, county):
        def member(n, branch, name):
            return member_create(actor=None, name=name, id_number=id_number_for(700 + n), branch=branch,
                                 category="正式党员", joined_on=D(2000, 7, 1), full_member_on=D(2001, 7, 1))  # fmt: skip

        self.county = county
        self.member_a = member(1, county.village_a1, "甲党员")
        self.member_b = member(2, county.village_b1, "乙党员")
        self.candidate_a = candidate_register(actor=None, branch=county.village_a1, name="甲申请",
                                              id_number=id_number_for(711), applied_on=D(2024, 1, 2))  # fmt: skip
        self.candidate_b = candidate_register(actor=None, branch=county.village_b1, name="乙申请",
                                              id_number=id_number_for(712), applied_on=D(2024, 1, 2))  # fmt: skip
        self.item = config_services.point_item_create(actor=None, name="参加主题党日", points=Decimal("2"))
        self.rule = StarRule.objects.order_by("-stars").first()
        lost_contact_find(today=SCAN_DAY)
        self.case_a = LostContactCase.objects.get(member=self.member_a)
        self.case_b = LostContactCase.objects.get(member=self.member_b)


@pytest.fixture
def world(county) -> World:
    return World(county)


def login(client, user):
    client.force_login(user)
    return client


# --- Reads --------------------------------------------------------------------------------------------------------

READ_PAGES = [
    # name, url builder, sibling sees it (it is a list of their own scope)
    ("pipeline", lambda w: reverse("members:pipeline"), True),
    ("pipeline of A", lambda w: reverse("members:pipeline") + f"?org={w.county.township_a.pk}", False),
    ("candidate A", lambda w: reverse("members:candidate_detail", args=[w.candidate_a.pk]), False),
    ("lost contact", lambda w: reverse("members:lost_contact"), True),
    ("lost contact of A", lambda w: reverse("members:lost_contact") + f"?org={w.county.township_a.pk}", False),
    ("coverage", lambda w: reverse("members:training_coverage") + "?year=2025", True),
    ("coverage of A", lambda w: reverse("members:training_coverage") + f"?org={w.county.township_a.pk}", False),
    ("member A training", lambda w: reverse("members:detail", args=[w.member_a.pk]) + "?tab=training", False),
    ("member A points", lambda w: reverse("members:detail", args=[w.member_a.pk]) + "?tab=points&year=2025", False),
    ("member A flows", lambda w: reverse("members:detail", args=[w.member_a.pk]) + "?tab=flows", False),
]


@pytest.mark.parametrize("name, url, sibling_sees", READ_PAGES, ids=[p[0] for p in READ_PAGES])
def test_reads(client, world, county_admin, leader, sibling_admin, name, url, sibling_sees):
    target = url(world)
    assert login(client, county_admin).get(target).status_code == 200
    assert login(client, leader).get(target).status_code == 200
    assert login(client, sibling_admin).get(target).status_code == (200 if sibling_sees else 404)


def test_lists_show_only_the_scope(client, world, county_admin, sibling_admin):
    login(client, county_admin)
    for url in (reverse("members:pipeline"), reverse("members:lost_contact")):
        body = client.get(url).content.decode()
        assert ("甲" in body) and ("乙" in body)
    login(client, sibling_admin)
    board = client.get(reverse("members:pipeline")).content.decode()
    assert "乙申请" in board and "甲申请" not in board
    lost = client.get(reverse("members:lost_contact")).content.decode()
    assert "乙党员" in lost and "甲党员" not in lost
    coverage = client.get(reverse("members:training_coverage")).content.decode()
    assert world.county.village_b1.name in coverage and world.county.village_a1.name not in coverage
    # Exports carry the same scope.
    rows = _sheet(client.get(reverse("members:pipeline") + "?export=xlsx"))
    assert [r[1] for r in rows[1:]] == ["乙申请"]
    rows = _sheet(client.get(reverse("members:lost_contact") + "?export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["乙党员"]


def _sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def test_pipeline_board_columns_overdue_filter_and_export(client, world, county_admin):
    c = world.candidate_a
    candidate_record_steps(actor=None, candidate=c, talked_on=D(2024, 2, 20), activist_on=D(2024, 3, 1))
    thought_report_add(actor=None, candidate=c, submitted_on=D(2024, 3, 1), text="学习体会")
    login(client, county_admin)
    response = client.get(reverse("members:pipeline"))
    columns = {col["stage"]: col for col in response.context["columns"]}
    assert [r[0].pk for r in columns[DevelopmentStage.ACTIVIST]["rows"]] == [c.pk]
    assert [r[0].pk for r in columns[DevelopmentStage.APPLICANT]["rows"]] == [world.candidate_b.pk]
    assert columns[DevelopmentStage.APPLICANT]["overdue"] == 1  # applied 2024-01-02, never talked to
    body = response.content.decode()
    assert "递交入党申请后一个月内未谈话" in body and "培养期间缺少思想汇报" in body

    # 只看有逾期 + 阶段: the columns narrow, the counts at the top stay.
    response = client.get(reverse("members:pipeline") + "?overdue=on&stage=入党积极分子")
    shown = [col for col in response.context["columns"] if not col["hidden"]]
    assert [col["stage"] for col in shown] == [DevelopmentStage.ACTIVIST]
    assert [r[0].pk for r in shown[0]["rows"]] == [c.pk]
    assert sum(col["total"] for col in response.context["columns"]) == 2

    rows = _sheet(client.get(reverse("members:pipeline") + "?org=" + str(world.county.township_a.pk) + "&export=xlsx"))
    assert rows[0][0] == "阶段" and rows[0][-1] == "逾期与问题"
    assert len(rows) == 2
    stage, name, masked, code = rows[1][:4]
    assert (stage, name, code) == ("入党积极分子", "甲申请", "C01001") and "*" in masked
    assert rows[1][-1].startswith("谈话晚于申请后一个月（2024-02-20，应于 2024-02-02 前）；培养期间缺少思想汇报")


def test_lost_contact_status_filter_and_export(client, world, county_admin):
    lost_contact_decide(actor=None, case=world.case_b, confirmed=False, on=D(2025, 9, 5), note="已联系上")
    login(client, county_admin)
    response = client.get(reverse("members:lost_contact") + "?status=已排除")
    assert [c.pk for c in response.context["object_list"]] == [world.case_b.pk]
    counts = {s: n for s, n, _ in response.context["status_counts"]}
    assert counts == {"待确认": 1, "已确认失联": 0, "已排除": 1, "已恢复联系": 0}
    rows = _sheet(client.get(reverse("members:lost_contact") + "?export=xlsx"))
    assert rows[0][:3] == ["姓名", "身份证号（脱敏）", "支部代码"]
    assert sorted((r[0], r[7]) for r in rows[1:]) == [("乙党员", "已排除"), ("甲党员", "待确认")]


def test_training_coverage_counts_per_branch_in_one_query(client, world, county, county_admin):
    for start, hours in ((D(2025, 3, 1), "8"), (D(2025, 6, 1), "4"), (D(2024, 6, 1), "16")):
        training_record_add(actor=None, member=world.member_a, course="党课", start_on=start, end_on=start,
                            hours=Decimal(hours))  # fmt: skip
    member_create(actor=None, name="丙党员", id_number=id_number_for(730), branch=county.village_a1,
                  category="正式党员", joined_on=D(2000, 7, 1), full_member_on=D(2001, 7, 1))  # fmt: skip
    login(client, county_admin)
    url = reverse("members:training_coverage") + f"?org={county.township_a.pk}&year=2025"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    rows = response.context["rows"]
    assert [(r["code"], r["active"], r["trained"], r["share"], r["hours"]) for r in rows] == [
        ("C01001", 2, 1, 50.0, Decimal("12"))
    ]
    coverage_queries = [q["sql"] for q in queries.captured_queries if "members_trainingrecord" in q["sql"]]
    assert len(coverage_queries) == 1
    sheet = _sheet(client.get(url + "&export=xlsx"))
    assert sheet[0] == ["支部代码", "支部", "在册党员", "参训党员", "参训率（%）", "培训学时合计"]
    assert sheet[1][:4] == ["C01001", "东街村党支部", 2, 1]


# --- Member file: training, points, flows -------------------------------------------------------------------------


def test_member_tabs_show_training_points_and_buttons_only_with_change(client, world, county_admin, leader):
    m = world.member_a
    training_record_add(actor=None, member=m, course="证书不符的培训", start_on=D(2025, 3, 1), end_on=D(2025, 3, 3),
                        hours=Decimal("24"), certificate_start_on=D(2025, 2, 28))  # fmt: skip
    base = config_services.point_item_create(actor=None, name="年度基础分", points=Decimal("60"))
    point_record_add(actor=None, member=m, item=base, year=2025, recorded_on=D(2025, 1, 2))
    for month in (3, 4, 5, 6, 7):
        point_record_add(actor=None, member=m, item=world.item, year=2025, recorded_on=D(2025, month, 1))
    login(client, county_admin)
    response = client.get(reverse("members:detail", args=[m.pk]) + "?tab=points&year=2025")
    body = response.content.decode()
    assert "证书日期与培训不符" in body
    assert response.context["point_total"] == Decimal("70") and response.context["point_label"] == "二星"
    assert len(response.context["point_stars"]) == 2
    assert [y["hours"] for y in response.context["training_years"]] == [Decimal("24")]
    assert reverse("members:training_create", args=[m.pk]) in body
    assert reverse("members:point_create", args=[m.pk]) in body
    body = login(client, leader).get(reverse("members:detail", args=[m.pk]) + "?tab=training").content.decode()
    assert "证书日期与培训不符" in body
    assert reverse("members:training_create", args=[m.pk]) not in body
    assert reverse("members:point_create", args=[m.pk]) not in body
    # A year without records: no total, no stars.
    response = login(client, county_admin).get(reverse("members:detail", args=[m.pk]) + "?tab=points&year=2023")
    assert response.context["point_total"] is None and "2023 年度暂无积分记录" in response.content.decode()


# --- Forms: county admin GETs, foreign objects, the leader, happy paths -------------------------------------------

FORMS = {
    # name: (url builder, valid POST data builder)
    "candidate_steps": (
        lambda w: reverse("members:candidate_steps", args=[w.candidate_a.pk]),
        lambda w: {"talked_on": "2024-01-20", "activist_on": "2024-03-01", "extension_months": "0"},
    ),
    "thought_report_create": (
        lambda w: reverse("members:thought_report_create", args=[w.candidate_a.pk]),
        lambda w: {"submitted_on": "2024-04-01", "title": "思想汇报", "text": "近期学习了党章。"},
    ),
    "training_create": (
        lambda w: reverse("members:training_create", args=[w.member_a.pk]),
        lambda w: {"course": "乡村振兴专题", "start_on": "2025-03-01", "end_on": "2025-03-03", "hours": "24"},
    ),
    "point_create": (
        lambda w: reverse("members:point_create", args=[w.member_a.pk]),
        lambda w: {"item": str(w.item.pk), "year": "2025", "recorded_on": "2025-05-04", "note": "五四主题党日"},
    ),
    "lost_contact_decide": (
        lambda w: reverse("members:lost_contact_decide", args=[w.case_a.pk]),
        lambda w: {"decision": "confirm", "on": "2025-09-05", "note": "电话无法接通"},
    ),
}


def _foreign(name: str):
    """The same form on township B's object (what the sibling may touch), for the sibling-can-do-its-own check."""
    url, data = FORMS[name]

    def swap(w):
        class B:
            candidate_a = w.candidate_b
            member_a = w.member_b
            case_a = w.case_b
            item = w.item

        return B

    return (lambda w: url(swap(w))), (lambda w: data(swap(w)))


@pytest.mark.parametrize("name", FORMS)
def test_form_get_for_county_admin_and_404_for_sibling_and_leader(client, world, county_admin, sibling_admin, leader,
                                                                  name):  # fmt: skip
    url, data = FORMS[name]
    assert login(client, county_admin).get(url(world)).status_code == 200
    for user in (sibling_admin, leader):
        login(client, user)
        assert client.get(url(world)).status_code == 404
        with nothing_changed():
            assert client.post(url(world), data(world)).status_code == 404
    # The sibling may use the same form on their own township's object.
    own_url, _ = _foreign(name)
    assert login(client, sibling_admin).get(own_url(world)).status_code == 200


def test_candidate_create_refused_for_leader_and_foreign_branch(client, world, county, leader, sibling_admin):
    url = reverse("members:candidate_create")
    data = {"name": "新申请", "id_number": id_number_for(720), "branch_code": "C01001", "applied_on": "2025-01-05"}
    login(client, leader)
    assert client.get(url).status_code == 403
    with nothing_changed():
        assert client.post(url, data).status_code == 403
    login(client, sibling_admin)
    assert client.get(url + f"?branch={county.village_a1.pk}").status_code == 404
    with nothing_changed():
        response = client.post(url, data)  # a foreign branch code: the form says so, nothing is written
    assert response.status_code == 200
    assert "不在您的管理范围内" in response.content.decode()


def test_candidate_create_happy_path(client, world, county, county_admin):
    url = reverse("members:candidate_create") + f"?branch={county.village_a1.pk}"
    response = login(client, county_admin).get(url)
    assert response.status_code == 200 and response.context["form"].initial["branch_code"] == "C01001"
    data = {"name": "新申请", "id_number": id_number_for(720), "branch_code": "C01001", "applied_on": "2025-01-05"}
    response = client.post(url, data)
    c = Candidate.objects.get(person__name="新申请")
    assert response.status_code == 302 and response["Location"] == reverse("members:candidate_detail", args=[c.pk])
    assert (c.branch, c.stage, c.applied_on) == (county.village_a1, DevelopmentStage.APPLICANT, D(2025, 1, 5))
    event = AuditEvent.objects.get(object_type="members.candidate", object_id=str(c.pk))
    assert event.action == "create" and event.actor == county_admin and event.org_path == county.village_a1.path


def test_candidate_steps_happy_path_and_service_error(client, world, county_admin):
    c = world.candidate_a
    url, data = FORMS["candidate_steps"]
    login(client, county_admin)
    response = client.post(url(world), data(world))
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.talked_on, c.activist_on, c.stage) == (D(2024, 1, 20), D(2024, 3, 1), DevelopmentStage.ACTIVIST)
    event = AuditEvent.objects.filter(object_type="members.candidate", object_id=str(c.pk), action="update").get()
    assert event.after == {"talked_on": "2024-01-20", "activist_on": "2024-03-01", "stage": "入党积极分子"}
    # Out of order: the service's message lands on the field, nothing changes, the form shows the stored stage.
    with nothing_changed():
        response = client.post(url(world), {**data(world), "target_on": "2024-02-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["target_on"] == ["列为发展对象日期不能早于确定积极分子日期"]
    assert response.context["candidate"].target_on is None


def test_candidate_detail_lists_steps_problems_and_reports(client, world, county_admin):
    thought_report_add(actor=None, candidate=world.candidate_a, submitted_on=D(2024, 2, 1), title="第一篇", text="正文")
    response = login(client, county_admin).get(reverse("members:candidate_detail", args=[world.candidate_a.pk]))
    body = response.content.decode()
    assert "第一篇" in body and "递交入党申请后一个月内未谈话" in body
    assert [s["label"] for s in response.context["steps"]][:2] == ["递交入党申请书", "党组织派人谈话"]
    assert reverse("members:candidate_steps", args=[world.candidate_a.pk]) in body


def test_thought_report_happy_path(client, world, county_admin):
    url, data = FORMS["thought_report_create"]
    response = login(client, county_admin).post(url(world), data(world))
    assert response.status_code == 302
    report = ThoughtReport.objects.get(person=world.candidate_a.person)
    assert (report.submitted_on, report.title, report.branch) == (D(2024, 4, 1), "思想汇报", world.county.village_a1)
    assert AuditEvent.objects.filter(object_type="members.thoughtreport", object_id=str(report.pk)).exists()


def test_training_happy_path_and_errors(client, world, county_admin):
    url, data = FORMS["training_create"]
    login(client, county_admin)
    response = client.post(url(world), {**data(world), "certificate_start_on": "2025-02-28"})
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=training")
    record = TrainingRecord.objects.get(member=world.member_a)
    assert (record.course, record.hours, record.certificate_mismatch) == ("乡村振兴专题", Decimal("24"), True)
    event = AuditEvent.objects.get(object_type="members.trainingrecord", object_id=str(record.pk))
    assert event.action == "create" and event.org_path == world.member_a.branch.path
    with nothing_changed():
        response = client.post(url(world), {**data(world), "end_on": "2025-02-01"})
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()


def test_point_record_happy_path_and_errors(client, world, county_admin):
    url, data = FORMS["point_create"]
    login(client, county_admin)
    response = client.post(url(world), data(world))
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=points&year=2025")
    record = PointRecord.objects.get(member=world.member_a)
    assert (record.item, record.year, record.points, record.note) == (world.item, 2025, Decimal("2"), "五四主题党日")
    assert AuditEvent.objects.filter(object_type="members.pointrecord", object_id=str(record.pk)).exists()
    with nothing_changed():
        response = client.post(url(world), {**data(world), "recorded_on": "2024-12-31"})
    assert response.context["form"].errors["recorded_on"] == ["记录日期应在 2025 年内。"]
    # A deactivated item is not offered any more.
    config_services.point_item_deactivate(actor=None, item=world.item)
    with nothing_changed():
        response = client.post(url(world), data(world))
    assert "item" in response.context["form"].errors


def test_lost_contact_confirm_dismiss_and_resolve(client, world, county_admin):
    url, data = FORMS["lost_contact_decide"]
    login(client, county_admin)
    response = client.post(url(world), data(world))
    assert response.status_code == 302
    case = LostContactCase.objects.get(pk=world.case_a.pk)
    assert (case.status, case.decided_on, case.note) == (LostContactStatus.CONFIRMED, D(2025, 9, 5), "电话无法接通")
    world.member_a.refresh_from_db()
    assert world.member_a.status == MemberStatus.LOST_CONTACT
    assert AuditEvent.objects.filter(object_type="members.lostcontactcase", object_id=str(case.pk)).exists()
    # Deciding twice is refused with the service's message; nothing changes.
    with nothing_changed():
        response = client.post(url(world), data(world))
    assert response.status_code == 200 and "不能再次确认或排除" in response.content.decode()

    resolve = reverse("members:lost_contact_resolve", args=[case.pk])
    assert client.get(resolve).status_code == 200
    response = client.post(resolve, {"on": "2025-10-01", "note": "已返乡"})
    assert response.status_code == 302
    case.refresh_from_db()
    world.member_a.refresh_from_db()
    assert (case.status, case.resolved_on) == (LostContactStatus.RESOLVED, D(2025, 10, 1))
    assert world.member_a.status == MemberStatus.NORMAL
    events = AuditEvent.objects.filter(
        object_type="members.lostcontactcase", object_id=str(case.pk), actor=county_admin
    )
    assert [e.after["status"] for e in events.order_by("id")] == ["已确认失联", "已恢复联系"]

    # Dismissal, on township B's case.
    dismiss = reverse("members:lost_contact_decide", args=[world.case_b.pk])
    response = client.post(dismiss, {"decision": "dismiss", "on": "2025-09-06", "note": "已联系上"})
    assert response.status_code == 302
    assert LostContactCase.objects.get(pk=world.case_b.pk).status == LostContactStatus.DISMISSED


def test_lost_contact_refusals(client, world, county_admin, sibling_admin, leader):
    lost_contact_decide(actor=None, case=world.case_a, confirmed=True, on=D(2025, 9, 5))
    resolve = reverse("members:lost_contact_resolve", args=[world.case_a.pk])
    for user in (sibling_admin, leader):
        login(client, user)
        assert client.get(resolve).status_code == 404
        with nothing_changed():
            assert client.post(resolve, {"on": "2025-10-01"}).status_code == 404
    login(client, county_admin)
    with nothing_changed():
        response = client.post(resolve, {"on": "2025-09-01"})  # before the confirmation: the status change refuses
    assert response.status_code == 200 and response.context["form"].errors["on"]
    with nothing_changed():
        response = client.post(reverse("members:lost_contact_decide", args=[world.case_b.pk]), {"on": "2025-09-05"})
    assert response.status_code == 200 and response.context["form"].errors["decision"]
    # Buttons only where the user may act.
    body = login(client, leader).get(reverse("members:lost_contact")).content.decode()
    assert reverse("members:lost_contact_decide", args=[world.case_b.pk]) not in body


# --- Points configuration -----------------------------------------------------------------------------------------

CONFIG_URLS = [
    ("point_items", lambda w: reverse("members:point_items"), None),
    ("point_item_create", lambda w: reverse("members:point_item_create"), {"name": "志愿服务", "points": "3"}),
    ("point_item_edit", lambda w: reverse("members:point_item_edit", args=[w.item.pk]), {"name": "改名", "points": "1"}),
    ("point_item_deactivate", lambda w: reverse("members:point_item_deactivate", args=[w.item.pk]), {}),
    ("star_rule_create", lambda w: reverse("members:star_rule_create"), {"min_points": "99", "stars": 6, "label": "六星"}),
    ("star_rule_edit", lambda w: reverse("members:star_rule_edit", args=[w.rule.pk]),
     {"min_points": "97", "stars": 5, "label": "五星"}),
]  # fmt: skip


@pytest.mark.parametrize("name, url, data", CONFIG_URLS, ids=[c[0] for c in CONFIG_URLS])
def test_points_config_is_the_county_admins(client, world, county_admin, township_admin, leader, secretary, name,
                                            url, data):  # fmt: skip
    for user in (township_admin, leader, secretary):
        login(client, user)
        if name in ("point_items", "point_item_edit", "star_rule_edit"):
            assert client.get(url(world)).status_code == 403
        if data is not None:
            with nothing_changed():
                assert client.post(url(world), data).status_code == 403
    login(client, county_admin)
    if name in ("point_items", "point_item_edit", "star_rule_edit"):
        assert client.get(url(world)).status_code == 200
    if data is not None:
        before = AuditEvent.objects.count()
        response = client.post(url(world), data)
        assert response.status_code == 302 and response["Location"] == reverse("members:point_items")
        event = AuditEvent.objects.order_by("-id").first()
        assert AuditEvent.objects.count() == before + 1
        assert (event.actor, event.org_path) == (county_admin, "")
        assert event.object_type in ("members.pointitem", "members.starrule")


def test_points_config_writes(client, world, county_admin):
    login(client, county_admin)
    client.post(reverse("members:point_item_create"), {"name": "志愿服务", "points": "3", "is_active": "on"})
    item = PointItem.objects.get(name="志愿服务")
    assert (item.points, item.is_active) == (Decimal("3"), True)
    client.post(reverse("members:point_item_edit", args=[item.pk]), {"name": "志愿服务活动", "points": "2.5"})
    item.refresh_from_db()
    assert (item.name, item.points, item.is_active) == ("志愿服务活动", Decimal("2.5"), False)
    event = AuditEvent.objects.filter(object_type="members.pointitem", action="update").latest("id")
    assert event.before == {"name": "志愿服务", "points": "3.0", "is_active": True}
    assert event.after == {"name": "志愿服务活动", "points": "2.5", "is_active": False}
    # Refusals come back onto the form, nothing changes.
    with nothing_changed():
        response = client.post(reverse("members:point_item_create"), {"name": "参加主题党日", "points": "1"})
    assert response.status_code == 200 and "已有名为“参加主题党日”的积分项目" in response.content.decode()
    with nothing_changed():
        response = client.post(reverse("members:point_item_create"), {"name": "零分项", "points": "0"})
    assert "分值不能为 0" in response.content.decode()
    with nothing_changed():
        response = client.post(reverse("members:star_rule_create"), {"min_points": "65", "stars": 7, "label": "乱序"})
    assert "星级越高，最低分应越高" in response.content.decode()
    client.post(reverse("members:star_rule_create"), {"min_points": "99", "stars": 6, "label": "六星"})
    assert StarRule.objects.filter(stars=6, min_points=Decimal("99"), label="六星").exists()


def test_config_services_refuse_other_roles(world, township_admin, leader):
    for user in (township_admin, leader):
        with nothing_changed(), pytest.raises(PermissionDenied):
            config_services.point_item_create(actor=user, name="越权", points=Decimal("1"))
        with nothing_changed(), pytest.raises(PermissionDenied):
            config_services.star_rule_update(actor=user, rule=world.rule, label="越权")
    item = config_services.point_item_deactivate(actor=None, item=world.item)
    with nothing_changed(), pytest.raises(ValidationError):
        config_services.point_item_deactivate(actor=None, item=item)


def test_members_list_links_and_navigation(client, world, county_admin, township_admin):
    body = login(client, county_admin).get(reverse("members:list")).content.decode()
    for name in ("members:pipeline", "members:lost_contact", "members:training_coverage", "members:point_items"):
        assert reverse(name) in body
    body = login(client, township_admin).get(reverse("members:list")).content.decode()
    assert reverse("members:point_items") not in body
    response = client.get(reverse("members:pipeline"))
    nav = response.context["nav_items"]
    assert [area["label"] for area in nav if area["active"]] == ["党员管理"]
    assert [page["label"] for area in nav for page in area["children"] if page["active"]] == ["发展党员"]


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["members:pipeline", "members:lost_contact"])
def test_list_queries_do_not_grow_with_rows(client, world, county, county_admin, url_name):
    def grow(start, n):
        for i in range(start, start + n):
            m = member_create(actor=None, name=f"新{i}", id_number=id_number_for(1000 + i), branch=county.village_a2,
                              category="正式党员", joined_on=D(2015, 7, 1), full_member_on=D(2016, 7, 1))  # fmt: skip
            c = candidate_register(actor=None, branch=county.village_a2, name=f"申{i}",
                                   id_number=id_number_for(2000 + i), applied_on=D(2024, 1, 2))  # fmt: skip
            thought_report_add(actor=None, candidate=c, submitted_on=D(2024, 2, 1), text="体会")
            assert m.pk
        lost_contact_find(today=SCAN_DAY)

    login(client, county_admin)
    grow(0, 2)
    small = _count_queries(client, reverse(url_name))
    grow(10, 15)
    assert _count_queries(client, reverse(url_name)) == small


def test_candidate_buttons_only_with_change(client, world, leader, secretary):
    url = reverse("members:candidate_detail", args=[world.candidate_a.pk])
    steps = reverse("members:candidate_steps", args=[world.candidate_a.pk])
    assert steps not in login(client, leader).get(url).content.decode()
    assert steps in login(client, secretary).get(url).content.decode()
    assert (
        reverse("members:candidate_create")
        not in login(client, leader).get(reverse("members:pipeline")).content.decode()
    )


def test_member_total_comes_after_the_page_with_the_same_scope_and_filters(client, world, county_admin, sibling_admin):
    """The list renders without counting (a county-wide COUNT on a million files is slower than the page); the exact
    number comes from ?count=1, which the page asks for once it has loaded, with the filters it shows."""
    url = reverse("members:list")
    Member.objects.filter(pk=world.member_b.pk).update(status="失联")
    page = login(client, county_admin).get(url + "?status=正常").content.decode()
    assert 'hx-get="?status=%E6%AD%A3%E5%B8%B8&amp;count=1"' in page
    everyone = Member.objects.count()
    normal = Member.objects.filter(status="正常").count()
    assert everyone > normal > 0
    assert client.get(url + "?count=1").content.decode() == f"{everyone:,}"
    assert client.get(url + "?status=正常&count=1").content.decode() == f"{normal:,}"
    theirs = Member.objects.filter(branch__path__startswith=world.county.township_b.path).count()
    assert 0 < theirs < everyone
    assert login(client, sibling_admin).get(url + "?count=1").content.decode() == f"{theirs:,}"
