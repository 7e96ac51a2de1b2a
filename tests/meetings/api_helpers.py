"""Builders and "nothing changed" checks for the REST API tests of the meetings capability (tests/meetings/test_api_*).

Everything is made through the services with the system as actor, in the county of tests/conftest.py: township A's
东街村 branch (village_a1, it has a committee) is the secretary's; township B (village_b1) is the sibling admin's.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from meetings.models import Attendance, Meeting, MeetingAttachment, MeetingStandard
from meetings.services import AttendanceEntry, meeting_record
from tests.members.api_helpers import assert_chinese_error, ids, make_member

__all__ = ["assert_chinese_error", "ids", "make_member"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
MODELS = (Meeting, Attendance, MeetingAttachment, MeetingStandard, AuditEvent)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
TEXT_AS_JPG = "这不是图片，只是改了扩展名的文本。\n".encode()


def at(y, m, d, hh=9, mm=0) -> dt.datetime:
    """An Asia/Shanghai wall-clock time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def record(branch, kind: str = "主题党日", held_at: dt.datetime | None = None, *, attendance=None, **extra) -> Meeting:
    """A meeting recorded by the system: by default with bare counts (4 expected, 3 present)."""
    held_at = held_at or at(2025, 3, 10)
    if attendance is not None:
        extra["attendance"] = [AttendanceEntry(*row) for row in attendance]
    else:
        extra.setdefault("expected_count", 4)
        extra.setdefault("present_count", 3)
    return meeting_record(
        actor=None, branch=branch, kind=kind, held_at=held_at, topic=extra.pop("topic", "学习党章"), **extra
    )


def upload(content: bytes = JPEG, name: str = "合影.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _rows(objs) -> list:
    return [type(o).objects.filter(pk=o.pk).values().first() for o in objs]


@contextmanager
def unchanged(*objs):
    """Assert the block leaves every meetings table (and the audit log) and each of `objs` exactly as they were."""
    before = counts(), _rows(objs)
    yield
    assert (counts(), _rows(objs)) == before


def audit_rows(model, pk, action: str) -> list[AuditEvent]:
    """The audit rows of one write, as made over the API."""
    return list(
        AuditEvent.objects.filter(
            action=action, object_type=model._meta.label_lower, object_id=str(pk), source="api"
        ).order_by("id")
    )
