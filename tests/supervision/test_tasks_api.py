"""党建任务 over the REST API: /api/tasks/ (scoped lists with counts, dispatch) and /api/task-assignments/ (filters,
report, review), with the refusals of the services (400 with the Chinese reason, 403 for a read-only or receiving
account, 404 outside the scope) each leaving every table as it was."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditEvent
from supervision.choices import AssignmentStatus
from supervision.models import Task
from supervision.services.tasks import task_report
from tests.members.api_helpers import assert_chinese_error, ids
from tests.supervision.test_tasks_services import (
    PDF,
    assignment_of,
    lapse,
    secretary_of,
    send,
    today,
    unchanged,
    upload,
)

TASKS = "/api/tasks/"
ASSIGNMENTS = "/api/task-assignments/"


@pytest.fixture
def world(county_admin, township_admin, county):
    county_task = send(county_admin, county.root, [county.township_a, county.township_b], title="县委部署")
    township_task = send(township_admin, county.township_a, [county.village_a1, county.village_a2], title="镇党委任务")
    return {"county": county_task, "township": township_task}


def test_anonymous_is_refused(api_as, world):
    assert api_as(None).get(TASKS).status_code in (401, 403)
    assert api_as(None).get(ASSIGNMENTS).status_code in (401, 403)


def test_task_lists_are_scoped_with_the_counts_each_caller_sees(
    api_as, county_admin, township_admin, sibling_admin, secretary, world, django_assert_max_num_queries
):
    county_task, township_task = world["county"], world["township"]
    with django_assert_max_num_queries(6):
        assert ids(api_as(county_admin).get(TASKS)) == {county_task.pk, township_task.pk}
    assert ids(api_as(township_admin).get(TASKS)) == {county_task.pk, township_task.pk}
    assert ids(api_as(sibling_admin).get(TASKS)) == {county_task.pk}
    assert ids(api_as(secretary).get(TASKS)) == {township_task.pk}
    # Counts over what the caller sees: the county sees both townships, 城关镇 only itself.
    row = api_as(county_admin).get(f"{TASKS}{county_task.pk}/").json()
    assert (row["assigned"], row["accepted"], row["completion_rate"]) == (2, 0, 0.0)
    assert row["sender"]["name"] == "测试县委" and row["body"] and row["attachments"] == []
    assert api_as(township_admin).get(f"{TASKS}{county_task.pk}/").json()["assigned"] == 1
    assert api_as(secretary).get(f"{TASKS}{township_task.pk}/").json()["assigned"] == 1
    assert api_as(secretary).get(f"{TASKS}{county_task.pk}/").status_code == 404
    assert api_as(sibling_admin).get(f"{TASKS}{township_task.pk}/").status_code == 404


def test_task_filters(api_as, township_admin, secretary, world, county):
    task_report(actor=secretary, assignment=assignment_of(world["township"], county.village_a1), report="已完成")
    client = api_as(township_admin)
    assert ids(client.get(TASKS, {"status": "待审核"})) == {world["township"].pk}
    assert ids(client.get(TASKS, {"q": "县委"})) == {world["county"].pk}
    assert ids(client.get(TASKS, {"organization": county.township_a.pk})) == {world["township"].pk}
    assert ids(client.get(TASKS, {"overdue": "true"})) == set()


def test_dispatch_over_the_api(api_as, township_admin, county):
    payload = {
        "sender": county.township_a.pk,
        "title": "党员冬训",
        "body": "月底前完成。",
        "deadline": (today() + dt.timedelta(days=5)).isoformat(),
        "targets": [county.village_a1.pk, county.village_a2.pk],
        "targets_note": "城关镇全部村",
    }
    response = api_as(township_admin).post(TASKS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assigned"] == 2 and body["targets_note"] == "城关镇全部村"
    task = Task.objects.get(pk=body["id"])
    assert {a.organization for a in task.assignments.all()} == {county.village_a1, county.village_a2}
    assert AuditEvent.objects.filter(action="dispatch", object_id=str(task.pk), source="api").exists()
    # Multipart with an attachment.
    multipart = {**payload, "title": "带附件的任务", "file": [upload(PDF, "方案.pdf")]}
    response = api_as(township_admin).post(TASKS, multipart, format="multipart")
    assert response.status_code == 201, response.content
    assert [f["name"] for f in response.json()["attachments"]] == ["方案.pdf"]


def test_refused_dispatches_change_nothing(api_as, township_admin, county_admin, secretary, county):
    def payload(sender, targets, **extra):
        return {
            "sender": sender.pk,
            "title": "任务",
            "body": "内容",
            "deadline": (today() + dt.timedelta(days=5)).isoformat(),
            "targets": [t.pk for t in targets],
            **extra,
        }

    client = api_as(township_admin)
    with unchanged():
        # Another township's village: invisible to this account, so not even named.
        message = assert_chinese_error(
            client.post(TASKS, payload(county.township_a, [county.village_b1]), format="json"), "targets"
        )
        assert "不存在或不在您的范围内" in message and "北山村" not in message
        # A sender outside the scope: 404, like a missing one.
        assert client.post(TASKS, payload(county.township_b, [county.village_b1]), format="json").status_code == 404
        assert client.post(TASKS, payload(county.root, [county.village_a1]), format="json").status_code == 404
        yesterday = (today() - dt.timedelta(days=1)).isoformat()
        bad_day = payload(county.township_a, [county.village_a1], deadline=yesterday)
        assert "已经过去" in assert_chinese_error(client.post(TASKS, bad_day, format="json"), "deadline")
        empty = payload(county.township_a, [])
        assert assert_chinese_error(client.post(TASKS, empty, format="json"), "targets") == "请至少选择一个承办组织。"
        # The county sees 北山村, and is told by name that it lies outside 城关镇.
        crossing = payload(county.township_a, [county.village_a1, county.village_b1])
        message = assert_chinese_error(api_as(county_admin).post(TASKS, crossing, format="json"), "targets")
        assert "北山村党支部" in message and "城关镇党委" in message
        assert (
            api_as(secretary).post(TASKS, payload(county.village_a1, [county.village_a1]), format="json").status_code
            == 404
        )


def test_assignment_lists_are_scoped_and_filtered(api_as, township_admin, sibling_admin, secretary, world, county):
    township_rows = {a.pk for a in world["township"].assignments.all()}
    a1 = assignment_of(world["township"], county.village_a1)
    mine_from_county = assignment_of(world["county"], county.township_a)
    assert ids(api_as(township_admin).get(ASSIGNMENTS)) == township_rows | {mine_from_county.pk}
    assert ids(api_as(secretary).get(ASSIGNMENTS)) == {a1.pk}
    assert ids(api_as(sibling_admin).get(ASSIGNMENTS)) == {assignment_of(world["county"], county.township_b).pk}
    # The township's to-do is the county's task, not its own sending.
    assert ids(api_as(township_admin).get(ASSIGNMENTS, {"received": "true"})) == {mine_from_county.pk}
    assert ids(api_as(township_admin).get(ASSIGNMENTS, {"task": world["township"].pk})) == township_rows
    assert ids(api_as(township_admin).get(ASSIGNMENTS, {"organization": county.village_a2.pk})) == township_rows - {
        a1.pk
    }
    lapse(world["township"])
    assert ids(api_as(township_admin).get(ASSIGNMENTS, {"overdue": "true"})) == township_rows
    row = api_as(secretary).get(f"{ASSIGNMENTS}{a1.pk}/").json()
    assert row["status"] == "待办理" and row["overdue"] is True and row["task"]["title"] == "镇党委任务"
    assert api_as(sibling_admin).get(f"{ASSIGNMENTS}{a1.pk}/").status_code == 404
    assert_chinese_error(api_as(secretary).get(ASSIGNMENTS, {"status": "完成"}), "status")


def test_report_and_review_over_the_api(api_as, township_admin, secretary, world, county):
    a1 = assignment_of(world["township"], county.village_a1)
    lapse(world["township"], days=1)
    response = api_as(secretary).post(
        f"{ASSIGNMENTS}{a1.pk}/report/", {"report": "已完成", "file": [upload()]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["report_count"], body["reported_late"], body["overdue"]) == ("已上报", 1, True, False)
    assert len(body["evidence"]) == 1 and body["evidence"][0]["url"].startswith("/supervision/tasks/evidence/")
    review = f"{ASSIGNMENTS}{a1.pk}/review/"
    with unchanged():
        assert "退回须填写意见" in assert_chinese_error(
            api_as(township_admin).post(review, {"accept": False}, format="json"), "comment"
        )
    response = api_as(township_admin).post(review, {"accept": False, "comment": "照片不清晰"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == AssignmentStatus.RETURNED
    response = api_as(secretary).post(f"{ASSIGNMENTS}{a1.pk}/report/", {"report": "已重新拍照"}, format="json")
    assert response.json()["report_count"] == 2
    response = api_as(township_admin).post(review, {"accept": True}, format="json")
    assert response.json()["status"] == "已通过" and response.json()["reviewed_by"] == "township_admin"
    with unchanged():
        again = api_as(secretary).post(f"{ASSIGNMENTS}{a1.pk}/report/", {"report": "再报"}, format="json")
        assert "已审核通过" in assert_chinese_error(again, "status")


def test_refused_reports_and_reviews_change_nothing(
    api_as, leader, secretary, sibling_admin, township_admin, world, county
):
    a1 = assignment_of(world["township"], county.village_a1)
    report, review = f"{ASSIGNMENTS}{a1.pk}/report/", f"{ASSIGNMENTS}{a1.pk}/review/"
    west = secretary_of(county.village_a2, "west_secretary")
    with unchanged():
        response = api_as(leader).post(report, {"report": "已完成"}, format="json")
        assert response.status_code == 403 and "只能查看" in response.json()["detail"]
        assert api_as(west).post(report, {"report": "代报"}, format="json").status_code == 404
        assert api_as(sibling_admin).post(report, {"report": "x"}, format="json").status_code == 404
        # Nothing reported yet: nothing to review.
        assert_chinese_error(api_as(township_admin).post(review, {"accept": True}, format="json"), "status")
        assert_chinese_error(api_as(secretary).post(report, {"report": ""}, format="json"), "report")
        fake = upload("这不是图片".encode(), "假.png")
        assert_chinese_error(
            api_as(secretary).post(report, {"report": "好", "file": [fake]}, format="multipart"), "file"
        )
    task_report(actor=secretary, assignment=a1, report="已完成")
    with unchanged():
        response = api_as(secretary).post(review, {"accept": True}, format="json")
        assert response.status_code == 403 and "只有发送单位（城关镇党委）可以审核" in response.json()["detail"]
        assert api_as(sibling_admin).post(review, {"accept": True}, format="json").status_code == 404
        assert api_as(leader).post(review, {"accept": True}, format="json").status_code == 403
        assert_chinese_error(api_as(township_admin).post(review, {}, format="json"), "accept")
