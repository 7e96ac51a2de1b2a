"""Production settings refuse to start half-configured and pass Django's deployment checklist when configured."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "dangjian.example.gov.cn",
    "DATABASE_URL": "postgres://dangjian:secret@127.0.0.1:5432/dangjian",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "PERSONAL_DATA_KEY": secrets.token_urlsafe(40),
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_variables():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "x" * 60}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "生产环境缺少必需的环境变量" in result.stderr
    for name in ("ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "PERSONAL_DATA_KEY"):
        assert name in result.stderr
    assert "SECRET_KEY、" not in result.stderr  # the one that was given is not listed
