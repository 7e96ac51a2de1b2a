"""Set-based helpers for imports and jobs: chunked lookups and fast plain-row inserts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models, transaction

try:
    from psycopg.copy import QueuedLibpqWriter
except ImportError:  # psycopg is only needed where PostgreSQL is used
    QueuedLibpqWriter = None

# SQLite builds may allow as few as 32,766 bound variables in one statement; stay well below on every database.
CHUNK = 5000

# Field types whose Python values the database driver takes as they are; others go through get_db_prep_save.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def chunked(values: Iterable, size: int | None = None) -> Iterator[list]:
    size = size or CHUNK
    batch: list = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def filter_in(queryset: models.QuerySet, field: str, values: Iterable) -> Iterator[Any]:
    """Rows of `queryset` whose `field` is in `values`, fetched in chunks (works for 140k values on any database)."""
    for batch in chunked(sorted(set(values), key=str)):
        yield from queryset.filter(**{f"{field}__in": batch})


# A load this large gets fresh planner statistics at once (PostgreSQL), see bulk_insert.
ANALYZE_AFTER_ROWS = 5_000


def analyze(*models: type[models.Model]) -> None:
    """Fresh planner statistics for these tables (PostgreSQL; nothing elsewhere): for a transaction that filled them
    and then runs joins over them, before autovacuum can come by (see ANALYZE_AFTER_ROWS)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def bulk_insert(model: type[models.Model], fields: list[str], rows: Iterable[tuple], *, analyze: bool = True) -> int:
    """Insert plain tuples (one value per name in `fields`): COPY on PostgreSQL, executemany elsewhere.

    No model instances, signals or RETURNING: callers have validated everything and look ids up by natural key
    afterwards (or reserve them first with reserve_ids). Used where a sheet writes tens of thousands of rows;
    ordinary writes use the ORM. A value wrapped in Prepared is already in the database's form and passes as is.
    `rows` may be a generator, but it must not query the database: on PostgreSQL it is consumed inside the COPY, when
    the connection accepts nothing else (a query there blocks for ever). Look things up, and reserve ids, before.
    `analyze=False`: no fresh statistics after a large load (a caller whose transaction plans no join on the table).
    """
    connection = transaction.get_connection()
    meta = model._meta
    field_objs = [meta.get_field(name) for name in fields]
    preparers = [None if _is_plain(f) else _preparer(f, connection) for f in field_objs]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(f.column) for f in field_objs)
    if all(p is None for p in preparers):
        prepared_rows = iter(rows)
    else:
        indexed = [(i, p) for i, p in enumerate(preparers) if p is not None]

        def prepare(row):
            row = list(row)
            for i, p in indexed:
                v = row[i]
                if v is not None:
                    row[i] = v.value if type(v) is Prepared else p(v)
            return row

        prepared_rows = map(prepare, rows)

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A worker thread sends the data (psycopg's queued writer), so the server ingests one batch while this
            # thread formats the next, and `rows` may be a generator still encrypting: two cores at work, not one.
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for row in prepared_rows:
                    copy.write_row(row)
                    count += 1
            if analyze and count >= ANALYZE_AFTER_ROWS:
                # The planner's statistics still describe the table before the load until autovacuum comes by,
                # which it cannot do before the load commits: a query later in the same transaction (seed_demo's
                # nightly checks after its meetings) would plan joins for an empty table and loop for minutes.
                cursor.execute(f"ANALYZE {table}")
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(field_objs))})"
            for batch in chunked(prepared_rows, 2000):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def _is_plain(field: models.Field) -> bool:
    # A date needs no conversion either: psycopg takes it as is, and the adapter Django registers with sqlite3 writes
    # date.isoformat(), exactly what DateField would have stored. Not so a datetime (aware → UTC text), and
    # DateTimeField is a DateField subclass. Callers pass dates, not datetimes, for date columns.
    if isinstance(field, models.DateField):
        return not isinstance(field, models.DateTimeField)
    return isinstance(field, _PLAIN)


class Prepared:
    """A value already converted for the database (e.g. JSON text serialized once by the caller)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _preparer(field: models.Field, connection):
    """get_db_prep_save for one field, memoized on hashable values: an import repeats the same timestamp and the
    same few thousand dates hundreds of thousands of times, and Django's conversion is the costly part."""
    cache: dict = {}

    def prep(value):
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = field.get_db_prep_save(value, connection)
            return result
        except TypeError:  # unhashable (a dict for a JSON field)
            return field.get_db_prep_save(value, connection)

    return prep


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys for rows the caller is about to bulk_insert with explicit ids, so it needs no lookup of
    what was inserted. PostgreSQL takes them from the table's sequence (safe under concurrency). SQLite continues
    after the highest id ever used; that is safe because SQLite has a single writer: a concurrent insert between
    this read and ours makes our write fail (the snapshot is stale), never reuse an id."""
    if count <= 0:
        return []
    connection = transaction.get_connection()
    meta = model._meta
    table, pk = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [r[0] for r in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({qn(pk)}), 0) FROM {qn(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row and row[0] > highest:
                highest = row[0]
    return list(range(highest + 1, highest + 1 + count))
