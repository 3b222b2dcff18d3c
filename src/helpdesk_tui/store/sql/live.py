"""The change feed: which tickets other writers changed, seen within a fraction of a second.

What a write records, in its own transaction (`bump`): the change counter in store_meta
moves on ("changes", the change token), and each ticket the write audited gets a row
"changed:<key>" holding that counter value (one row per ticket, overwritten by its next
change). A write that touches no known ticket (an import, an agent) records "changed:*".
Rows older than KEEP changes are pruned now and then, so the table stays a few hundred
rows; a reader further behind than that is told "something changed" without keys.

Then `changes_since(token)` is two small reads: the counter, and the rows above the token.

How a reader waits for the next change:

- SQLite: every POLL_EVERY seconds a connection of the feed's own (the stdlib driver,
  read-only) asks `PRAGMA data_version`, which moves when any other connection, in this
  process or another, has committed: a few microseconds, no SQL parsed, nothing read.
  Only when it moved is the counter read. Other processes write the same file, so there
  is nobody to be told by; an idle app must cost next to nothing while it waits.
- PostgreSQL: each write also calls pg_notify in its transaction (delivered on commit) on
  a channel named after the database and schema, so stores that share a server (tests put
  each in its own schema) never wake each other. The waiter holds a connection of its own,
  outside the pool, that LISTENs, and blocks in psycopg's `notifies()`. A lost connection
  is a StoreUnavailable for the caller; the next wait connects again and compares the
  counter, so a notification missed meanwhile is never a change missed.
- Any other backend (Request Tracker): `PollingFeed` polls `change_token` every few
  seconds and reports "something changed" without keys.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from ..base import Capability, ChangeFeed, ChangeSet, StoreUnavailable, TicketRepository
from .column_types import CHANGE_COUNTER
from .engine import dialect_insert
from .tables import store_meta

POLL_EVERY = 0.2
"""SQLite: seconds between two reads of the change counter while waiting."""
KEEP = 1000
"""Changes whose ticket keys are remembered; a token older than that gets keys=None."""
PRUNE_EVERY = 100
"""Writes between two prunes of the remembered keys (a prune scans a few hundred rows)."""
MAX_KEYS = 100
"""A write touching more tickets than this (a purge batch) is recorded as "changed:*"."""
NOTIFY_CHUNK = 0.5
"""PostgreSQL: the longest single block in `notifies()`, so `close()` never waits long."""

CHANGED = "changed:"
UNKNOWN = CHANGED + "*"
# Every "changed:" name sorts between these two: a range on the primary key, not a LIKE.
_FIRST, _AFTER = CHANGED, CHANGED[:-1] + chr(ord(CHANGED[-1]) + 1)

CHANNEL_SQL = "'helpdesk_' || md5(current_database() || '.' || current_schema())"
"""The NOTIFY channel of a PostgreSQL store: one per database and schema, and a valid
identifier of 41 characters whatever their names are."""


def bump(conn: Connection, keys: Collection[str] | None, *, postgres: bool) -> None:
    """Move the change counter on and record which tickets this write touched.

    Call it inside the write transaction, last: the counter row's lock then orders every
    writer's key rows, and on PostgreSQL the notification goes out with the commit.
    `keys` None (or empty): the write changed something other than known tickets.
    """
    counter = int(
        conn.execute(
            sa.update(store_meta)
            .where(store_meta.c.name == CHANGE_COUNTER)
            .values(value=store_meta.c.value + 1)
            .returning(store_meta.c.value)
        ).scalar_one()
    )
    touched = sorted(set(keys or ()))
    names = [CHANGED + key for key in touched] if 0 < len(touched) <= MAX_KEYS else [UNKNOWN]
    insert = dialect_insert(postgres)
    stmt = insert(store_meta).values([{"name": name, "value": counter} for name in names])
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"value": stmt.excluded.value})
    )
    if counter % PRUNE_EVERY == 0:
        conn.execute(
            sa.delete(store_meta).where(
                store_meta.c.name >= _FIRST,
                store_meta.c.name < _AFTER,
                store_meta.c.value <= counter - KEEP,
            )
        )
    if postgres:
        # The payload is only a wake-up call; the keys are read back from store_meta,
        # so a notification lost with a connection loses nothing.
        conn.exec_driver_sql(f"SELECT pg_notify({CHANNEL_SQL}, %s)", (str(counter),))


def changes_since(conn: Connection, token: str | None) -> ChangeSet:
    """The current token and the keys of the tickets written after `token`."""
    current = conn.execute(
        sa.select(store_meta.c.value).where(store_meta.c.name == CHANGE_COUNTER)
    ).scalar_one()
    now = str(current)
    if token is None or token == now:
        return ChangeSet(now)
    try:
        since = int(token)
    except ValueError:
        return ChangeSet(now, None)  # not one of ours: assume anything changed
    if since > current or current - since >= KEEP:
        return ChangeSet(now, None)  # another store's token, or older than what is kept
    names = set(
        conn.execute(
            sa.select(store_meta.c.name).where(
                store_meta.c.name >= _FIRST,
                store_meta.c.name < _AFTER,
                store_meta.c.value > since,
            )
        ).scalars()
    )
    if not names or UNKNOWN in names:
        return ChangeSet(now, None)
    return ChangeSet(now, frozenset(name.removeprefix(CHANGED) for name in names))


Guard = Callable[[], AbstractContextManager[None]]


def detached_connection(engine: Engine) -> Any:
    """A psycopg connection of `engine`'s, outside the pool for good: one that blocks in
    notifies() and must keep its LISTEN."""
    proxy = engine.raw_connection()
    conn = proxy.driver_connection
    proxy.detach()
    assert conn is not None
    return conn


def listen(conn: Any, channel_sql: str) -> None:
    """Put `conn` in autocommit and LISTEN on the channel the SQL `channel_sql` names."""
    conn.rollback()  # the pool's ping may have opened a transaction
    conn.autocommit = True
    row = conn.execute(f"SELECT {channel_sql}").fetchone()
    conn.execute(f'LISTEN "{row[0]}"')


class SqlChangeFeed:
    """`wait_for_changes` of the SQL store: polling on SQLite, LISTEN on PostgreSQL.

    `guard` turns driver errors into StoreErrors (the repository's `_guard`)."""

    def __init__(self, engine: Engine, guard: Guard) -> None:
        self._engine = engine
        self._guard = guard
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._listener: Any = None
        """PostgreSQL: the psycopg connection that LISTENs (None: not connected)."""
        self._seen: str | None = None
        """The token the listener last answered with: nothing changed after it that has
        not been notified since (as long as the listener stayed connected)."""
        self._closed = False
        self._quiet: tuple[str, int | None] | None = None
        """SQLite: (token, data_version) of the last wait that saw no change."""
        self._watcher: sqlite3.Connection | None = None
        """SQLite: the connection that asks `PRAGMA data_version` (None: none yet)."""

    def read(self, token: str | None) -> ChangeSet:
        """What changed after `token`, read now."""
        with self._guard(), self._engine.connect() as conn, conn.begin():
            return changes_since(conn, token)

    def wait(self, token: str | None, timeout: float) -> ChangeSet:
        """See `ChangeFeed.wait_for_changes`."""
        if self._postgres:
            return self._listen(token, timeout)
        deadline = time.monotonic() + timeout
        version = self._data_version()
        if token is not None and version is not None and (token, version) == self._quiet:
            changes = ChangeSet(token)  # nobody committed since a read found nothing new
        else:
            changes = self.read(token)
        while token is not None and not changes.changed:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                break
            time.sleep(min(POLL_EVERY, remaining))
            now = self._data_version()
            if now is not None and now == version:
                continue  # nobody committed since the last read
            version = now
            changes = self.read(token)
        # Callers wait again at once with the same token: remember that it was quiet.
        self._quiet = (changes.token, version) if not changes.changed else None
        return changes

    def _data_version(self) -> int | None:
        """SQLite's commit counter as seen from the feed's own connection; None where it
        cannot be asked (an in-memory database): then every poll reads the counter."""
        path = self._engine.url.database
        if not path or path == ":memory:":
            return None
        # Under the lock `close` takes: a connection closed by another thread while this
        # one executes on it ends the process (the app's exit closes the store while the
        # listener's thread polls).
        with self._lock:
            if self._closed:
                return None
            try:
                if self._watcher is None:
                    uri = f"file:{path}?mode=ro"
                    self._watcher = sqlite3.connect(uri, uri=True, check_same_thread=False)
                return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                # The file is gone or locked: let the full read say what is wrong.
                self._drop_watcher()
                return None

    def _drop_watcher(self) -> None:
        if self._watcher is not None:
            with suppress(sqlite3.Error):
                self._watcher.close()
            self._watcher = None

    def _listen(self, token: str | None, timeout: float) -> ChangeSet:
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            if self._listener is None:
                self._connect()
                self._seen = None
            if token is None or token != self._seen:
                # Changes made before LISTEN began (or before this caller's token) were
                # never notified to us: the counter tells.
                changes = self.read(token)
                self._seen = changes.token
                if token is None or changes.changed:
                    return changes
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return ChangeSet(token)
                if self._notified(min(remaining, NOTIFY_CHUNK)):
                    # It may be the late echo of a change already reported: read to know.
                    changes = self.read(token)
                    self._seen = changes.token
                    if changes.changed:
                        return changes

    def _connect(self) -> None:
        with self._guard():
            conn = detached_connection(self._engine)
            with self._driver_errors(conn):
                listen(conn, CHANNEL_SQL)
            self._listener = conn

    def _notified(self, timeout: float) -> bool:
        """Block until a notification arrives (True) or `timeout` passes (False)."""
        conn = self._listener
        with self._guard(), self._driver_errors(conn):
            woke = False
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                woke = True
            if woke:
                # A burst of writes is one wake-up: the read that follows sees them all.
                for _ in conn.notifies(timeout=0):
                    pass
            return woke

    @contextmanager
    def _driver_errors(self, conn: Any) -> Iterator[None]:
        """psycopg's own errors as SQLAlchemy's (which `guard` words), dropping the
        listener: the next wait connects again."""
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        try:
            yield
        except dbapi_error as exc:
            self._listener = None
            # Closing a broken connection may fail again: it is gone either way.
            with suppress(Exception):
                conn.close()
            raise sa_exc.OperationalError(None, None, exc) from exc

    def close(self) -> None:
        """Stop listening; a waiter returns within NOTIFY_CHUNK seconds."""
        self._closed = True
        with self._lock:
            self._drop_watcher()
            if self._listener is not None:
                with suppress(Exception):
                    self._listener.close()
                self._listener = None


class PollingFeed:
    """A change feed for a backend without one: polls `change_token` every `every` seconds.

    Knows only that something changed, never which tickets (keys=None)."""

    def __init__(self, repo: TicketRepository, every: float = 2.0) -> None:
        self._repo = repo
        self._every = every
        self._next_poll = 0.0

    def wait_for_changes(self, token: str | None, timeout: float) -> ChangeSet:
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if token is None or now >= self._next_poll:
                self._next_poll = now + self._every
                current = self._repo.change_token()
                if token is None:
                    return ChangeSet(current)
                if current != token:
                    return ChangeSet(current, None)
            if now >= deadline:
                return ChangeSet(token)
            time.sleep(max(0.0, min(self._next_poll, deadline) - now))


def feed_for(repo: TicketRepository) -> ChangeFeed:
    """The repository itself if it has a change feed, else a `PollingFeed` over it."""
    if Capability.CHANGE_FEED in repo.capabilities and isinstance(repo, ChangeFeed):
        return repo
    return PollingFeed(repo)
