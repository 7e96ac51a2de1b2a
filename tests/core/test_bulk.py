"""core/bulk.py: chunked `__in` lookups and plain-row inserts (executemany on SQLite, COPY on PostgreSQL) that must
store every value type exactly as the ORM would, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import core.bulk
from core.audit import AUDIT_COLUMNS, AuditBatch
from core.bulk import bulk_insert, chunked, filter_in
from core.context import origin
from core.models import AuditEvent
from organizations.models import Organization
from tests.helpers import assert_tree_consistent

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
# 07:30 on New Year's Day in Shanghai is still the old year in UTC: a date and a year boundary apart.
AT = dt.datetime(2025, 1, 1, 7, 30, 0, 654321, tzinfo=SHANGHAI)
AT_UTC = dt.datetime(2024, 12, 31, 23, 30, 0, 654321, tzinfo=UTC)
CREATED = dt.datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=SHANGHAI)  # 2024-12-31 16:00:00.000001 UTC

ORG_COLUMNS = [
    "code",
    "name",
    "kind",
    "domain",
    "assessment_group",
    "has_committee",
    "has_party_groups",
    "founded_on",
    "last_election_on",
    "term_years",
    "parent",
    "path",
    "depth",
    "numchild",
    "created_at",
    "updated_at",
]


# --- chunked / filter_in ------------------------------------------------------------------------------------------


def test_chunked():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(chunked([], 3)) == []


ALL_CODES = ["C", "C01", "C01001", "C01002", "C02", "C02001", "C02002", "C90"]
# 8 codes that exist, 3 that do not, one given twice: 11 distinct values.
WANTED = [*ALL_CODES, "C01", "NOPE1", "NOPE2", "A00"]


def test_filter_in_returns_the_rows_of_a_plain_in(county):
    qs = Organization.objects.all()
    got = list(filter_in(qs, "code", WANTED))
    assert sorted(o.code for o in got) == sorted(ALL_CODES)  # each row once
    assert sorted(o.pk for o in got) == sorted(qs.filter(code__in=WANTED).values_list("pk", flat=True))
    assert list(filter_in(qs, "code", [])) == []
    # values_list querysets and lookups through a relation work the same way
    pairs = list(filter_in(qs.order_by().values_list("code", "parent__code"), "parent__code", {"C01", "C02"}))
    assert sorted(pairs) == [("C01001", "C01"), ("C01002", "C01"), ("C02001", "C02"), ("C02002", "C02")]


def test_filter_in_over_more_values_than_one_chunk(county):
    """CHUNK + 3 distinct values (of which 8 exist): two queries, every matching row once."""
    values = [f"X{i:05d}" for i in range(core.bulk.CHUNK + 3 - len(ALL_CODES))] + ALL_CODES
    assert len(set(values)) == core.bulk.CHUNK + 3
    with CaptureQueriesContext(connection) as queries:
        got = list(filter_in(Organization.objects.all(), "code", values))
    assert len(queries) == 2
    assert sorted(o.code for o in got) == sorted(ALL_CODES)


def test_filter_in_follows_a_small_chunk(county, monkeypatch):
    monkeypatch.setattr(core.bulk, "CHUNK", 3)
    qs = Organization.objects.all()
    with CaptureQueriesContext(connection) as queries:
        got = list(filter_in(qs, "code", WANTED))
    assert sorted(o.code for o in got) == sorted(ALL_CODES)
    assert len(queries) == 4  # 11 distinct values in chunks of 3


# --- bulk_insert: audit rows --------------------------------------------------------------------------------------


def _frozen_now(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: AT)


def test_audit_rows_round_trip(county, county_admin, monkeypatch):
    _frozen_now(monkeypatch)
    a1 = county.village_a1
    before = {"name": "东街村党支部", "has_committee": True, "founded_on": "1980-01-01", "term_years": None}
    after = {
        "name": "东街村“红旗”党支部",
        "tags": ["农村", "示范点"],
        "score": 97.5,
        "nested": {"书记": None, "ok": False, "说明": '含\n换行与 "引号"、\\反斜杠和\t制表符'},
    }
    with origin("command", ip="10.1.2.3"):
        batch = AuditBatch(county_admin)
    batch.add(
        action="update",
        object_type="organizations.organization",
        object_id=a1.pk,
        object_repr=a1,
        org_path=a1.path,
        before=before,
        after=after,
        note="说明：第一行\n第二行",
    )
    batch.add(action="create", object_type="members.person", object_id=42, object_repr="张三")
    system = AuditBatch(None)  # no actor, default origin
    system.add(action="delete", object_type="organizations.post", object_id="7", object_repr="x" * 250, after=[])

    old = set(AuditEvent.objects.values_list("id", flat=True))
    assert batch.save() == 2
    assert system.save() == 1
    assert batch.rows == [] and system.rows == []

    update, create, delete = AuditEvent.objects.exclude(id__in=old).order_by("id")
    for event in (update, create, delete):
        assert event.at == AT
        assert event.at.astimezone(UTC) == AT_UTC
        assert event.at.astimezone(UTC).replace(tzinfo=None) == dt.datetime(2024, 12, 31, 23, 30, 0, 654321)
    assert (update.actor, update.actor_name, update.source, update.ip) == (
        county_admin,
        "county_admin",
        "command",
        "10.1.2.3",
    )
    assert (update.action, update.object_type, update.object_id, update.object_repr, update.org_path) == (
        "update",
        "organizations.organization",
        str(a1.pk),
        "东街村党支部",
        a1.path,
    )
    assert update.before == before
    assert update.after == after
    assert update.note == "说明：第一行\n第二行"

    assert (create.actor_id, create.object_id, create.object_repr, create.org_path, create.note) == (
        county_admin.pk,
        "42",
        "张三",
        "",
        "",
    )
    assert create.before is None and create.after is None

    assert (delete.actor_id, delete.actor_name, delete.source, delete.ip) == (None, "系统", "system", None)
    assert delete.object_repr == "x" * 200
    assert delete.before is None and delete.after == []

    # JSON went in as JSON (not as a string holding JSON), and None as SQL NULL: the ORM's lookups find them.
    new = AuditEvent.objects.exclude(id__in=old)
    assert list(new.filter(after__name="东街村“红旗”党支部")) == [update]
    assert list(new.filter(after__nested__书记__isnull=False, after__nested__ok=False)) == [update]
    assert list(new.filter(before__has_committee=True)) == [update]
    assert set(new.filter(before__isnull=True)) == {create, delete}
    assert list(new.filter(at__date=dt.date(2025, 1, 1)).order_by("id")) == [update, create, delete]  # in Asia/Shanghai


def test_many_audit_rows():
    batch = AuditBatch(None)
    for i in range(2503):  # more than one executemany batch (2,000) on SQLite
        batch.add(action="create", object_type="t", object_id=i, object_repr=f"第{i}行", after={"i": i})
    old = AuditEvent.objects.count()
    assert batch.save() == 2503
    assert AuditEvent.objects.count() == old + 2503
    rows = AuditEvent.objects.filter(object_type="t").order_by("id").values_list("object_id", "object_repr", "after")
    assert list(rows) == [(str(i), f"第{i}行", {"i": i}) for i in range(2503)]


def test_bulk_insert_of_nothing():
    assert bulk_insert(AuditEvent, AUDIT_COLUMNS, []) == 0
    assert bulk_insert(AuditEvent, AUDIT_COLUMNS, iter(())) == 0


# --- bulk_insert: organization rows -------------------------------------------------------------------------------


def test_organization_rows_round_trip(county):
    town = county.township_b  # C02 has two children: paths …0001 and …0002
    p3, p4 = town.path + "0003", town.path + "0004"
    rows = [
        (
            "C02003",
            "红旗村党支部",
            "党支部",
            "农村",
            "村（社区）党组织",
            True,
            False,
            dt.date(1954, 2, 28),
            dt.date(2024, 2, 29),
            5,
            town.pk,
            p3,
            3,
            0,
            CREATED,
            AT,
        ),
        ("C02004", "新区社区党支部", "党支部", "社区", "", False, True, None, None, None, town.pk, p4, 3, 0, AT, AT),
    ]
    assert bulk_insert(Organization, ORG_COLUMNS, iter(rows)) == 2
    Organization.objects.filter(pk=town.pk).update(numchild=4)

    a = Organization.objects.get(code="C02003")
    b = Organization.objects.get(code="C02004")
    assert (a.name, a.kind, a.domain, a.assessment_group) == ("红旗村党支部", "党支部", "农村", "村（社区）党组织")
    assert a.has_committee is True and a.has_party_groups is False
    assert b.has_committee is False and b.has_party_groups is True
    assert (a.founded_on, a.last_election_on, a.term_years) == (dt.date(1954, 2, 28), dt.date(2024, 2, 29), 5)
    assert (b.founded_on, b.last_election_on, b.term_years) == (None, None, None)
    assert b.assessment_group == ""
    assert a.parent == town and b.parent_id == town.pk
    assert (a.path, a.depth, a.numchild) == (p3, 3, 0)
    assert a.created_at == CREATED and a.created_at.astimezone(UTC) == dt.datetime(2024, 12, 31, 16, 0, 0, 1, UTC)
    assert a.updated_at == AT and b.created_at == AT
    # the tree sees them as C02's children, in path order
    children = Organization.objects.filter(path__startswith=town.path, depth=town.depth + 1).order_by("path")
    assert [o.code for o in children] == ["C02001", "C02002", "C02003", "C02004"]
    assert list(Organization.objects.filter(founded_on__year=1954)) == [a]
    assert list(Organization.objects.filter(has_party_groups=True, parent=town)) == [b]
    assert_tree_consistent()


# --- bulk_insert in the caller's transaction ----------------------------------------------------------------------


class _Abort(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_nothing():
    row = (
        "R1",
        "回滚测试县委",
        "县委",
        "",
        "",
        False,
        False,
        dt.date(2000, 1, 1),
        None,
        None,
        None,
        "0001",
        1,
        0,
        AT,
        AT,
    )
    with pytest.raises(_Abort), transaction.atomic():
        assert bulk_insert(Organization, ORG_COLUMNS, [row]) == 1
        batch = AuditBatch(None)
        for i in range(3):
            batch.add(action="create", object_type="t", object_id=i, object_repr="回滚", after={"i": i})
        assert batch.save() == 3
        # visible inside the transaction …
        assert Organization.objects.filter(code="R1").count() == 1
        assert AuditEvent.objects.count() == 3
        raise _Abort
    # … and gone with it
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_rolled_back_savepoint_leaves_nothing(county):
    old = AuditEvent.objects.count()
    with pytest.raises(_Abort), transaction.atomic():
        batch = AuditBatch(None)
        batch.add(action="create", object_type="t", object_id=1, object_repr="回滚")
        batch.save()
        raise _Abort
    assert AuditEvent.objects.count() == old
    assert not AuditEvent.objects.filter(object_type="t").exists()


# --- reserve_ids / Prepared -----------------------------------------------------------------------------------------


def _event_row(pk: int, note: str) -> tuple:
    return (pk, CREATED, None, "系统", "system", None, "create", "core.job", str(pk), note, "", None, None, note)


def test_reserved_ids_follow_the_highest_ever_used_and_take_the_rows():
    first = AuditEvent.objects.create(action="create", object_type="core.job", object_id="1", object_repr="a")
    last = AuditEvent.objects.create(action="create", object_type="core.job", object_id="2", object_repr="b")
    highest = last.pk
    # the highest id is gone (archived: core/archive.py deletes with SQL of its own): it must not be handed out again
    AuditEvent.objects.filter(pk=last.pk)._raw_delete(AuditEvent.objects.db)
    ids = core.bulk.reserve_ids(AuditEvent, 3)
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    assert min(ids) > highest > first.pk
    with transaction.atomic():
        assert bulk_insert(AuditEvent, ["id", *AUDIT_COLUMNS], [_event_row(pk, f"r{pk}") for pk in ids]) == 3
    assert list(AuditEvent.objects.filter(pk__in=ids).order_by("pk").values_list("note", flat=True)) == [
        f"r{pk}" for pk in ids
    ]
    # The next ids come after the explicit ones, from the ORM as from reserve_ids.
    orm = AuditEvent.objects.create(action="create", object_type="core.job", object_id="3", object_repr="c")
    assert orm.pk > max(ids)
    assert min(core.bulk.reserve_ids(AuditEvent, 1)) > orm.pk
    assert core.bulk.reserve_ids(AuditEvent, 0) == []


def test_prepared_values_go_in_as_given():
    """A Prepared JSON text is stored as JSON (the ORM reads a dict back), not as a JSON string holding JSON."""
    from core.bulk import Prepared

    (pk,) = core.bulk.reserve_ids(AuditEvent, 1)
    row = list(_event_row(pk, "p"))
    row[AUDIT_COLUMNS.index("after") + 1] = Prepared('{"姓名": "张三", "n": 1}')
    bulk_insert(AuditEvent, ["id", *AUDIT_COLUMNS], [tuple(row)])
    event = AuditEvent.objects.get(pk=pk)
    assert event.after == {"姓名": "张三", "n": 1} and event.before is None
    assert AuditEvent.objects.filter(pk=pk, after__n=1).exists()
