"""Writes for people (and, from the members capability on, member files)."""

from __future__ import annotations

from django.db import transaction

from core import crypto
from core.audit import audit_log, snapshot
from core.idnumber import parse_id_number

from .models import Person

PERSON_AUDIT_FIELDS = ("name", "gender", "birth_date", "id_number_masked")


def person_build(*, name: str, id_number: str) -> Person:
    """An unsaved Person with the derived fields filled in; raises IdNumberError for a bad number."""
    info = parse_id_number(id_number)
    return Person(
        name=name.strip(),
        id_number_digest=crypto.digest(info.number),
        id_number_encrypted=crypto.encrypt(info.number),
        id_number_masked=crypto.mask_id_number(info.number),
        gender=info.gender,
        birth_date=info.birth_date,
    )


@transaction.atomic
def person_get_or_create(*, name: str, id_number: str, actor, org_path: str = "") -> Person:
    """The person with this ID number, created (and audited, in the subtree at `org_path`) if unknown."""
    info = parse_id_number(id_number)
    existing = Person.objects.filter(id_number_digest=crypto.digest(info.number)).first()
    if existing:
        return existing
    person = person_build(name=name, id_number=info.number)
    person.full_clean()
    person.save()

    audit_log(actor=actor, action="create", obj=person, org_path=org_path, after=snapshot(person, PERSON_AUDIT_FIELDS))
    return person
