"""Running the checks: every check's faults registered once (a second night registers nothing), the findings as the
board reads them, the Celery task and its job row (eager, and on a real worker through Redis), the beat entry, and the
runs page with its 立即运行 button.

The planted county (today 2025-04-15, SUPERVISION_LOOKBACK_DAYS = 20 → window from 2025-03-26), by hand:
    duplicate_speech   张伟 and 陈晨 hand in the same speech at A                                     1
    duplicate_report   two activists of 东街村 hand in the same thought report                        1
    certificate_dates  张伟's certificate says 03-10…03-14 for a course held 03-03…03-07              1
    attendance_dates   张伟 (东街村) listed 出席 at B, a meeting of 西街村                             1
    dispatch_dates     周建国 (2024-01-01…2024-12-31) checked in on 2025-01-02                        1
    meeting_overlap    A 东街村 主题党日 2025-03-05 19:30 村部会议室, B 西街村 党课 20:30 镇政府       1
    backfilled         西街村 主题党日 2025-03-28, entered 2025-04-14 (17 days)                      1
    election_overdue   东街村 elected 2020-01-10 for 5 years (townships: end 2026-06-01, not yet)      1
    meeting_missing    periods ending 2025-03-31: a1 March (委员会) + Q1 (大会, 党课); a2 Q1 (大会: the
                       backfilled 主题党日 and B's 党课 count); b1, b2, dept March + Q1 each          9
"""

from __future__ import annotations

import datetime as dt
import io
import time

import openpyxl
import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Job
from meetings.models import Attendance, Meeting
from meetings.services import speech_save
from members.models import ThoughtReport
from members.services import member_create
from organizations.models import Organization
from supervision.checks import CHECKS, run_checks
from supervision.checks.runs import running_check
from supervision.choices import CHECK_CATEGORY, CheckKind
from supervision.models import Dispatch, DutyCheckIn, Finding, FindingEvent
from supervision.tasks import formalism_checks_run
from tests.factories import PersonFactory, id_number_for
from tests.helpers import real_celery_worker, services_available

SHANGHAI = timezone.get_default_timezone()
TODAY = dt.date(2025, 4, 15)
SPEECH = (
    "通过这次组织生活会，我深刻认识到自身在理论学习、担当作为和联系群众方面存在的差距。"
    "一是理论学习不够系统，满足于读原文、记笔记，没有做到学思用贯通；二是工作标准不够高，"
    "遇到困难有畏难情绪；三是联系群众不够紧密，入户走访次数偏少。今后我将认真对照党章党规，"
    "坚持每周集中学习，主动认领村里的急难愁盼事项，切实把整改措施落到实处。"
)
REPORT = (
    "敬爱的党组织：近一个月来，我认真学习了党的二十大报告和新修订的党章，进一步端正了入党动机。"
    "我认识到，共产党员必须把全心全意为人民服务作为根本宗旨，在平凡岗位上发挥先锋模范作用。"
    "工作中我主动参加村里的防汛值守和人居环境整治，但也存在学习不够深入、联系群众不够主动的问题。"
    "今后我将继续加强理论学习，积极向党组织靠拢，请党组织在实践中考验我。"
)
EXPECTED = {
    "duplicate_speech": 1,
    "duplicate_report": 1,
    "certificate_dates": 1,
    "attendance_dates": 1,
    "dispatch_dates": 1,
    "meeting_overlap": 1,
    "backfilled": 1,
    "election_overdue": 1,
    "meeting_missing": 9,
    "funds_late": 0,
    "funds_below_standard": 0,
}


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def plant(county):
    """The faults of the module docstring."""
    from members.development import training_record_add

    a1, a2 = county.village_a1, county.village_a2
    zhang = member_create(
        actor=None,
        name="张伟",
        id_number=id_number_for(1),
        branch=a1,
        category="正式党员",
        joined_on=dt.date(2010, 7, 1),
    )
    chen = member_create(
        actor=None,
        name="陈晨",
        id_number=id_number_for(2),
        branch=a1,
        category="正式党员",
        joined_on=dt.date(2015, 7, 1),
    )
    a = Meeting.objects.create(
        branch=a1, kind="主题党日", held_at=at(2025, 3, 5, 19, 30), held_on=dt.date(2025, 3, 5), topic="对照检查",
        place="村部会议室", has_attendance=True,
    )  # fmt: skip
    b = Meeting.objects.create(
        branch=a2,
        kind="党课",
        held_at=at(2025, 3, 5, 20, 30),
        held_on=dt.date(2025, 3, 5),
        topic="党史",
        place="镇政府",
    )
    Attendance.objects.create(meeting=a, member=zhang, status="出席")
    Attendance.objects.create(meeting=a, member=chen, status="出席")
    Attendance.objects.create(meeting=b, member=zhang, status="出席")
    speech_save(actor=None, meeting=a, member=zhang, text=SPEECH)
    speech_save(actor=None, meeting=a, member=chen, text=SPEECH)
    for n in (3, 4):
        ThoughtReport.objects.create(
            person=PersonFactory(id_number=id_number_for(n)), branch=a1, submitted_on=dt.date(2025, 3, 1), text=REPORT
        )
    training_record_add(
        actor=None, member=zhang, course="党务干部培训班", start_on=dt.date(2025, 3, 3), end_on=dt.date(2025, 3, 7),
        hours=24, certificate_start_on=dt.date(2025, 3, 10), certificate_end_on=dt.date(2025, 3, 14),
    )  # fmt: skip
    d = Dispatch.objects.create(
        organization=a1, name="周建国", unit="县财政局", start_on=dt.date(2024, 1, 1), end_on=dt.date(2024, 12, 31)
    )
    DutyCheckIn.objects.create(dispatch=d, on=dt.date(2024, 12, 31))
    DutyCheckIn.objects.create(dispatch=d, on=dt.date(2025, 1, 2))
    Meeting.objects.create(
        branch=a2, kind="主题党日", held_at=at(2025, 3, 28, 9), held_on=dt.date(2025, 3, 28), topic="植树",
        backfilled=True, created_at=at(2025, 4, 14, 10),
    )  # fmt: skip
    Organization.objects.filter(pk=a1.pk).update(last_election_on=dt.date(2020, 1, 10))
    return {"zhang": zhang, "chen": chen, "a": a, "b": b, "dispatch": d}


