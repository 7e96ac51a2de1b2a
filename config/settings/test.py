"""Test runs: fast hashing; the database comes from DATABASE_URL (SQLite unless tests/services.py started PostgreSQL)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PERSONAL_DATA_KEY = "test-personal-data-key"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run tasks eagerly unless a test starts a real worker against TEST_CELERY_BROKER_URL.
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
TEST_CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="")
# A real worker started by tests/core/test_jobs.py reads its broker here (the test process switches its own at runtime).
CELERY_WORKER_BROKER_URL = env("CELERY_WORKER_BROKER_URL", default="")
if CELERY_WORKER_BROKER_URL:
    CELERY_BROKER_URL = CELERY_WORKER_BROKER_URL
    CELERY_TASK_ALWAYS_EAGER = False

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not Django's shared-cache in-memory database: threads of one test (two clerks saving at once) then
    # take turns through SQLite's busy timeout and IMMEDIATE transactions as they do in `make run`, where shared
    # cache answers "database table is locked" at once. In /dev/shm where there is one; one file per process.
    import os
    import tempfile

    _folder = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_folder, f"dangjian-test-{os.getpid()}.sqlite3")}  # noqa: F405
