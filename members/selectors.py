"""Reads for people."""

from __future__ import annotations

from core import crypto
from core.idnumber import parse_id_number

from .models import Person


def person_by_id_number(id_number: str) -> Person | None:
    info = parse_id_number(id_number)
    return Person.objects.filter(id_number_digest=crypto.digest(info.number)).first()


def persons_by_digest(digests) -> dict[str, Person]:
    return {p.id_number_digest: p for p in Person.objects.filter(id_number_digest__in=list(digests))}
