"""Import jobs: queued after commit, run by Celery (eagerly in tests; a real worker on Redis in the services pass)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.exceptions import NotInScope
from core.models import AuditEvent, Job
from core.selectors import job_get_for, job_list
from core.services import import_job_submit, job_progress
from core.tasks import import_job_run
from organizations.models import Organization
from tests.helpers import ORG_HEADERS, POST_HEADERS, counts, org_row, real_celery_worker, services_available, workbook

GOOD = workbook(
    {
        "组织": [ORG_HEADERS, org_row("C01003", "三村党支部", "C01"), org_row("C01004", "四村党支部", "C01")],
        "职务": [POST_HEADERS, ["C01003", "张三", "110105194912310011", "书记", "2021-01-01", None]],
    }
)
BAD = workbook(
    {"组织": [ORG_HEADERS, org_row("C01003", "三村党支部", "NOPE"), org_row("C01004", "四村", "C01", kind="x")]}
)


def _submit(capture, actor, content, **kw) -> Job:
    with capture(execute=True) as callbacks:
        job = import_job_submit(actor=actor, filename="导入.xlsx", content=content, **kw)
        assert Job.objects.get(pk=job.pk).status == Job.Status.PENDING  # nothing runs before the commit
    assert len(callbacks) == 1
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_import_job_succeeds_with_counts(county, county_admin, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, county_admin, GOOD)
    assert job.status == Job.Status.SUCCEEDED
    assert job.progress == 100
    assert job.started_at is not None and job.finished_at is not None
    assert job.result["ok"] is True
    assert job.result["counts"] == {
        "组织": {"created": 2, "updated": 0, "unchanged": 0},
        "职务": {"created": 1, "updated": 0, "unchanged": 0},
    }
    assert job.message == "组织: 已新增 2 行，已更新 0 行，未变 0 行；职务: 已新增 1 行，已更新 0 行，未变 0 行"
    assert job.created_by == county_admin and job.org_path == county.root.path
    assert job.kind == "import" and job.params == {"filename": "导入.xlsx", "dry_run": False}
    assert job.input_file.name and Path(job.input_file.path).read_bytes() == GOOD
    assert Organization.objects.filter(code__in=["C01003", "C01004"]).count() == 2

    submit = AuditEvent.objects.get(action="import_submit")
    assert submit.actor == county_admin and submit.after == {"filename": "导入.xlsx"}
    created = AuditEvent.objects.filter(action="create", actor=county_admin)
    assert created.count() == 4  # two organizations, one person, one post
    assert set(created.values_list("source", flat=True)) == {"import"}


@pytest.mark.django_db
def test_import_job_fails_with_problems_and_writes_nothing(county, county_admin, django_capture_on_commit_callbacks):
    before = counts()
    job = _submit(django_capture_on_commit_callbacks, county_admin, BAD)
    assert job.status == Job.Status.FAILED
    assert job.progress == 100 and job.finished_at is not None
    assert job.message == "发现 2 处问题，未写入任何数据"
    texts = [p["text"] for p in job.result["problems"]]
    assert texts == [
        "工作表 组织 第 3 行 组织类型: “x”不是有效值，应为：县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部",
        "工作表 组织 第 2 行 上级组织代码: 上级组织 NOPE 不存在（文件和系统中都没有）或不在您的管理范围内",
    ]
    assert job.result["ok"] is False and job.result["counts"] == {}
    # only the job's own submission is recorded
    assert counts() == {**before, "audit_events": before["audit_events"] + 1}


@pytest.mark.django_db
def test_import_job_with_a_bad_file_fails(county, county_admin, django_capture_on_commit_callbacks):
    before = counts()
    job = _submit(django_capture_on_commit_callbacks, county_admin, b"PK\x03\x04 not really a zip")
    assert job.status == Job.Status.FAILED
    assert [p["text"] for p in job.result["problems"]] == ["文件: 文件已损坏，无法作为 .xlsx 打开"]
    assert counts()["organizations"] == before["organizations"]


@pytest.mark.django_db
def test_dry_run_job_reports_and_writes_nothing(county, township_admin, django_capture_on_commit_callbacks):
    before = counts()
    job = _submit(django_capture_on_commit_callbacks, township_admin, GOOD, dry_run=True)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["dry_run"] is True
    assert job.result["counts"]["组织"]["created"] == 2
    assert job.message.startswith("组织: 将新增 2 行")
    assert counts() == {**before, "audit_events": before["audit_events"] + 1}


@pytest.mark.django_db
def test_redelivered_job_does_nothing(county, county_admin, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, county_admin, GOOD)
    before = counts()
    assert import_job_run(job.pk) == job.result
    assert counts() == before
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


@pytest.mark.django_db
def test_job_without_a_submitter_fails(county, django_capture_on_commit_callbacks):
    before = counts()
    job = _submit(django_capture_on_commit_callbacks, None, GOOD)
    assert job.status == Job.Status.FAILED
    assert job.message == "提交人账号已不存在，导入未执行"
    assert counts()["organizations"] == before["organizations"]


@pytest.mark.django_db
def test_township_admin_job_refused_outside_scope(county, township_admin, django_capture_on_commit_callbacks):
    data = workbook({"组织": [ORG_HEADERS, org_row("C02003", "石门新村", "C02")]})
    job = _submit(django_capture_on_commit_callbacks, township_admin, data)
    assert job.status == Job.Status.FAILED
    assert "不在您的管理范围内" in job.result["problems"][0]["text"]
    assert not Organization.objects.filter(code="C02003").exists()


@pytest.mark.django_db
def test_job_progress_is_clamped(county, county_admin):
    job = Job.objects.create(kind="import", created_by=county_admin)
    job_progress(job.pk, 150, "x" * 300)
    job.refresh_from_db()
    assert job.progress == 100 and len(job.message) == 200
    job_progress(job.pk, -5, "开始")
    job.refresh_from_db()
    assert job.progress == 0


@pytest.mark.django_db
def test_jobs_are_scoped(
    county, county_admin, township_admin, sibling_admin, secretary, django_capture_on_commit_callbacks
):
    job = _submit(django_capture_on_commit_callbacks, township_admin, GOOD, dry_run=True)
    assert job_get_for(township_admin, job.pk) == job
    assert job_get_for(county_admin, job.pk) == job
    assert list(job_list(actor=secretary)) == []
    with pytest.raises(NotInScope):
        job_get_for(sibling_admin, job.pk)
    with pytest.raises(NotInScope):
        job_get_for(township_admin, 999_999)


# --- a real worker -----------------------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.skipif(
    not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
)
@pytest.mark.django_db(transaction=True)
def test_import_job_on_a_real_worker(county, county_admin, settings):
    with real_celery_worker(settings) as (worker, log):
        job = import_job_submit(actor=county_admin, filename="导入.xlsx", content=GOOD)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            assert worker.poll() is None, "worker exited early:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        assert job.status == Job.Status.SUCCEEDED, f"{job.status} {job.message}\n" + log.read_text(errors="replace")
        assert job.result["counts"]["组织"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert Organization.objects.filter(code="C01003", parent__code="C01").exists()
        assert AuditEvent.objects.filter(action="create", actor=county_admin, source="import").count() == 4
