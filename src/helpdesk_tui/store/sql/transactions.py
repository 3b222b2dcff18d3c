"""Transactions of the SQL store: reads, writes, error translation, audit rows, change feed.

Every write is one transaction. On SQLite it begins with BEGIN IMMEDIATE (see
`engine.py`), on PostgreSQL it locks the ticket row with SELECT ... FOR UPDATE; either way
the version check, the new values, the audit entries, the comment, the attachment rows,
the search index and the change counter commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from ..base import AdminRecord, InvalidInput, NotFound, StoreError, StoreRefused, StoreUnavailable
from ..validation import check_str, check_ts
from .beside import CountLane
from .engine import WRITE, writer_turn
from .live import bump
from .rows import SELECT_TICKET, spellings
from .tables import audit, tickets

INSUFFICIENT_PRIVILEGE = "42501"
"""PostgreSQL's SQLSTATE for a missing grant and for a row-level security check."""

_TOUCHED = "helpdesk_touched"
"""conn.info key: the ticket keys the current write transaction audited (`_bump` reads it)."""


class SqlTransactions:
    """What every part of SqlRepository shares: the engine and its transactions."""

    _engine: Engine
    _prefix: str
    _attachments_dir: Path
    _sqlite: bool
    _name: str
    _secret: str | None
    _qmark: bool
    """Raw (driver-level) SQL is written with "?" placeholders; psycopg wants "%s"."""
    _ts_param: Callable[[datetime], Any]
    _lane: CountLane | None
    """PostgreSQL's connections for a list's count beside its page (beside.py)."""
    _signed_as: tuple[str, str] | None = None
    """(login, agent): who was signed in, for the history entries that agent writes, where
    the database cannot tell (`sign_as`)."""

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Let only StoreError subclasses out, with one-line messages and no secrets."""
        try:
            yield
        except StoreError:
            raise
        except sa_exc.StatementError as exc:
            if isinstance(exc.orig, StoreError):
                raise exc.orig from exc
            reason = error_reason(exc, self._secret)
            if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                raise StoreRefused(f"{self._name} refused this login: {reason}") from exc
            if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
                raise InvalidInput(f"{self._name} refused the write: {reason}") from exc
            raise StoreUnavailable(f"{self._name}: {reason}") from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StoreUnavailable(f"{self._name}: {error_reason(exc, self._secret)}") from exc
        except OSError as exc:
            raise StoreUnavailable(
                f"attachments folder {self._attachments_dir}: {exc.strerror or exc}"
            ) from exc

    @contextmanager
    def _read_transaction(self) -> Iterator[Connection]:
        with self._guard(), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self._guard(), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            try:
                with writer_turn(self._engine), conn.begin():
                    yield conn
            finally:
                # conn.info outlives the checkout: no key may leak into the next write.
                conn.info.pop(_TOUCHED, None)

    def _raw(self, sql: str) -> str:
        return sql if self._qmark else sql.replace("?", "%s")

    def _bump(self, conn: Connection) -> None:
        # The change token and feed (live.py), last in every write transaction: the
        # tickets touched are those `_audit` wrote entries for, since every ticket write
        # audits; a write without entries (import, agents) is "something changed".
        bump(conn, conn.info.pop(_TOUCHED, None), postgres=not self._sqlite)

    def _row_by_key(self, conn: Connection, key: str, lock: bool = False) -> Sequence[Any]:
        wanted = key.strip()
        stmt = SELECT_TICKET.where(tickets.c.key.in_(spellings(key))).limit(1)
        if lock:
            stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds the write lock already
        row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no ticket {wanted}")
        return row

    def _id_of(self, conn: Connection, key: str) -> int:
        wanted = key.strip()
        found = conn.execute(
            sa.select(tickets.c.id).where(tickets.c.key.in_(spellings(key))).limit(1)
        ).scalar()
        if found is None:
            raise NotFound(f"no ticket {wanted}")
        return int(found)

    def _audit(self, conn: Connection, entries: list[dict[str, Any]]) -> None:
        if entries and self._signed_as is not None:
            login, agent = self._signed_as
            entries = [
                {**entry, "login": login} if entry["actor"] == agent else entry for entry in entries
            ]
        if entries:
            conn.execute(sa.insert(audit), entries)
            touched = conn.info.setdefault(_TOUCHED, set())
            touched.update(e["ticket_key"] for e in entries if e["ticket_key"])

    def _record(self, conn: Connection, record: AdminRecord | None) -> None:
        if record is not None:
            at, actor = check_ts("at", record.at), check_str("actor", record.actor)
            field = check_str("field", record.field)
            entry = self._entry(None, None, at, actor, field, record.old, record.new, None, None)
            self._audit(conn, [entry])

    @staticmethod
    def _entry(
        ticket_id: int | None,
        key: str | None,
        at: datetime,
        actor: str,
        field: str,
        old: str | None,
        new: str | None,
        reason: str | None,
        version: int | None,
    ) -> dict[str, Any]:
        return {
            "ticket_id": ticket_id,
            "ticket_key": key,
            "at": at,
            "actor": actor,
            "field": field,
            "old": old,
            "new": new,
            "reason": reason,
            "version": version,
        }


def error_reason(exc: BaseException, secret: str | None) -> str:
    """The first line of a driver error, without the password if it slipped in."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    text = lines[0] if lines else type(orig).__name__
    return text.replace(secret, "***") if secret else text