@pytest.fixture
def planted(county, settings):
    settings.SUPERVISION_LOOKBACK_DAYS = 20
    return plant(county)


def needs_similarity():
    try:
        import supervision.similarity  # noqa: F401
    except ImportError:
        pytest.skip("supervision/similarity.py not written yet")


# --- run_checks ------------------------------------------------------------------------------------------------------


def test_every_check_registers_its_faults_once(planted):
    needs_similarity()
    first = run_checks(today=TODAY)
    assert list(first) == list(CheckKind.values)
    assert {k: (v["seen"], v["new"]) for k, v in first.items()} == {k: (n, n) for k, n in EXPECTED.items()}
    assert Finding.objects.count() == 17 and FindingEvent.objects.count() == 17
    second = run_checks(today=TODAY)
    assert {k: (v["seen"], v["new"]) for k, v in second.items()} == {k: (n, 0) for k, n in EXPECTED.items()}
    assert Finding.objects.count() == 17
    assert Finding.objects.values("check_key").distinct().count() == 17


def test_findings_carry_their_check_and_evidence(planted):
    needs_similarity()
    run_checks(today=TODAY)
    for f in Finding.objects.all():
        assert f.source == "系统检查" and f.category == CHECK_CATEGORY[f.check_kind]
        assert f.found_on == TODAY and f.deadline == TODAY + dt.timedelta(days=30) and f.status == "待整改"
        assert f.check_key.startswith(f"{f.check_kind}:")
        assert f.evidence["summary"] and f.evidence["rows"] and f.description
        assert all(len(row) == 2 for row in f.evidence["rows"])
        assert all(set(ref) == {"type", "id", "label"} for ref in f.evidence.get("refs", []))
    speech = Finding.objects.get(check_kind="duplicate_speech")
    p = planted
    first, second = sorted(s.pk for s in p["a"].speeches.all())
    assert speech.check_key == f"duplicate_speech:{first}:{second}"
    assert speech.organization_id == p["a"].branch_id
    assert speech.evidence["pair"]["left"]["title"] == "张伟的发言材料（2025-03-05 主题党日）"
    assert speech.evidence["pair"]["right"]["title"] == "陈晨的发言材料（2025-03-05 主题党日）"
    assert speech.evidence["pair"]["similarity"] == 1.0
    assert [r["type"] for r in speech.evidence["refs"]] == ["meeting", "member", "member"]
    overlap = Finding.objects.get(check_kind="meeting_overlap")
    assert overlap.check_key == f"meeting_overlap:{p['a'].pk}:{p['b'].pk}"
    assert Finding.objects.get(check_kind="attendance_dates").check_key == f"attendance_dates:{p['b'].pk}"
    assert Finding.objects.get(check_kind="dispatch_dates").check_key == f"dispatch_dates:{p['dispatch'].pk}"


