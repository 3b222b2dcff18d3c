"""PostgreSQL's bulk import path: COPY into session-private staging tables, then one
INSERT ... SELECT per batch, all inside the import's transaction.

Why staging rather than COPY straight into `tickets`: the search vector must be computed
by the server (`to_tsvector`), which COPY cannot do, and an UPDATE afterwards would write
every ticket twice. Row-level security also refuses COPY FROM into a table under a
policy, while INSERT ... SELECT passes through it like the row-by-row path did. The
staging tables are temporary (no WAL) and dropped at commit or rollback; except, for the
table's owner loading an empty store, the tickets' own: an unlogged table, so that
parallel workers compute the search vectors (CREATE TABLE AS runs in parallel, INSERT ...
SELECT never does), dropped before the commit.

Into an empty store whose tables this login owns, the ticket indexes other than the
primary key are dropped first and built once at the end (a sort per index instead of a
B-tree and a GIN insert per row each: 12.5 s of server CPU instead of 15.9 s for 200,000
tickets, more as the indexes outgrow the cache); DDL is transactional, so a failed import
puts them back with everything else. DROP INDEX locks the table: while such an import
runs, readers of the (empty) store wait for it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from .column_types import SEARCH_VECTOR
from .rows import INSERT_COLUMNS
from .search import _PG_SEARCH_CHARS, search_text

_TICKETS = "pg_temp.helpdesk_import_tickets"
_COMMENTS = "pg_temp.helpdesk_import_comments"
_WATCHERS = "pg_temp.helpdesk_import_watchers"
_COMMENT_COLUMNS = "ticket_id, kind, author, body, created_at, from_customer"
_WATCHERS_AT = INSERT_COLUMNS.index("watchers")

_STAGING = "helpdesk_import_staging"
"""The connection's info key naming this import's ticket staging table."""
_TYPES = "helpdesk_import_types"
"""The connection's info key holding each staging table's column types for the import:
asked before every COPY, three a batch, the catalogue's answers cost PostgreSQL 2.2 s of a
million tickets' import."""
_PARALLEL = ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size")
"""Set to 0 for the owner's import: a batch of 10,000 staged tickets is read by parallel
workers although the planner, which has no statistics of the fresh table, would not."""
_INDEX_MEMORY = "512MB"
"""maintenance_work_mem while the dropped indexes are built again (this transaction only):
the GIN build sorts in memory (200,000 tickets: 3.4 s at the default 64MB, 3.1 s)."""


@contextmanager
def pg_bulk_mode(conn: Connection, rebuild_indexes: bool) -> Iterator[None]:
    """Create the staging tables; with `rebuild_indexes`, drop the ticket indexes (not the
    primary key, which the comments' and watchers' foreign keys look up) for the load and
    build them again after it. Nothing is restored on an exception: the transaction's
    rollback undoes it all."""
    columns = ", ".join(INSERT_COLUMNS)
    staging = _TICKETS
    parallel = rebuild_indexes and bool(
        conn.exec_driver_sql("SELECT has_schema_privilege(current_schema(), 'CREATE')").scalar()
    )
    if parallel:
        # The table's owner loading an empty store: stage the tickets in a table that
        # parallel workers can read (a temporary one is private to this backend), so
        # that to_tsvector, a quarter of the import, runs on every core. It exists only
        # inside this transaction: a rollback removes it, a commit finds it dropped.
        staging = f"helpdesk_import_{secrets.token_hex(6)}"
        for setting in _PARALLEL:
            conn.exec_driver_sql(f"SET LOCAL {setting} = 0")
    conn.exec_driver_sql(
        f"CREATE {'UNLOGGED' if parallel else 'TEMP'} TABLE {staging}"
        f"{'' if parallel else ' ON COMMIT DROP'} AS SELECT {columns},"
        " ''::text AS thread, ''::text AS search_full FROM tickets WITH NO DATA"
    )
    conn.info[_STAGING] = staging
    conn.info[_TYPES] = {}
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_COMMENTS} ON COMMIT DROP AS SELECT 0::bigint AS n,"
        f" {_COMMENT_COLUMNS} FROM comments WITH NO DATA"
    )
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_WATCHERS} ON COMMIT DROP AS"
        " SELECT ticket_id, username FROM ticket_watchers WITH NO DATA"
    )
    indexes: list[tuple[str, str]] = []
    if rebuild_indexes:
        indexes = [
            (str(name), str(sql))
            for name, sql in conn.exec_driver_sql(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i WHERE i.indrelid = 'tickets'::regclass"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
                " ORDER BY 1"
            )
        ]
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    try:
        yield
    finally:
        conn.info.pop(_STAGING, None)
        conn.info.pop(_TYPES, None)
    if staging != _TICKETS:
        conn.exec_driver_sql(f"DROP TABLE {staging}")
    if indexes:
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{_INDEX_MEMORY}'")
        for _, sql in indexes:
            conn.exec_driver_sql(sql)


