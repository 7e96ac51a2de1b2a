"""Celery jobs of the members capability. Tasks take plain values and call services; running twice = once."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from core.context import origin

from .contact import lost_contact_find


@shared_task(acks_late=True)
def lost_contact_scan(today: str | None = None) -> int:
    """Monthly: list members with no sign of contact for six months for their secretaries to confirm or dismiss."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    with origin("task"):
        return lost_contact_find(today=day)
