"""党建任务 pages through the test client: the two lists and their exports, the dispatch form with its live preview,
a task's page for the sender and for a receiver, reporting and reviewing, the files, and scope (a sibling township
gets 404 and changes nothing)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from supervision.choices import AssignmentStatus
from supervision.models import Task, TaskAssignment
from supervision.services.tasks import task_report, task_review
from tests.conftest import PASSWORD
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


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def world(county_admin, township_admin, secretary, county):
    """A county task to both townships and 东街村, and two township tasks to its villages (one overdue for 西街村)."""
    county_task = send(county_admin, county.root, [county.township_a, county.township_b], title="县委部署：换届准备")
    weekly = send(township_admin, county.township_a, [county.village_a1, county.village_a2], title="主题党日照片上报")
    late = send(
        township_admin,
        county.township_a,
        [county.village_a1, county.village_a2],
        title="党费收缴情况",
        deadline=today(),
    )
    task_report(actor=secretary, assignment=assignment_of(late, county.village_a1), report="已收缴。")
    lapse(late, days=2)
    return {"county": county_task, "weekly": weekly, "late": late}


def test_anonymous_is_sent_to_login(client, county):
    response = client.get(reverse("supervision:task_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_secretary_lands_on_the_received_list(client, secretary, world, county):
    login(client, secretary)
    text = page(client.get(reverse("supervision:task_list")))
    assert "我收到的（待办）" in text and 'aria-current="page"><i class="bi bi-inbox"></i>' in text
    assert "主题党日照片上报" in text and "党费收缴情况" in text
    assert "县委部署：换届准备" not in text  # sent to the townships, not to 东街村
    assert "还有 <strong>1</strong> 项任务待上报" in text  # the weekly one; 党费 is already reported
    assignment = assignment_of(world["weekly"], county.village_a1)
    assert f"#report-{assignment.pk}" in text
    # Nothing was sent by a branch.
    assert "还没有发出的任务" in page(client.get(reverse("supervision:task_list"), {"box": "sent"}))


def test_the_township_sees_its_sending_with_counts_overdue_first(client, township_admin, world):
    login(client, township_admin)
    response = client.get(reverse("supervision:task_list"))
    text = page(response)
    rows = [t.title for t in response.context["object_list"]]
    assert rows == ["党费收缴情况", "主题党日照片上报"]  # the county's task is not the township's sending
    late = response.context["object_list"][0]
    assert (late.assigned, late.reported, late.accepted, late.overdue) == (2, 1, 0, 1)
    assert "1 待审核" in text and "已过 2 天" in text
    # The county's task to the township is its to-do.
    received = client.get(reverse("supervision:task_list"), {"box": "received"})
    assert [a.task.title for a in received.context["object_list"]] == ["县委部署：换届准备"]


def test_list_filters(client, township_admin, world, county):
    login(client, township_admin)
    url = reverse("supervision:task_list")

    def titles(**params):
        return [t.title for t in client.get(url, {"box": "sent", **params}).context["object_list"]]

    assert titles(overdue="true") == ["党费收缴情况"]
    assert titles(status="待审核") == ["党费收缴情况"]
    assert titles(q="主题") == ["主题党日照片上报"]
    assert titles(deadline_to=today().isoformat()) == ["党费收缴情况"]
    login(client, secretary_of(county.village_a2, "west"))
    received = client.get(url, {"box": "received", "overdue": "true"})
    assert [a.task.title for a in received.context["object_list"]] == ["党费收缴情况"]
    assert [a.task.title for a in client.get(url, {"status": "已上报"}).context["object_list"]] == []


def test_exports_of_both_lists(client, township_admin, secretary, world):
    login(client, township_admin)
    response = client.get(reverse("supervision:task_list"), {"box": "sent", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert (
        "attachment" in response["Content-Disposition"]
        and "%E6%88%91%E5%8F%91%E5%87%BA" in response["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:5] == ("任务名称", "发送单位", "完成时限", "派送时间", "派送数")
    assert rows[1][0] == "党费收缴情况" and rows[1][4] == 2 and rows[1][8] == 1
    login(client, secretary)
    response = client.get(reverse("supervision:task_list"), {"box": "received", "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0][:6] == ("任务名称", "发送单位", "完成时限", "承办组织", "组织代码", "办理状态")
    assert {(r[0], r[5]) for r in rows[1:]} == {("主题党日照片上报", "待办理"), ("党费收缴情况", "已上报")}
    dues = next(r for r in rows[1:] if r[0] == "党费收缴情况")
    # Reported, so not 逾期未报; its deadline was moved two days back after the report, so 逾期上报.
    assert (dues[6], dues[8], dues[9]) == ("否", "是", 1)


def test_the_list_query_count_does_not_grow(client, township_admin, county, django_assert_max_num_queries):
    for i in range(12):
        send(township_admin, county.township_a, [county.village_a1, county.village_a2], title=f"任务{i}")
    login(client, township_admin)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("supervision:task_list"), {"box": "sent"}).status_code == 200


# --- The dispatch form ------------------------------------------------------------------------------------------


def test_only_managers_open_the_form(client, secretary, leader, county):
    for user in (secretary, leader):
        login(client, user)
        assert client.get(reverse("supervision:task_create")).status_code == 403
        assert client.get(reverse("supervision:task_targets"), {"sender": county.village_a1.pk}).status_code == 403


def test_the_form_previews_every_organization_below_the_sender(client, township_admin, county):
    login(client, township_admin)
    text = page(client.get(reverse("supervision:task_create")))
    assert "城关镇党委" in text and "石门镇党委" not in text
    assert f'name="targets" value="{county.village_a1.pk}" id="target-{county.village_a1.pk}" checked' in text
    assert "data-target-count>2</span>" in text


def test_the_preview_follows_the_filters(client, county_admin, county):
    login(client, county_admin)
    url = reverse("supervision:task_targets")
    fragment = client.get(url, {"sender": county.root.pk, "kinds": "党支部", "domains": "农村"})
    names = [o.name for o, on in fragment.context["preview"]["rows"]]
    assert names == ["东街村党支部", "西街村党支部", "北山村党支部"]
    assert "data-target-count>3</span>" in page(fragment)
    within = client.get(url, {"sender": county.root.pk, "within": county.township_b.pk, "direct_only": "on"})
    assert [o.name for o, on in within.context["preview"]["rows"]] == ["北山村党支部", "南河村党支部"]
    # A new sender: the range starts again (and its options are swapped in), township B is no range of A.
    changed = client.get(url, {"sender": county.township_a.pk, "within": county.township_b.pk, "changed": "sender"})
    text = page(changed)
    assert 'id="within-field" hx-swap-oob="true"' in text and "东街村党支部" in text
    assert f'<option value="{county.township_b.pk}"' not in text
    wrong = client.get(url, {"sender": county.township_a.pk, "within": county.township_b.pk})
    assert "派送范围不存在或不在您的管理范围内" in page(wrong)
    nothing = client.get(url, {"sender": county.township_a.pk, "domains": "机关"})
    assert "没有符合条件的组织" in page(nothing)


def form_data(sender, targets, **extra):
    data = {
        "sender": sender.pk,
        "title": "开展冬训",
        "body": "请于月底前完成党员冬训。",
        "deadline": (today() + dt.timedelta(days=10)).isoformat(),
        "kinds": ["党支部"],
        "targets": [t.pk for t in targets],
    }
    data.update(extra)
    return data


def test_dispatching_from_the_form(client, township_admin, county):
    login(client, township_admin)
    data = form_data(county.township_a, [county.village_a2])  # 东街村 unticked
    data["attachments"] = upload(PDF, "冬训方案.pdf")
    response = client.post(reverse("supervision:task_create"), data)
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("supervision:task_detail", args=[task.pk])
    assert [a.organization for a in task.assignments.all()] == [county.village_a2]
    assert task.targets_note == "城关镇党委下级 · 党支部，共 1 个组织（筛选出 2 个，取消勾选 1 个）"
    assert task.attachments.get().name == "冬训方案.pdf"


def test_refused_dispatches_show_the_reason_and_save_nothing(client, township_admin, county_admin, county):
    login(client, township_admin)
    url = reverse("supervision:task_create")
    with unchanged():
        yesterday = (today() - dt.timedelta(days=1)).isoformat()
        response = client.post(url, form_data(county.township_a, [county.village_a1], deadline=yesterday))
        assert response.status_code == 400 and "已经过去" in page(response)
        response = client.post(url, form_data(county.township_a, []))
        assert response.status_code == 400 and "请至少选择一个承办组织" in page(response)
        # The sibling's village is not even visible to this account.
        response = client.post(url, form_data(county.township_a, [county.village_b1]))
        assert response.status_code == 400 and "不存在或不在您的范围内" in page(response)
        # A sender it does not manage is not a choice.
        response = client.post(url, form_data(county.township_b, [county.village_b1]))
        assert response.status_code == 400 and "发送单位不存在或不在您的管理范围内" in page(response)
        login(client, county_admin)
        response = client.post(url, form_data(county.township_a, [county.village_a1, county.village_b1]))
        text = page(response)
        assert response.status_code == 400 and "以下组织不在城关镇党委的下级范围内，不能派送：北山村党支部" in text
        # The ticks stay as they were posted.
        assert f'value="{county.village_a1.pk}" id="target-{county.village_a1.pk}" checked' in text
        assert f'value="{county.village_a2.pk}" id="target-{county.village_a2.pk}">' in text


# --- A task's page, reports and reviews ---------------------------------------------------------------------------


def test_the_sender_sees_every_row_a_receiver_its_own(client, township_admin, secretary, world, county):
    task = world["late"]
    login(client, township_admin)
    response = client.get(reverse("supervision:task_detail", args=[task.pk]))
    assert [a.organization for a in response.context["rows"]] == [county.village_a2, county.village_a1]  # overdue first
    text = page(response)
    assert "逾期未报" in text and "退回意见（必填）" in text and "上报完成情况 ·" not in text
    login(client, secretary)
    response = client.get(reverse("supervision:task_detail", args=[world["weekly"].pk]))
    assert [a.organization for a in response.context["rows"]] == [county.village_a1]
    text = page(response)
    assert "上报完成情况 · 东街村党支部" in text and "退回意见（必填）" not in text and "西街村党支部" not in text


def test_out_of_scope_pages_are_not_found(client, sibling_admin, secretary, world, county):
    task = world["weekly"]
    a1 = assignment_of(task, county.village_a1)
    login(client, sibling_admin)
    with unchanged():
        assert client.get(reverse("supervision:task_detail", args=[task.pk])).status_code == 404
        assert (
            client.post(reverse("supervision:assignment_report", args=[a1.pk]), {f"a{a1.pk}-report": "x"}).status_code
            == 404
        )
        assert client.post(reverse("supervision:assignment_review", args=[a1.pk]), {"accept": "1"}).status_code == 404
    assert client.get(reverse("supervision:task_detail", args=[999999])).status_code == 404
    # The county's task to the townships is not 东街村's.
    login(client, secretary)
    assert client.get(reverse("supervision:task_detail", args=[world["county"].pk])).status_code == 404


def test_reporting_from_the_page_and_the_files_it_serves(
    client, secretary, township_admin, sibling_admin, world, county
):
    task = world["weekly"]
    a1 = assignment_of(task, county.village_a1)
    login(client, secretary)
    url = reverse("supervision:assignment_report", args=[a1.pk])
    with unchanged():
        response = client.post(url, {f"a{a1.pk}-report": "  "})
        assert response.status_code == 400 and "请填写完成情况" in page(response)
    response = client.post(url, {f"a{a1.pk}-report": "已开展，照片见附件。", f"a{a1.pk}-files": upload()})
    assert response.status_code == 302
    a1.refresh_from_db()
    assert a1.status == AssignmentStatus.REPORTED and a1.report == "已开展，照片见附件。"
    evidence = a1.evidence.get()
    detail = client.get(reverse("supervision:task_detail", args=[task.pk]), follow=True)
    assert "等待城关镇党委审核" in page(detail)
    with unchanged():  # a second report while waiting is refused with the reason
        again = client.post(url, {f"a{a1.pk}-report": "再报"}, follow=True)
        assert "不能重复上报" in page(again)
    served = client.get(reverse("supervision:assignment_evidence", args=[evidence.pk]))
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    # read to the end (the test client then closes the file without closing the test's database connection)
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    login(client, township_admin)
    served = client.get(reverse("supervision:assignment_evidence", args=[evidence.pk]))
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    login(client, sibling_admin)
    assert client.get(reverse("supervision:assignment_evidence", args=[evidence.pk])).status_code == 404


def test_a_late_report_says_so(client, secretary, world, county):
    task = world["late"]
    a2 = assignment_of(task, county.village_a2)
    login(client, secretary_of(county.village_a2, "west"))
    response = client.post(
        reverse("supervision:assignment_report", args=[a2.pk]), {f"a{a2.pk}-report": "补报"}, follow=True
    )
    assert "记为逾期上报" in page(response)


def test_task_attachments_reach_the_receivers_only(client, township_admin, secretary, sibling_admin, county):
    task = send(township_admin, county.township_a, [county.village_a1], files=[upload(PDF, "方案.pdf")])
    attachment = task.attachments.get()
    url = reverse("supervision:task_attachment", args=[attachment.pk])
    login(client, secretary)
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content) == PDF
    login(client, secretary_of(county.village_a2, "west"))  # not a receiver of this one
    assert client.get(url).status_code == 404
    login(client, sibling_admin)
    assert client.get(url).status_code == 404


def test_reviewing_from_the_page(client, township_admin, secretary, world, county):
    a1 = assignment_of(world["late"], county.village_a1)  # reported
    url = reverse("supervision:assignment_review", args=[a1.pk])
    login(client, secretary)
    with unchanged():
        assert client.post(url, {"accept": "1"}).status_code == 403
    login(client, township_admin)
    with unchanged():
        response = client.post(url, {"accept": "0", "comment": ""}, follow=True)
        assert "退回须填写意见" in page(response)
    response = client.post(url, {"accept": "0", "comment": "请附收缴明细。"}, follow=True)
    assert "已退回：东街村党支部" in page(response)
    a1.refresh_from_db()
    assert (a1.status, a1.review_comment) == (AssignmentStatus.RETURNED, "请附收缴明细。")
    # The receiver sees the comment on its form and reports again.
    login(client, secretary)
    text = page(client.get(reverse("supervision:task_detail", args=[world["late"].pk])))
    assert "请附收缴明细。" in text and "第 2 次上报" in text
    task_report(actor=secretary, assignment=a1, report="已附明细")
    task_review(actor=township_admin, assignment=a1, accept=True)
    assert TaskAssignment.objects.get(pk=a1.pk).status == AssignmentStatus.ACCEPTED


def test_the_detail_export(client, township_admin, world):
    login(client, township_admin)
    response = client.get(reverse("supervision:task_detail", args=[world["late"].pk]), {"export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0][:4] == ("承办组织", "组织代码", "办理状态", "逾期未报")
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("东街村党支部", "已上报", "否"),
        ("西街村党支部", "待办理", "是"),
    ]


def test_the_detail_query_count_does_not_grow_with_the_rows(
    client, county_admin, secretary, county, django_assert_max_num_queries
):
    task = send(county_admin, county.root, [o for o in county.all() if o != county.root], files=[upload()])
    task_report(
        actor=secretary, assignment=assignment_of(task, county.village_a1), report="已完成", files=[upload(), upload()]
    )
    login(client, county_admin)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("supervision:task_detail", args=[task.pk]))
    assert response.status_code == 200 and len(response.context["rows"]) == 7
