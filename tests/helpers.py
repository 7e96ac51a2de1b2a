"""Workbook builders and "nothing changed" checks shared by the tests."""

from __future__ import annotations

import io
from contextlib import contextmanager

import openpyxl

from core.models import AuditEvent
from members.models import Person
from organizations.models import Organization, Post

# The public layouts (docs/formats): spelled out here, not taken from the code, so a renamed header fails a test.
ORG_HEADERS = [
    "组织代码",
    "组织名称",
    "上级组织代码",
    "组织类型",
    "所属领域",
    "考核类别",
    "设支部委员会",
    "设党小组",
    "成立日期",
    "上次换届日期",
    "任期年数",
]
POST_HEADERS = ["组织代码", "姓名", "身份证号", "职务", "任职日期", "离任日期"]


def org_row(code, name, parent, kind="党支部", domain="农村", group=None, committee=None, groups=None, **kw):
    """One 组织 row; dates and term as keyword arguments (founded, election, term)."""
    return [
        code,
        name,
        parent,
        kind,
        domain,
        group,
        committee,
        groups,
        kw.get("founded"),
        kw.get("election"),
        kw.get("term"),
    ]


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx with one sheet per entry; each list is the rows, the header row included."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def org_workbook(rows, headers=ORG_HEADERS) -> bytes:
    return workbook({"组织": [headers, *rows]})


def post_workbook(rows, headers=POST_HEADERS) -> bytes:
    return workbook({"职务": [headers, *rows]})


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "posts": Post.objects.count(),
        "persons": Person.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def db_state() -> dict:
    """Row counts plus the tree and the posts as they stand: enough to tell that a refused write changed nothing."""
    return {
        **counts(),
        "tree": sorted(
            Organization.objects.values_list(
                "code", "name", "path", "depth", "numchild", "parent_id", "kind", "domain", "term_years"
            )
        ),
        "posts_rows": sorted(
            Post.objects.values_list("id", "organization_id", "person_id", "title", "start_on", "end_on")
        ),
        "persons_rows": sorted(Person.objects.values_list("id", "name", "id_number_digest")),
    }


@contextmanager
def nothing_changed():
    """Assert the block leaves the database exactly as it found it."""
    before = db_state()
    yield
    after = db_state()
    assert after == before


def problem_texts(report) -> list[str]:
    return [str(p) for p in report.problems]


def assert_tree_consistent() -> None:
    """Every organization's path, depth, parent and numchild agree with each other."""
    from organizations.models import Organization as Org

    orgs = list(Org.objects.all())
    by_path = {o.path: o for o in orgs}
    children: dict[int, int] = {}
    for o in orgs:
        assert len(o.path) % Org.steplen == 0, o.code
        assert o.depth == len(o.path) // Org.steplen, o.code
        if o.depth == 1:
            assert o.parent_id is None, o.code
        else:
            parent = by_path.get(o.path[: -Org.steplen])
            assert parent is not None, f"{o.code} has no node at its parent path"
            assert o.parent_id == parent.pk, f"{o.code}: parent FK disagrees with the path"
            children[parent.pk] = children.get(parent.pk, 0) + 1
    for o in orgs:
        assert o.numchild == children.get(o.pk, 0), f"{o.code}: numchild {o.numchild} != {children.get(o.pk, 0)}"


def services_available() -> bool:
    """The second pass of tests/services.py: a real PostgreSQL and Redis are up."""
    import os

    return os.environ.get("TEST_SERVICES") == "1" and bool(os.environ.get("TEST_CELERY_BROKER_URL"))


def reset_broker_pools(app) -> None:
    """Drop the app's cached connection and producer pools so the next publish uses the current broker_url. kombu
    keeps its own registry of pools by connection: the closed ones leave it too, or the next publish to the same
    broker (an eager task still takes a producer) finds a closed pool."""
    from kombu import pools as kombu_pools

    for owner, attr in ((app.amqp, "_producer_pool"), (app, "_pool")):
        pool = getattr(owner, attr, None)
        if pool is not None:
            try:
                pool.force_close_all()
            except Exception:  # closing a pool that never connected may fail; it is being dropped anyway
                pass
            setattr(owner, attr, None)
    kombu_pools.reset()


@contextmanager
def real_celery_worker(settings, log_name: str = "worker.log"):
    """A real Celery worker process on the Redis and the PostgreSQL test database of tests/services.py, with this
    process publishing to it (not eager) until the block ends. Yields (worker process, log path)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    from config.celery import app

    broker = os.environ["TEST_CELERY_BROKER_URL"]
    db = connection.settings_dict
    assert connection.vendor == "postgresql", "the worker shares the test database, so it must be a server database"
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    if db.get("PASSWORD"):
        database_url = database_url.replace("@", f":{db['PASSWORD']}@", 1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_WORKER_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = Path(settings.MEDIA_ROOT).parent / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = broker
    app.conf.task_always_eager = False
    reset_broker_pools(app)  # pools made for another broker (even eager calls make one) must not be reused
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1"]
    command += ["-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        assert app.conf.task_always_eager is False and app.conf.broker_url == broker
        yield worker, log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        for key, value in saved.items():
            app.conf[key] = value
        reset_broker_pools(app)