def test_some_checks_only_and_progress(planted):
    seen = []
    result = run_checks(
        today=TODAY, kinds=["backfilled", "election_overdue"], progress=lambda p, m: seen.append((p, m))
    )
    assert {k: (v["seen"], v["new"]) for k, v in result.items()} == {"backfilled": (1, 1), "election_overdue": (1, 1)}
    assert seen == [(0, "正在检查：会议补录"), (50, "正在检查：换届逾期"), (100, "检查完成")]
    with pytest.raises(ValueError):
        run_checks(today=TODAY, kinds=["no_such_check"])
    assert set(CHECKS) == set(CheckKind.values)


# --- the Celery task -------------------------------------------------------------------------------------------------


def test_the_beat_runs_the_checks_at_half_past_one(settings):
    entry = django_settings.CELERY_BEAT_SCHEDULE["supervision-formalism-checks"]
    assert entry["task"] == "supervision.tasks.formalism_checks_run" == formalism_checks_run.name
    assert entry["schedule"] == crontab(minute=30, hour=1)
    assert (settings.SUPERVISION_SIMILARITY_THRESHOLD, settings.SUPERVISION_MEETING_HOURS) == (0.8, 2)
    assert settings.SUPERVISION_LOOKBACK_DAYS == 365
    assert Job.KIND_LABELS["formalism_checks"] == "形式主义检查"


def test_the_task_records_a_job_and_is_idempotent(planted):
    needs_similarity()
    result = formalism_checks_run.delay().get()
    job = Job.objects.get(kind="formalism_checks")
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100 and job.params == {"trigger": "nightly"}
    assert job.result == result and list(result) == list(CheckKind.values)
    new = sum(r["new"] for r in result.values())
    assert new == Finding.objects.count() > 0
    assert (
        job.message
        == f"检查完成：{len(EXPECTED)} 项检查发现 {sum(r['seen'] for r in result.values())} 个问题，其中新登记 {new} 个"
    )
    again = formalism_checks_run.delay().get()
    assert sum(r["new"] for r in again.values()) == 0 and Finding.objects.count() == new
    assert Job.objects.filter(kind="formalism_checks").count() == 2
    # A redelivered message for a finished job does nothing.
    assert formalism_checks_run(job_id=job.pk) == job.result
    assert Job.objects.filter(kind="formalism_checks").count() == 2


def test_a_failing_check_fails_the_job(planted, monkeypatch):
    def broken(today):
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "duplicate_speech", broken)
    job = Job.objects.create(kind="formalism_checks")
    with pytest.raises(RuntimeError):
        formalism_checks_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == "检查失败：RuntimeError"


@pytest.mark.services
@pytest.mark.skipif(
    not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
)
@pytest.mark.django_db(transaction=True)
def test_the_checks_on_a_real_worker(default_meeting_standards, county, settings):
    """The beat's task, sent to Redis and run by a real worker process on the shared PostgreSQL test database. The
    worker's today is the real one: the counts are those of run_checks on the same data, run here afterwards."""
    plant(county)
    with real_celery_worker(settings, "worker-checks.log") as (worker, log):
        formalism_checks_run.delay()
        deadline = time.monotonic() + 90
        job = None
        while time.monotonic() < deadline:
            job = Job.objects.filter(kind="formalism_checks").first()
            if job is not None and job.is_finished:
                break
            assert worker.poll() is None, "worker exited early:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        assert job is not None and job.status == Job.Status.SUCCEEDED, log.read_text(errors="replace")
    assert sorted(job.result) == sorted(CheckKind.values)
    new = sum(r["new"] for r in job.result.values())
    assert new == Finding.objects.count() > 0
    assert job.result["duplicate_speech"]["new"] == 1 and job.result["meeting_overlap"]["new"] == 1
    assert job.result["certificate_dates"]["new"] == 1 and job.result["dispatch_dates"]["new"] == 1
    again = run_checks()
    assert all(r["new"] == 0 for r in again.values())
    assert AuditEvent.objects.filter(object_type="supervision.finding", source="task").count() == new


# --- the runs page -------------------------------------------------------------------------------------------------

PAGE = "/supervision/checks/"
RUN = "/supervision/checks/run/"


def finished_run(**result):
    now = timezone.now()
    return Job.objects.create(
        kind="formalism_checks",
        status=Job.Status.SUCCEEDED,
        progress=100,
        params={"trigger": "nightly"},
        result={k: {"seen": s, "new": n, "seconds": 0.1} for k, (s, n) in result.items()},
        message="检查完成",
        started_at=now - dt.timedelta(seconds=12),
        finished_at=now,
    )


