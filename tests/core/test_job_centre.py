"""导入导出中心 (core:jobs): the user's jobs with their progress, a background export written to a file and downloaded,
the refusals (unknown kind, a year missing, unmasking without the right) that queue nothing, and scope."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import AuditEvent, Job
from core.services import export_job_submit, import_job_submit
from tests.conftest import as_user, text

pytestmark = pytest.mark.django_db


def _export(client, **data) -> Job | None:
    before = set(Job.objects.values_list("pk", flat=True))
    response = client.post(reverse("core:jobs"), data)
    made = Job.objects.exclude(pk__in=before)
    return response, made.first()


def test_a_background_export_is_written_and_downloaded(
    client, county, county_admin, django_capture_on_commit_callbacks
):
    as_user(client, county_admin)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs in-process once the job commits
        response, job = _export(client, kind="organizations")
    assert response.status_code == 302 and response.url == reverse("core:jobs")
    job.refresh_from_db()
    assert (job.kind, job.status, job.progress, job.result["rows"]) == ("export", "succeeded", 100, 8)
    page = text(client.get(reverse("core:jobs")))
    assert "导出任务" in page and reverse("core:job_download", args=[job.pk]) in page and "已导出 8 行" in page
    download = client.get(reverse("core:job_download", args=[job.pk]))
    assert download.status_code == 200 and "organizations.xlsx" in download["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 9  # the header and the county's eight organizations
    assert AuditEvent.objects.filter(action="create", object_type="core.job", object_id=str(job.pk)).exists()
    assert AuditEvent.objects.filter(action="export", actor=county_admin, source="task").count() == 1


def test_refusals_queue_nothing_and_say_why(client, county, county_admin, leader):
    as_user(client, county_admin)
    response, job = _export(client, kind="rankings")
    assert job is None and "该导出按年度生成，请填写年度" in text(response)
    response, job = _export(client, kind="nope")
    assert job is None and "nope" in text(response)
    response, job = _export(client, kind="organizations", unmasked="on")
    assert job is None and "没有可完整显示的身份证号" in text(response)
    with pytest.raises(ValidationError, match="无权导出完整身份证号"):
        export_job_submit(actor=leader, kind="members", unmasked=True)
    assert not Job.objects.exists()
    as_user(client, leader)
    assert "完整显示身份证号" not in text(client.get(reverse("core:jobs")))  # no box for a right they lack


def test_an_unmasked_file_goes_to_its_submitter_only(client, county, county_admin, django_capture_on_commit_callbacks):
    from accounts.services import account_create
    from tests.conftest import PASSWORD

    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_submit(actor=county_admin, kind="members", unmasked=True)
    job.refresh_from_db()
    assert job.status == "succeeded"
    other = account_create(
        actor=None, username="other", password=PASSWORD, organization=county.root, role="county_admin"
    )
    as_user(client, other)
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 403
    as_user(client, county_admin)
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 200


def test_jobs_of_another_subtree_are_not_found(client, county, county_admin, sibling_admin, township_admin):
    job = import_job_submit(actor=township_admin, filename="城关.xlsx", content=b"x")
    as_user(client, sibling_admin)
    assert "城关.xlsx" not in text(client.get(reverse("core:jobs")))
    for name in ("core:job_row", "core:job_download", "core:job"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    as_user(client, county_admin)  # the county manages the township's subtree
    row = client.get(reverse("core:job_row", args=[job.pk]))
    assert row.status_code == 200 and "城关.xlsx" in text(row) and 'hx-trigger="every 2s"' in text(row)
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404  # nothing to download yet


def test_the_job_list_exports_to_excel(client, county, county_admin):
    import_job_submit(actor=county_admin, filename="一.xlsx", content=b"x")
    as_user(client, county_admin)
    response = client.get(reverse("core:jobs"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[1]][:3] == ["编号", "类型", "状态"] and sheet.max_row == 2