def may_rebuild_indexes(conn: Connection) -> bool:
    """Whether this login may drop and create the ticket indexes (it owns the table)."""
    return bool(
        conn.exec_driver_sql(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class"
            " WHERE oid = 'tickets'::regclass"
        ).scalar()
    )


def pg_copy_batch(
    conn: Connection,
    rows: Sequence[tuple[Any, ...]],
    texts: Sequence[str],
    comments: Sequence[tuple[Any, ...]],
) -> None:
    """Write one prepared batch (rows from `ticket_params`, each ticket's comment text, and
    comment rows) through the staging tables into tickets, ticket_watchers and comments.

    The search vector is `to_tsvector('simple', search_text(...))` exactly as a single
    insert writes it; for the common all-ASCII ticket the server builds that text from the
    columns it already has (folding changes nothing there), so the description does not
    travel twice.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    columns = ", ".join(INSERT_COLUMNS)
    staging = str(conn.info.get(_STAGING, _TICKETS))
    try:
        with raw.cursor() as cur:
            types = _types(cur, staging, conn.info)  # before COPY: no query while it runs
            with cur.copy(
                f"COPY {staging} ({columns}, thread, search_full) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                write = copy.write_row
                for row, text in zip(rows, texts, strict=True):
                    subject, description = row[2], row[3]
                    if subject.isascii() and description.isascii() and text.isascii():
                        write((*row[:-1], row[-1] != 0, text, None))
                    else:
                        full = search_text(subject, description, text)
                        write((*row[:-1], row[-1] != 0, "", full))
            pairs = [(r[0], name) for r in rows if r[_WATCHERS_AT] != "[]" for name in _names(r)]
            _copy(cur, conn.info, _WATCHERS, "ticket_id, username", pairs)
            _copy(
                cur,
                conn.info,
                _COMMENTS,
                f"n, {_COMMENT_COLUMNS}",
                [(n, *comment[:5], comment[5] != 0) for n, comment in enumerate(comments)],
            )
    except Exception as exc:
        _raise_as_sqlalchemy(conn, exc, "COPY")
        raise
    vector = (
        "to_tsvector('simple', COALESCE(search_full, left(subject || ' ' || description"
        f" || ' ' || thread, {_PG_SEARCH_CHARS})))"
    )
    if staging == _TICKETS:
        conn.exec_driver_sql(
            f"INSERT INTO tickets ({columns}, {SEARCH_VECTOR}) SELECT {columns}, {vector}"
            f" FROM {staging}"
        )
    else:
        # INSERT ... SELECT never runs in parallel; CREATE TABLE AS does.
        vectors = f"{staging}_v"
        conn.exec_driver_sql(
            f"CREATE UNLOGGED TABLE {vectors} AS SELECT {columns}, {vector} AS sv FROM {staging}"
        )
        conn.exec_driver_sql(
            f"INSERT INTO tickets ({columns}, {SEARCH_VECTOR}) SELECT {columns}, sv FROM {vectors}"
        )
        conn.exec_driver_sql(f"DROP TABLE {vectors}")
    if pairs:
        conn.exec_driver_sql(
            f"INSERT INTO ticket_watchers (ticket_id, username) SELECT ticket_id, username"
            f" FROM {_WATCHERS}"
        )
    if comments:
        conn.exec_driver_sql(
            f"INSERT INTO comments ({_COMMENT_COLUMNS}) SELECT {_COMMENT_COLUMNS}"
            f" FROM {_COMMENTS} ORDER BY n"
        )
    conn.exec_driver_sql(f"TRUNCATE {staging}, {_WATCHERS}, {_COMMENTS}")


def _copy(
    cur: Any, info: dict[Any, Any], table: str, columns: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """COPY `rows` into the staging table `table` in binary (nothing when there are none)."""
    if not rows:
        return
    types = _types(cur, table, info)  # before COPY: no query may run while it does
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _types(cur: Any, table: str, info: dict[Any, Any]) -> list[str]:
    """The staging table's column types in order, as COPY's binary format needs them;
    asked once per import (`info`'s _TYPES, kept while pg_bulk_mode runs)."""
    known: dict[str, list[str]] | None = info.get(_TYPES)
    if known is not None and table in known:
        return known[table]
    cur.execute(
        "SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY a.attnum",
        (table,),
    )
    types = [str(name) for (name,) in cur.fetchall()]
    if known is not None:
        known[table] = types
    return types


def _names(row: tuple[Any, ...]) -> list[str]:
    names: list[str] = json.loads(row[_WATCHERS_AT])
    return names


def _raise_as_sqlalchemy(conn: Connection, exc: Exception, statement: str) -> None:
    """psycopg's own errors (COPY goes around SQLAlchemy) as SQLAlchemy's, which the
    store's guard words: a duplicate key or a bad value is the import's fault, in one line."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    if isinstance(exc, dbapi_error):
        raise sa_exc.DBAPIError.instance(statement, None, exc, dbapi_error) from exc
