"""Builders and "nothing changed" checks for the findings tests (tests/supervision/test_findings_*).

Findings are registered through the service with the system as actor, in the county of tests/conftest.py: township
A (城关镇) has 东街村 (village_a1, the secretary's branch) and 西街村; township B (石门镇) is the sibling admin's.
Dates are relative to today (THIS = this year, LAST = last year), so the tests hold on any day.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEvent
from supervision.models import Finding, FindingEvent, FindingEvidence
from supervision.services.findings import finding_advance, finding_create

D = dt.date
MODELS = (Finding, FindingEvent, FindingEvidence, AuditEvent)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def today() -> dt.date:
    return timezone.localdate()


def this_year() -> int:
    return today().year


def make(org, *, category="组织生活", source="督查", found_on=None, deadline=None, actor=None, **extra) -> Finding:
    """A finding registered by the system (or `actor`): found today unless told, 30 days to rectify."""
    found_on = found_on or today()
    return finding_create(
        actor=actor,
        organization=org,
        source=source,
        category=category,
        description=extra.pop("description", f"{org.name}{category}存在问题"),
        found_on=found_on,
        deadline=deadline or max(found_on, today()) + dt.timedelta(days=30),
        **extra,
    )


def set_dates(finding: Finding, *, found_on=None, deadline=None) -> Finding:
    """Move a finding's dates into the past (the service refuses a past deadline; tests need overdue ones)."""
    fields = {}
    if found_on is not None:
        fields.update(found_on=found_on, year=found_on.year)
    if deadline is not None:
        fields["deadline"] = deadline
    Finding.objects.filter(pk=finding.pk).update(**fields)
    finding.refresh_from_db()
    return finding


def walk(finding: Finding, *steps: str) -> Finding:
    """Take `steps` as the system (each with a note)."""
    for step in steps:
        finding_advance(actor=None, finding=finding, step=step, note=f"{step}说明")
    finding.refresh_from_db()
    return finding


def upload(content: bytes = JPEG, name: str = "整改照片.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _rows(objs) -> list:
    return [type(o).objects.filter(pk=o.pk).values().first() for o in objs]


@contextmanager
def unchanged(*objs):
    """Assert the block leaves the findings tables, the audit log and each of `objs` exactly as they were."""
    before = counts(), _rows(objs)
    yield
    assert (counts(), _rows(objs)) == before
