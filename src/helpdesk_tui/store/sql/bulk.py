"""Bulk operations: importing many tickets at once, and the retention purge."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ...domain.model import KEY_RE, Comment, Status, Ticket
from ..base import InvalidInput, StoreError
from ..validation import check_ts
from .bulk_pg import may_rebuild_indexes, pg_bulk_mode, pg_copy_batch
from .column_types import FTS_TABLE
from .engine import SQLITE_CACHE_KIB, WRITE
from .rows import KIND, ticket_params
from .tables import attachments, audit, tickets
from .writes import TicketWrites

BATCH_SIZE = 10_000
"""Tickets per executemany in bulk_import: big enough to amortise the statement, small
enough to keep the rows in flight to a few megabytes."""
PURGE_BATCH = 1_000
"""Tickets per purge transaction: other writers wait a fraction of a second at most."""


_T = TypeVar("_T")


@dataclass(slots=True)
class _ImportState:
    next_id: int
    max_own_number: int = 0


@dataclass(frozen=True, slots=True)
class _Batch:
    """One chunk of an import, as rows ready for executemany."""

    rows: list[tuple[Any, ...]]
    texts: list[str]
    """Each ticket's comment text (PostgreSQL indexes it with the row)."""
    comments: list[tuple[Any, ...]]


class BulkOperations(TicketWrites):
    """Import and purge: many tickets per transaction."""

    # -- bulk ------------------------------------------------------------------------

    def bulk_import(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Insert many tickets with their comments in one transaction: all or nothing.

        Ids: a ticket's own `id` is kept; otherwise a key with this store's prefix gives
        the id (HD-17 → 17); otherwise the next free id. Keys: kept when given (an
        import/export round trip), else assigned; a duplicate fails the whole import.
        No audit entries are written. Rows go in BATCH_SIZE at a time: on SQLite with
        executemany, the search index filled at the end with one INSERT ... SELECT; on
        PostgreSQL with COPY through staging tables (bulk_pg.py). The write lock is held
        throughout (about a minute for a million tickets): other writers wait, readers
        are not blocked, except by an import into an empty PostgreSQL store (it drops
        the ticket indexes, which locks the table until the import commits).
        """
        total = 0
        with self._guard(), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            with conn.begin():
                state = _ImportState(next_id=self._max_id(conn) + 1)
                empty = state.next_id == 1 and not self._any_ticket(conn)
                with self._bulk_mode(conn, empty):
                    for chunk in _chunks(tickets, BATCH_SIZE):
                        batch = self._prepare_batch(chunk, state, total)
                        total += self._write_batch(conn, batch, empty)
                    if total and self._sqlite:
                        self._index_imported(conn, empty)
                # After the indexes are back (a duplicate key may only show then): a
                # sequence moved by setval stays moved even when the import rolls back.
                if total:
                    self._reserve_ids(conn, max(state.next_id - 1, state.max_own_number))
                    self._bump(conn)
        if total and not self._sqlite:
            self._vacuum_after_import()
        return total

    def _vacuum_after_import(self) -> None:
        # PostgreSQL serves the view counts from index-only scans, which need the
        # visibility map that only VACUUM sets; and fresh statistics for the planner.
        # Autovacuum would get there eventually, but the first queue after an import
        # would be slow until then. An optimisation: a refusal changes nothing.
        with (
            suppress(sa_exc.SQLAlchemyError),
            self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        ):
            conn.exec_driver_sql("VACUUM (ANALYZE) tickets, ticket_watchers, comments")

    def _any_ticket(self, conn: Connection) -> bool:
        return conn.execute(sa.select(tickets.c.id).limit(1)).first() is not None

    @contextmanager
    def _bulk_mode(self, conn: Connection, empty: bool) -> Iterator[None]:
        """SQLite: load faster by building the ticket indexes once, at the end.

        Into an empty store the indexes are dropped and re-created after the load (one
        sort per index instead of a million B-tree inserts each); FTS5 keeps up to 64 MiB
        of postings in memory before writing a segment. It all happens inside the
        import's transaction, so a failed import rolls the indexes back as well.
        """
        if not self._sqlite:
            with pg_bulk_mode(conn, empty and may_rebuild_indexes(conn)):
                yield
            return
        indexes: list[tuple[str, str]] = []
        if empty:
            indexes = [
                (str(name), str(sql))
                for name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                    " AND tbl_name = 'tickets' AND sql IS NOT NULL"
                )
            ]
            for name, _ in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (64 << 20,)
        )
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while loading
        try:
            yield
            conn.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (1 << 20,)
            )
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.import_ids")
            for _, sql in indexes:
                conn.exec_driver_sql(sql)
        finally:
            # Back to the pool as it came: small cache (the rollback of a failed import
            # undoes the rest, the dropped indexes included).
            with suppress(sa_exc.SQLAlchemyError):
                conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                conn.exec_driver_sql("PRAGMA shrink_memory")

    def _max_id(self, conn: Connection) -> int:
        if self._sqlite:
            return self._next_id(conn) - 1
        return int(
            conn.execute(sa.select(sa.func.coalesce(sa.func.max(tickets.c.id), 0))).scalar_one()
        )

    def _reserve_ids(self, conn: Connection, highest: int) -> None:
        # New tickets must get ids (and HD- keys) above everything imported.
        if self._sqlite:
            conn.exec_driver_sql(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'tickets' AND seq < ?",
                (highest, highest),
            )
        else:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), GREATEST(%s,"
                " (SELECT COALESCE(max(id), 1) FROM tickets)))",
                (highest,),
            )

    def _prepare_batch(
        self, chunk: list[tuple[Ticket, Sequence[Comment]]], state: _ImportState, done: int
    ) -> _Batch:
        """Rows for one chunk of an import, assigning ids and keys (runs in the worker)."""
        prefix = self._prefix
        ts = self._ts_param
        batch = _Batch([], [], [])
        for position, item in enumerate(chunk, start=done + 1):
            try:
                ticket, thread = item
                key = ticket.key.strip() if ticket.key else ""
                id_ = ticket.id
                match = KEY_RE.match(key) if key else None
                own = int(match["number"]) if match and match["prefix"] == prefix else None
                if own is not None and own > state.max_own_number:
                    state.max_own_number = own
                if id_ is None:
                    id_ = own if own is not None else state.next_id
                if id_ >= state.next_id:
                    state.next_id = id_ + 1
                batch.rows.append(ticket_params(ticket, id_, key or f"{prefix}-{id_}", ts))
                if thread:
                    batch.comments.extend(
                        (
                            id_,
                            KIND[c.kind].value,
                            c.author,
                            c.body,
                            ts(c.created_at),
                            1 if c.from_customer else 0,
                        )
                        for c in thread
                    )
                    batch.texts.append("\n".join(c.body for c in thread))
                else:
                    batch.texts.append("")
            except StoreError:
                raise
            except KeyError as exc:
                raise InvalidInput(
                    f"ticket #{position}: unknown value {exc.args[0]!r:.40}"
                ) from exc
            except (AttributeError, TypeError, ValueError) as exc:
                raise InvalidInput(f"ticket #{position}: {exc}") from exc
        return batch

    def _write_batch(self, conn: Connection, batch: _Batch, empty: bool) -> int:
        """Insert one prepared chunk: tickets, watchers and comments.

        The search index is filled once at the end (`_index_imported`): FTS5 writes its
        pending postings at every statement boundary, so one INSERT ... SELECT over the
        whole import is far faster than one per batch.
        """
        if not self._sqlite:
            pg_copy_batch(conn, batch.rows, batch.texts, batch.comments)
            return len(batch.rows)
        self._insert_tickets(conn, batch.rows, batch.texts)
        if batch.comments:
            conn.exec_driver_sql(
                self._raw(
                    "INSERT INTO comments (ticket_id, kind, author, body, created_at,"
                    " from_customer) VALUES (?, ?, ?, ?, ?, (? <> 0))"
                ),
                batch.comments,
            )
        if self._sqlite and not empty:
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS import_ids (id INTEGER PRIMARY KEY)"
            )
            conn.exec_driver_sql(
                "INSERT INTO temp.import_ids (id) VALUES (?)", [(r[0],) for r in batch.rows]
            )
        return len(batch.rows)

    def purge(self, closed_before: datetime, actor: str, at: datetime, dry_run: bool) -> list[str]:
        """Remove closed or cancelled tickets closed before `closed_before`.

        A purge is for retention ("forensically purged after 24 months"): the ticket, its
        comments, attachments (rows and files), watchers, search entry and its earlier
        audit entries go; one tombstone entry ("purged", no personal data) stays.
        `dry_run` lists the keys that would go and changes nothing.
        """
        cutoff = check_ts("closed_before", closed_before)
        when = check_ts("at", at)
        t = tickets.c
        condition = sa.and_(
            t.status.in_([Status.CLOSED.value, Status.CANCELLED.value]), t.closed_at < cutoff
        )
        if dry_run:
            with self._read_transaction() as conn:
                return list(
                    conn.execute(sa.select(t.key).where(condition).order_by(t.id)).scalars()
                )
        purged: list[str] = []
        while True:
            with self._write_transaction() as conn:
                found = conn.execute(
                    sa.select(t.id, t.key, t.version)
                    .where(condition)
                    .order_by(t.id)
                    .limit(PURGE_BATCH)
                    .with_for_update()
                ).all()
                if not found:
                    break
                ids = [r[0] for r in found]
                files = list(
                    conn.execute(
                        sa.select(attachments.c.storage_path).where(
                            attachments.c.ticket_id.in_(ids)
                        )
                    ).scalars()
                )
                if self._sqlite:
                    conn.execute(
                        sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
                            sa.bindparam("ids", expanding=True)
                        ),
                        {"ids": ids},
                    )
                # By key: the audit table's index (it has none on ticket_id).
                conn.execute(sa.delete(audit).where(audit.c.ticket_key.in_([r[1] for r in found])))
                conn.execute(sa.delete(tickets).where(t.id.in_(ids)))
                reason = f"retention: closed before {cutoff.isoformat()}"
                self._audit(
                    conn,
                    [
                        self._entry(r[0], r[1], when, actor, "purged", None, None, reason, r[2])
                        for r in found
                    ],
                )
                self._bump(conn)
            # After the commit: a failed delete leaves a stray file, never a broken row.
            self._remove_files(files)
            purged.extend(r[1] for r in found)
        return purged


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
