"""Presence on PostgreSQL: who else has a ticket open, and who is replying on it.

Nothing is stored. An announcement is a NOTIFY on the store's presence channel (one per
database and schema, as the change feed's), and a listener is a connection of its own,
outside the pool, that LISTENs on it while a ticket screen is open.

The agent is never the caller's word. The payload is built in SQL from the session
(`helpdesk_me()`, the agent mapped to `session_user`; a login mapped to no agent, as the
store's owner, by its own name). As any login may call pg_notify with a payload of its
choosing, the listener also asks the server which login sent each message (the backend
pid NOTIFY carries, in pg_stat_activity) and drops one whose agent is not that login's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..base import (
    InvalidInput,
    Presence,
    PresenceListener,
    PresenceState,
    StoreUnavailable,
    Unsupported,
)
from .live import detached_connection, listen
from .transactions import SqlTransactions

PRESENCE_CHANNEL_SQL = "'helpdesk_presence_' || md5(current_database() || '.' || current_schema())"
"""The presence channel of a PostgreSQL store: the change feed's (live.CHANNEL_SQL) with a
prefix of its own, so a heartbeat never wakes a change waiter."""

MAX_KEY = 64
"""A ticket key longer than this is no key of ours (the payload stays small)."""

_ME_SQL = "coalesce(helpdesk_me(), session_user::text)"
"""The agent the session is signed in as, or its login where no agent is mapped to it."""

_SENDER_SQL = (
    "SELECT coalesce((SELECT username FROM agents"
    " WHERE coalesce(db_role, username) = s.usename AND active ORDER BY username LIMIT 1),"
    " s.usename::text) FROM pg_stat_activity s WHERE s.pid = %s"
)
"""The agent (or login) of the backend whose pid sent a notification."""


class PresenceStore(SqlTransactions):
    """`announce` and `open_presence` of the SQL store: PostgreSQL only."""

    def announce(self, key: str, state: PresenceState, *, ask: bool = False) -> None:
        """See `TicketRepository.announce`."""
        if self._sqlite:
            raise Unsupported("a local file has no presence: nobody else is told")
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise InvalidInput(f"not a ticket key: {key[:MAX_KEY]!r}")
        payload = (
            f"json_build_object('agent', {_ME_SQL}, 'key', CAST(:key AS text),"
            " 'state', CAST(:state AS text), 'ask', CAST(:ask AS boolean))::text"
        )
        statement = sa.text(f"SELECT pg_notify({PRESENCE_CHANNEL_SQL}, {payload})")
        with self._guard(), self._engine.begin() as conn:
            conn.execute(
                statement, {"key": key.upper(), "state": PresenceState(state).value, "ask": ask}
            )

    def open_presence(self, key: str) -> PresenceListener:
        """See `TicketRepository.open_presence`."""
        if self._sqlite:
            raise Unsupported("a local file has no presence: nobody else is told")
        with self._guard():
            return SqlPresenceListener(self._engine, key)


class SqlPresenceListener:
    """Announcements about one ticket from other agents' sessions, verified."""

    def __init__(self, engine: Engine, key: str) -> None:
        self._key = key.upper()
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._conn = detached_connection(engine)
        self.me = ""
        """Who this session is: its own announcements are not news to it."""
        with self._driver_errors():
            listen(self._conn, PRESENCE_CHANNEL_SQL)
            self.me = str(self._conn.execute(f"SELECT {_ME_SQL}").fetchone()[0])

    def wait(self, timeout: float) -> list[Presence]:
        """See `PresenceListener.wait`."""
        with self._driver_errors():
            notes = list(self._conn.notifies(timeout=timeout, stop_after=1))
            if notes:
                notes.extend(self._conn.notifies(timeout=0))
            found = (self._read(note.payload) for note in notes)
            pairs = [(note.pid, seen) for note, seen in zip(notes, found, strict=True) if seen]
            return [seen for pid, seen in pairs if self._sent_by(pid, seen.agent)]

    def _read(self, payload: str) -> Presence | None:
        """The announcement in `payload` if it is about this ticket and another agent."""
        try:
            data = json.loads(payload)
            agent, key, state, ask = data["agent"], data["key"], data["state"], data["ask"]
            if not (isinstance(agent, str) and isinstance(key, str) and isinstance(ask, bool)):
                return None
            seen = Presence(agent, key, PresenceState(state), ask)
        except (ValueError, TypeError, KeyError):
            return None  # not one of ours: pg_notify is open to any login
        if seen.key != self._key or seen.agent == self.me:
            return None
        return seen

    def _sent_by(self, pid: int, agent: str) -> bool:
        """Whether the backend `pid` is signed in as `agent` (a session that has ended
        since cannot be asked: its message is dropped, the next heartbeat is not)."""
        row = self._conn.execute(_SENDER_SQL, (pid,)).fetchone()
        return row is not None and row[0] == agent

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        try:
            yield
        except self._dbapi_error as exc:
            self.close()
            raise StoreUnavailable(f"presence: {str(exc).strip() or type(exc).__name__}") from exc

    def close(self) -> None:
        with suppress(Exception):  # a broken connection may fail to close: gone either way
            self._conn.close()
