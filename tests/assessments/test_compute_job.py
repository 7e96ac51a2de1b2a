"""The computation as a Celery job on a real worker (Redis and the PostgreSQL test database of tests/services.py):
the job's progress and outcome, the results equal to an in-process computation's, and a second job that changes
nothing."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from assessments.models import Penalty, Result
from assessments.services.workflow import compute_submit
from core.models import Job
from tests.helpers import real_celery_worker, services_available

from .conftest import secretary
from .test_penalties import TOTALS

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
    ),
    pytest.mark.django_db(transaction=True),
]


def wait(job: Job, worker, log) -> Job:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        assert worker.poll() is None, "worker exited early:\n" + log.read_text(errors="replace")
        time.sleep(0.2)
    raise AssertionError("the job did not finish:\n" + log.read_text(errors="replace"))


def snapshot():
    fields = [f.attname for f in Result._meta.fields if f.attname not in ("updated_at",)]
    return (
        list(Result.objects.order_by("pk").values_list(*fields)),
        list(Penalty.objects.order_by("pk").values_list("pk", "person_id", "year", "rule", "evidence")),
    )


def test_compute_on_a_real_worker_twice(cases, county, county_admin, settings):
    orgs = cases.orgs(8)
    secretary(orgs[7], dt.date(2019, 1, 1), None, "八号")  # bottom and 差 three years: rules 1, 2 and 3 for 2024
    for year in (2022, 2023):
        cases.year(year, dict(zip(orgs, TOTALS[year])))
    cases.year(2024, dict(zip(orgs, TOTALS[2024])), compute=False)
    with real_celery_worker(settings, "worker-assessments.log") as (worker, log):
        first = wait(compute_submit(actor=county_admin, year=2024, county=county.root), worker, log)
        assert (first.status, first.progress) == (Job.Status.SUCCEEDED, 100), first.message
        after_first = snapshot()
        second = wait(compute_submit(actor=county_admin, year=2024, county=county.root), worker, log)
        assert second.status == Job.Status.SUCCEEDED
    assert first.message == "2024年度计算完成：1 个考核方案，排名等次变化 8 个，“三个一律”变化 3 条"
    assert second.message == "2024年度计算完成：1 个考核方案，排名等次变化 0 个，“三个一律”变化 0 条"
    assert snapshot() == after_first
    ranks = dict(Result.objects.filter(year=2024).values_list("organization__code", "rank"))
    assert ranks == {"N01": 1, "N02": 2, "N03": 3, "N04": 4, "N05": 5, "N06": 6, "N07": 7, "N08": 8}
