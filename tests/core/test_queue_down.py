"""The queue down (Redis unreachable): a page that submits a job answers as usual and the job says the queue is
unavailable and offers 重新提交, which sends it once the queue is back; a dashboard with stale figures still answers.
The broker is pointed at a closed port; the queue coming back is the in-process (eager) mode."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.celery import app
from core.models import AuditEvent, Job
from core.queue import UNAVAILABLE
from dashboards.models import Snapshot
from tests.conftest import as_user, text
from tests.core.test_jobs import GOOD
from tests.helpers import reset_broker_pools
from tests.members.api_helpers import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_down(settings):
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    reset_broker_pools(app)
    yield
    for key, value in saved.items():
        app.conf[key] = value
    reset_broker_pools(app)


def _back_up(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True


def test_an_import_submitted_with_the_queue_down_waits_to_be_sent_again(
    client, county, county_admin, queue_down, settings, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(client, county_admin)
    upload = SimpleUploadedFile("导入.xlsx", GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:import"), {"file": upload})
    assert response.status_code == 302  # not an error page: the upload is saved, only the sending failed
    job = Job.objects.get(kind="import")
    assert (job.status, job.message) == (Job.Status.PENDING, UNAVAILABLE[:200]) and job.queue_unavailable
    page = text(client.get(reverse("core:job", args=[job.pk])))
    assert "重新提交" in page and "任务队列暂不可用" in page
    # still down: said so, nothing changes
    again = client.post(reverse("core:job_resend", args=[job.pk]), follow=True)
    assert "任务队列暂不可用" in text(again)
    assert Job.objects.get(pk=job.pk).queue_unavailable
    # the queue is back: sent, run, done
    _back_up(settings)
    client.post(reverse("core:job_resend", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and not job.queue_unavailable
    assert AuditEvent.objects.filter(object_type="core.job", object_id=str(job.pk), note="重新提交到任务队列").exists()


def test_a_job_already_sent_is_not_sent_twice(client, county, county_admin, django_capture_on_commit_callbacks):
    from core.services import import_job_submit

    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_submit(actor=county_admin, filename="一.xlsx", content=GOOD)
    as_user(client, county_admin)
    page = client.post(reverse("core:job_resend", args=[job.pk]), follow=True)
    assert "无需重新提交" in text(page)


def test_a_dashboard_with_stale_figures_answers_with_the_queue_down(
    client, county, leader, queue_down, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    as_user(client, leader)
    assert client.get(reverse("dashboards:leader")).status_code == 200  # computed once
    make_member(county.village_a1, 1)  # now stale
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("dashboards:leader"))
    assert response.status_code == 200 and "正在更新" in text(response)
    assert Snapshot.objects.get(kind="leader").data["overview"]["members"] == 0  # the stale figures, shown