def test_the_page_shows_the_checks_settings_and_runs(client, county_admin):
    assert reverse("supervision:check_runs") == PAGE and reverse("supervision:check_run_now") == RUN
    finished_run(backfilled=(3, 2), meeting_missing=(10, 0))
    client.force_login(county_admin)
    response = client.get(PAGE)
    assert response.status_code == 200 and response.context["tab"] == "checks"
    html = response.content.decode()
    for text in ("形式主义检查", "文本相似度阈值", "80%", "2 小时", "365 天", "每天 01:30", "立即运行", "每晚自动运行"):
        assert text in html
    [run] = response.context["runs"]
    assert (run["seen"], run["new"], run["duration"]) == (13, 2, "12 秒")
    assert [(c.kind, c.seen, c.new) for c in run["counts"]] == [("backfilled", 3, 2), ("meeting_missing", 10, 0)]
    checks = {c["kind"]: c for c in response.context["checks"]}
    assert list(checks) == list(CheckKind.values)
    assert (checks["backfilled"]["latest"].seen, checks["backfilled"]["latest"].new) == (3, 2)
    assert checks["duplicate_speech"]["latest"].seen is None
    url = checks["duplicate_speech"]["findings_url"]
    assert url.startswith(reverse("supervision:finding_list") + "?") and "check_kind=duplicate_speech" in url
    assert url in html.replace("&amp;", "&")
    assert not response.context["polling"]


def test_the_settings_shown_follow_the_configuration(client, county_admin, settings):
    settings.SUPERVISION_SIMILARITY_THRESHOLD = 0.85
    settings.SUPERVISION_MEETING_HOURS = 3
    client.force_login(county_admin)
    html = client.get(PAGE).content.decode()
    assert "85%" in html and "3 小时" in html and "相似度达到 85%" in html


def test_who_may_see_the_page_and_run_the_checks(client, county_admin, township_admin, inspector, secretary):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(RUN).status_code == 302 and Job.objects.count() == 0
    client.force_login(secretary)
    assert client.get(PAGE).status_code == 403
    for user in (township_admin, inspector):
        client.force_login(user)
        response = client.get(PAGE)
        assert response.status_code == 200 and not response.context["may_run"]
        assert "立即运行" not in response.content.decode()
        assert client.post(RUN).status_code == 403
    assert Job.objects.count() == 0 and Finding.objects.count() == 0
    client.force_login(county_admin)
    assert client.get(PAGE).context["may_run"]
    assert client.get(RUN).status_code == 405


def test_run_now_queues_a_job_that_runs_after_the_commit(client, county_admin, django_capture_on_commit_callbacks):
    needs_similarity()
    client.force_login(county_admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(RUN, follow=True)
    assert len(callbacks) == 1
    job = Job.objects.get(kind="formalism_checks")
    assert job.created_by == county_admin and job.params == {"trigger": "manual"}
    assert job.status == Job.Status.SUCCEEDED and sorted(job.result) == sorted(CheckKind.values)
    assert response.redirect_chain[-1][0] == PAGE
    event = AuditEvent.objects.get(object_type="core.job", object_id=str(job.pk))
    assert event.actor == county_admin and event.note == "立即运行形式主义检查"
    [run] = response.context["runs"]
    assert run["trigger"] == "手动运行（县委组织部管理员）"


def test_one_run_at_a_time_and_progress_is_polled(client, county_admin):
    running = Job.objects.create(
        kind="formalism_checks", status=Job.Status.RUNNING, progress=40, message="正在检查：参会人员不在党籍期内"
    )
    client.force_login(county_admin)
    response = client.post(RUN, follow=True)
    assert Job.objects.count() == 1
    assert "已有一次检查进行中" in response.content.decode()
    assert response.context["running"] == running and response.context["polling"]
    fragment = client.get(PAGE, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert 'hx-trigger="every 2s"' in html and "正在检查：参会人员不在党籍期内" in html and "40%" in html
    # A run left unfinished for more than two hours (a worker that died) does not block the next one.
    Job.objects.filter(pk=running.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    assert running_check() is None


def test_the_runs_export(client, county_admin):
    finished_run(backfilled=(3, 2))
    client.force_login(county_admin)
    response = client.get(PAGE, {"export": "xlsx"})
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    assert rows[0][:7] == ["提交时间", "运行方式", "状态", "开始时间", "完成时间", "发现问题", "新登记"]
    assert rows[0][7:9] == ["发言材料雷同（发现）", "发言材料雷同（新登记）"]
    assert len(rows) == 2 and rows[1][1:3] == ["每晚自动运行", "已完成"] and rows[1][5:7] == [3, 2]
    backfilled_at = rows[0].index("会议补录（发现）")
    assert rows[1][backfilled_at : backfilled_at + 2] == [3, 2]
