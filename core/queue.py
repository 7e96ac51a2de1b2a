"""Sending work to the Celery queue so that a broker that cannot be reached (Redis down) costs no error page.

A task is sent once the writing transaction commits; if the broker does not answer within a couple of quick retries,
the job (when there is one) says the queue is unavailable and offers 重新提交 on its page, and the page that asked
answers as usual: the write it made is committed and nothing is lost. Without a broker (make run, the tests) tasks
run in-process and none of this applies.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from kombu.exceptions import OperationalError

from .models import Job

log = logging.getLogger(__name__)

# Seconds, not Celery's default minutes of retrying: a clerk is waiting for the page.
QUICK_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
UNAVAILABLE = "任务队列暂不可用（消息队列服务未连接），任务尚未开始；请稍后在任务页面点“重新提交”。"
RETRY_KEY = Job.QUEUE_UNAVAILABLE


def send(task, *args, **kwargs) -> bool:
    """Send `task` now; False when the broker could not be reached."""
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=QUICK_RETRY)
    except (OperationalError, OSError) as exc:
        log.warning("queue unavailable for %s: %s", task.name, exc)
        return False
    return True


def send_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(partial(send, task, *args, **kwargs))


def _job_send(job_id: int, task, args, kwargs) -> None:
    if send(task, *args, **kwargs):
        return
    job = Job.objects.get(pk=job_id)
    # What to send again, by the task's name: core does not import the apps whose jobs it keeps.
    again = {"task": task.name, "args": list(args), "kwargs": kwargs}
    Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        message=UNAVAILABLE[:200], params={**job.params, RETRY_KEY: again}
    )


def job_enqueue(job: Job, task, *args, **kwargs) -> None:
    """Send the job's task after the commit; on an unreachable broker the job says so and may be sent again."""
    transaction.on_commit(partial(_job_send, job.pk, task, args, kwargs))


def job_resend(job: Job) -> bool:
    """Send a job whose sending failed once more (重新提交); False when the queue is still unavailable."""
    from celery import current_app

    again = job.params[RETRY_KEY]
    task = current_app.tasks[again["task"]]
    if not send(task, *again["args"], **again["kwargs"]):
        return False
    params = {k: v for k, v in job.params.items() if k != RETRY_KEY}
    Job.objects.filter(pk=job.pk).update(message="排队中", params=params)
    return True
