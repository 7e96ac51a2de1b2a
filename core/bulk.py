"""Set-based helpers for imports and jobs: chunked lookups and fast plain-row inserts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models, transaction

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


def bulk_insert(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """Insert plain tuples (one value per name in `fields`): COPY on PostgreSQL, executemany elsewhere.

    No model instances, signals or RETURNING: callers have validated everything and look ids up by natural key
    afterwards. Used where a sheet writes tens of thousands of rows; ordinary writes use the ORM.
    """
    connection = transaction.get_connection()
    meta = model._meta
    field_objs = [meta.get_field(name) for name in fields]
    prep = [None if isinstance(f, _PLAIN) else f for f in field_objs]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(f.column) for f in field_objs)

    def prepared(row):
        return tuple(v if p is None or v is None else p.get_db_prep_save(v, connection) for v, p in zip(row, prep))

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(field_objs))})"
            for batch in chunked((prepared(r) for r in rows), 2000):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count
