"""`manage.py assess --year YYYY` (docs: formats.md, "Commands"): the year's computation as a Celery job, waited
for; the summary and per-scheme counts printed; exit 1 with the reasons when the job fails; a second run changes
nothing. In-process (no broker: eager), with the job's progress echoed while a worker would run it, and on a real
worker through Redis when the services are up (tests/services.py).

The six rows imported (two ties), by hand — the group has six scored organizations, too few for the bottom three:

    N01 95.00        rank 1   好
    N02 88.50        rank 2   较好
    N03 88.50        rank 2   较好
    N04 70.00 否决    rank 4   差 (一般 by score, vetoed)
    N05 59.99        rank 5   差
    N06 59.99        rank 5   差
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from assessments.models import Penalty, Result, Scheme
from assessments.services.workflow import COMPUTE_JOB_KIND, scheme_publish
from core.models import AuditEvent, Job
from core.services import job_progress, job_start
from core.xlsx.importer import workbook_import
from tests.assessments.conftest import secretary
from tests.commands import cli
from tests.helpers import problem_texts, real_celery_worker, services_available, workbook

HEADERS = ["年度", "考核类别", "组织代码", "组织名称", "得分", "一票否决"]
G = "两新组织"
SIX = [
    [2025, G, "N01", "非公企业01党支部", 95, None],
    [2025, G, "N02", "非公企业02党支部", 88.5, None],
    [2025, G, "N03", "非公企业03党支部", "88.50", "否"],
    [2025, G, "N04", "非公企业04党支部", 70, "是"],
    [2025, G, "N05", "非公企业05党支部", 59.99, None],
    [2025, G, "N06", "非公企业06党支部", "59.99", None],
]
RANKS = {
    "N01": (1, 6, 1, False, None),
    "N02": (2, 4, 2, False, None),
    "N03": (2, 4, 2, False, None),
    "N04": (4, 3, 4, False, None),
    "N05": (5, 1, 4, False, None),
    "N06": (5, 1, 4, False, None),
}
SCHEME_LINE = "  2025年度两新组织考核：新增考核对象 0 个，系统计算得分变化 0 项，总分变化 0 个，排名等次变化 {n} 个"
PENALTY_LINE = "  测试县委“三个一律”：新增 {n} 条，更新 0 条，撤销 0 条"


def assess(monkeypatch, *args):
    monkeypatch.setitem(cli.APPS, "assess", "assessments")
    return cli.run_cli(monkeypatch, "assess", *args)


@pytest.fixture
def imported(cases):
    """The six branches, secretaries at N04 and N05 (both 差: rule 1), and the six rows imported."""
    orgs = cases.orgs(6)
    secretary(orgs[3], dt.date(2020, 1, 1), name="赵四")
    secretary(orgs[4], dt.date(2020, 1, 1), name="钱五")
    report = workbook_import(source=workbook({"考核得分": [HEADERS, *SIX]}), actor=None)
    assert report.ok, problem_texts(report)
    return orgs


def ranks() -> dict:
    return {
        r.organization.code: (r.rank, r.rank_asc, r.grade, r.bottom, r.moved_up)
        for r in Result.objects.filter(year=2025).select_related("organization")
    }


def snapshot() -> dict:
    return {
        "results": sorted(Result.objects.values_list(), key=str),
        "penalties": sorted(Penalty.objects.values_list(), key=str),
        "schemes": sorted(Scheme.objects.values_list(), key=str),
    }


def expected_out(job_id, results: int, penalties: int) -> list[str]:
    return [
        f"已提交 2025 年度考核计算（后台任务 #{job_id}）",
        f"2025年度计算完成：1 个考核方案，排名等次变化 {results} 个，“三个一律”变化 {penalties} 条",
        SCHEME_LINE.format(n=results),
        PENALTY_LINE.format(n=penalties),
    ]


@pytest.mark.django_db
def test_import_then_assess_ranks_the_ties_and_a_second_run_changes_nothing(imported, monkeypatch):
    code, out, err = assess(monkeypatch, "--year", "2025")
    job = Job.objects.get()
    assert (code, err) == (0, ""), err
    assert out.splitlines() == expected_out(job.pk, 6, 2)
    assert (job.kind, job.params, job.status, job.progress) == (
        COMPUTE_JOB_KIND,
        {"year": 2025, "county": None},
        "succeeded",
        100,
    )
    assert ranks() == RANKS
    assert Scheme.objects.get(year=2025, group=G).status == "computed"
    assert sorted(Penalty.objects.values_list("person__name", "rule", "organization__code")) == [
        ("赵四", 1, "N04"),
        ("钱五", 1, "N05"),
    ]
    assert AuditEvent.objects.filter(action="compute_submit", object_type="core.job", source="command").count() == 1

    before = snapshot()
    code, out, err = assess(monkeypatch, "--year", "2025")
    second = Job.objects.exclude(pk=job.pk).get()
    assert (code, err, out.splitlines()) == (0, "", expected_out(second.pk, 0, 0))
    assert snapshot() == before


@pytest.mark.django_db
def test_a_published_year_fails_with_its_reason(imported, monkeypatch):
    assess(monkeypatch, "--year", "2025")
    scheme_publish(actor=None, scheme=Scheme.objects.get(year=2025, group=G))
    before = snapshot()
    code, out, err = assess(monkeypatch, "--year", "2025")
    job = Job.objects.order_by("-pk").first()
    assert code == 1
    assert out.splitlines() == [f"已提交 2025 年度考核计算（后台任务 #{job.pk}）"]
    reason = "2025年度两新组织考核已发布，结果已锁定；重新计算前请先撤回发布（需填写原因）。"
    assert err.splitlines() == [reason, "CommandError: 2025 年度考核计算失败：共 1 个问题。"]
    assert (job.status, job.result) == ("failed", {"errors": [reason]})
    assert snapshot() == before


@pytest.mark.django_db
def test_a_year_without_schemes_and_a_bad_year(county, monkeypatch):
    code, out, err = assess(monkeypatch, "--year", "2020")
    assert code == 1
    assert err.splitlines() == [
        "系统中没有 2020 年度的考核方案，请先建立考核方案或导入考核得分。",
        "CommandError: 2020 年度考核计算失败：共 1 个问题。",
    ]
    code, out, err = assess(monkeypatch, "--year", "20x5")
    assert (code, out) == (1, "")
    assert err.strip().startswith("CommandError: 年度“20x5”不正确，应为 2000—")
    assert Job.objects.count() == 1  # the refused year made no job


@pytest.mark.django_db
def test_a_task_that_crashes_fails_the_command(imported, monkeypatch):
    import assessments.tasks as tasks

    def boom(**kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(tasks, "year_compute", boom)
    code, out, err = assess(monkeypatch, "--year", "2025")
    assert code == 1
    assert err.splitlines() == [
        "RuntimeError: 磁盘已满",
        "计算失败：RuntimeError",
        "CommandError: 2025 年度考核计算失败：共 1 个问题。",
    ]
    assert Job.objects.get().status == "failed"


@pytest.mark.django_db
def test_waiting_for_a_worker_echoes_its_progress(imported, monkeypatch):
    """As with a broker: `delay` only queues; the job row moves on between polls (here: at each sleep, one step of a
    worker, the last one running the task itself), and each new message is printed once."""
    import assessments.management.commands.assess as command
    from assessments.tasks import assessment_compute_run

    queued = []
    monkeypatch.setattr(assessment_compute_run, "delay", lambda job_id: queued.append(job_id))
    steps = [
        lambda j: job_start(j),
        lambda j: job_progress(j, 0, "正在计算2025年度两新组织考核"),
        lambda j: job_progress(j, 0, "正在计算2025年度两新组织考核"),  # unchanged: not printed again
        lambda j: job_progress(j, 50, "正在计算测试县委“三个一律”"),
        lambda j: assessment_compute_run(j),
    ]
    monkeypatch.setattr(command.time, "sleep", lambda s: steps.pop(0)(queued[0]))
    code, out, err = assess(monkeypatch, "--year", "2025")
    assert (code, err) == (0, "")
    job_id = queued[0]
    lines = expected_out(job_id, 6, 2)
    assert out.splitlines() == [
        lines[0],
        "[  0%] 开始处理",
        "[  0%] 正在计算2025年度两新组织考核",
        "[ 50%] 正在计算测试县委“三个一律”",
        *lines[1:],
    ]
    assert steps == [] and ranks() == RANKS


@pytest.mark.django_db
def test_no_worker_times_out_with_a_clear_message(imported, monkeypatch):
    from assessments.tasks import assessment_compute_run

    monkeypatch.setattr(assessment_compute_run, "delay", lambda job_id: None)
    started = time.monotonic()
    code, out, err = assess(monkeypatch, "--year", "2025", "--timeout", "1")
    assert code == 1 and time.monotonic() - started < 5
    job = Job.objects.get()
    assert err.strip() == (
        f"CommandError: 等待超时：后台任务 #{job.pk} 在 1 秒内没有完成。任务仍在排队，没有工作进程接手："
        "请确认 Celery worker 已启动并连接到同一消息队列。"
    )
    assert job.status == "pending" and ranks()["N01"] == (None, None, None, False, None)


@pytest.mark.services
@pytest.mark.skipif(
    not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
)
@pytest.mark.django_db(transaction=True)
def test_assess_on_a_real_worker(cases, settings, monkeypatch):
    """The command sends the job to Redis; a real worker process computes it on the shared PostgreSQL test database
    while the command polls the job row. Twice: the second run changes nothing."""
    orgs = cases.orgs(6)
    secretary(orgs[3], dt.date(2020, 1, 1), name="赵四")
    secretary(orgs[4], dt.date(2020, 1, 1), name="钱五")
    report = workbook_import(source=workbook({"考核得分": [HEADERS, *SIX]}), actor=None)
    assert report.ok, problem_texts(report)
    with real_celery_worker(settings, "worker-assess.log") as (worker, log):
        code, out, err = assess(monkeypatch, "--year", "2025", "--timeout", "120")
        assert (code, err) == (0, ""), err + log.read_text(errors="replace")
        job = Job.objects.get()
        lines = out.splitlines()
        assert lines[0] == expected_out(job.pk, 6, 2)[0] and lines[-3:] == expected_out(job.pk, 6, 2)[1:]
        assert all(line.startswith("[") for line in lines[1:-3])  # progress echoed, if the poll caught any
        assert ranks() == RANKS
        before = snapshot()
        code, out, err = assess(monkeypatch, "--year", "2025", "--timeout", "120")
        second = Job.objects.exclude(pk=job.pk).get()
        assert (code, err) == (0, ""), err
        assert out.splitlines()[-3:] == expected_out(second.pk, 0, 0)[1:]
        assert snapshot() == before
        assert worker.poll() is None
    assert Penalty.objects.count() == 2
