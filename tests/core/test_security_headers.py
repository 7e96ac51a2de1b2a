"""HTTP headers: a Content-Security-Policy that allows no inline script and nothing from another host, on every
response; and no template that would need one (an inline <script> or an on…= handler)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def _policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("url", ["/accounts/login/", "/api/schema/", "/static-missing/"])
def test_every_response_carries_the_policy(client, url):
    response = client.get(url)
    policy = _policy(response)
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "http" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in pattern.finditer(source)]
    assert offenders == []


def test_the_api_docs_start_without_an_inline_script(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("api-docs")).content.decode()
    assert not INLINE_SCRIPT.search(page)
    assert "?script=" in page  # the split view's start-up script, served as a file
