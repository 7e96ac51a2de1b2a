"""Builders and "nothing changed" checks for the REST API tests of the members capability (tests/members/test_api_*).

Every record is made through the services with the system as actor, in the county of tests/conftest.py: township A's
东街村 branch (village_a1) is the secretary's; township B (village_b1) is the sibling admin's.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal

from core.models import AuditEvent
from members import config_services
from members.development import candidate_register
from members.models import (
    Candidate,
    LostContactCase,
    Member,
    Membership,
    Person,
    PointItem,
    PointRecord,
    StarRule,
    StatusChange,
    ThoughtReport,
    TrainingRecord,
)
from members.services import member_create
from tests.factories import id_number_for

D = dt.date
JOINED = D(2010, 7, 1)
APPLIED = D(2024, 1, 5)
CHINESE = re.compile(r"[\u4e00-\u9fff]")

MODELS = (
    Person, Member, Membership, StatusChange, Candidate, ThoughtReport, TrainingRecord, PointItem, PointRecord,
    StarRule, LostContactCase, AuditEvent,
)  # fmt: skip


def make_member(branch, n: int, *, joined: dt.date = JOINED) -> Member:
    return member_create(
        actor=None, name=f"党员{n}", id_number=id_number_for(600 + n), branch=branch, category="正式党员",
        joined_on=joined, full_member_on=joined.replace(year=joined.year + 1),
    )  # fmt: skip


def make_candidate(branch, n: int, *, applied_on: dt.date = APPLIED) -> Candidate:
    return candidate_register(
        actor=None, branch=branch, name=f"申请人{n}", id_number=id_number_for(900 + n), applied_on=applied_on
    )


def make_item(name: str = "参加主题党日", points: str = "2", *, active: bool = True) -> PointItem:
    return config_services.point_item_create(actor=None, name=name, points=Decimal(points), is_active=active)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _rows(objs) -> list:
    return [type(o).objects.filter(pk=o.pk).values().first() for o in objs]


@contextmanager
def unchanged(*objs):
    """Assert the block leaves every table's row count, and each of `objs` as stored, exactly as they were."""
    before = counts(), _rows(objs)
    yield
    assert (counts(), _rows(objs)) == before


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_chinese_error(response, field: str) -> str:
    """A 400 whose body names `field` with a message in Chinese; the message."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    message = "".join(body[field])
    assert CHINESE.search(message), message
    return message


def audited(actor, model, pk, action: str = "create") -> bool:
    """The service left an audit row for this write, made by `actor` over the API."""
    return AuditEvent.objects.filter(
        actor=actor, action=action, object_type=model._meta.label_lower, object_id=str(pk), source="api"
    ).exists()
