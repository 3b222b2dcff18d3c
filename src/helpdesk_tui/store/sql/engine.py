"""Engines for the SQL store: SQLite tuned for a desktop app with worker threads, or PostgreSQL.

SQLite notes, because they decide whether writes fail under load:

- pysqlite's own transaction handling starts a DEFERRED transaction lazily before the
  first DML statement. A transaction that reads and then writes must then upgrade its
  lock, and SQLite refuses that upgrade at once ("database is locked", no busy wait)
  when another connection wrote in between. So the driver's handling is switched off
  (`isolation_level = None`) and the "begin" event emits BEGIN itself: `BEGIN IMMEDIATE`
  for connections carrying the `WRITE` execution option (the write lock is taken up
  front, waiting up to `busy_timeout`), plain `BEGIN` for readers, which in WAL mode
  never block and are never blocked.
- The pool hands each connection to one thread at a time; `check_same_thread=False`
  only lifts pysqlite's check that the creating thread is the one using it.
- SQLite's wait for the write lock (busy_timeout) polls, sleeping up to 100 ms between
  tries, and favours whoever asks at the right moment: with eight processes writing flat
  out, one lost every try for five seconds and failed with "database is locked"
  (tests/store/test_concurrency.py). So writers first queue on a flock() of a file beside
  the database (`writer_turn`): the kernel wakes the next one the moment the last one has
  committed, and SQLite's lock is free whenever it is asked for.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from ...settings.private import FILE_MODE, is_secret_name, private_dir, private_file
from ..base import InvalidInput, StoreUnavailable

if sys.platform != "win32":
    import fcntl

WRITE: dict[str, Any] = {"helpdesk_write": True}
"""Execution options for a connection that will write: BEGIN IMMEDIATE on SQLite."""

BUSY_TIMEOUT_MS = 5000

# pysqlite binds None through its adapter lookup (a tuple key, a dict miss and two
# attribute probes per value): 40% of the ticket insert time went there, tickets having
# ~20 empty columns each. Registering None -> None makes that a dict hit; the value
# bound is still NULL, so this changes no behaviour for anybody else in the process.
sqlite3.register_adapter(type(None), lambda value: value)

SQLITE_CACHE_KIB = 2048
"""Each SQLite connection's page cache (see the pragmas below)."""

_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",  # wait for the write lock instead of failing
    "PRAGMA foreign_keys=ON",  # comments/attachments/watchers cascade with their ticket
    "PRAGMA synchronous=NORMAL",  # WAL + NORMAL: durable across app crashes, fast commits
    # 2 MiB of page cache per connection, and no memory map: a map of the file counts in
    # the app's resident memory as it is read (1.4 GiB on a million tickets), and a big
    # cache per pooled connection grows its heap. Pages come from the OS's cache instead:
    # the queue's reads are index ranges of a few pages (benchmarks/bench_store.py
    # --old-sqlite-tuning times the old settings beside these).
    f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}",
    "PRAGMA temp_store=MEMORY",  # sorts of filtered pages never touch disk
    "PRAGMA mmap_size=0",
)


def database_url(target: str | Path | URL) -> URL:
    """A SQLAlchemy URL from a URL string, a URL, or a plain SQLite file path."""
    if isinstance(target, URL):
        return target
    text = str(target)
    if isinstance(target, Path) or "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        return sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise InvalidInput(f"not a database URL: {describe(text)}") from exc


def describe(target: str | Path | URL) -> str:
    """How a database is named in messages: a SQLite path, or the URL without its password."""
    if isinstance(target, str | Path) and "://" not in str(target):
        return str(target)
    try:
        url = target if isinstance(target, URL) else sa.make_url(str(target))
    except sa.exc.ArgumentError:
        return "(unparseable database URL)"
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    # libpq takes a password as a query parameter too: never print one from there either.
    url = url.difference_update_query([name for name in url.query if is_secret_name(name)])
    return url.render_as_string(hide_password=True)


def dialect_insert(postgres: bool) -> Any:
    """The dialect's INSERT, which has ON CONFLICT, imported when first needed: a SQLite
    store never loads the PostgreSQL dialect (about 30 ms of every launch)."""
    if postgres:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


PG_CONNECT_ARGS: dict[str, int] = {
    # A server that accepts and never answers would hold a connect forever: the
    # launch, a worker, the change feed.
    "connect_timeout": 10,
    # The change feed's LISTEN connection only ever waits: on a link that died without
    # a word (a NAT or firewall dropping an idle flow) it would wait forever, and live
    # updates would stop with nothing said. TCP keepalives find a dead peer in about a
    # minute; the listener then reconnects, and the status line says so meanwhile.
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""libpq parameters for every PostgreSQL connection, unless the URL gives its own."""


def is_memory(url: URL) -> bool:
    """True for an in-memory SQLite database."""
    db = url.database or ""
    return db in ("", ":memory:") or url.query.get("mode") == "memory"


def make_engine(
    target: str | Path | URL, *, echo: bool = False, pool_size: int | None = None
) -> Engine:
    """An engine for SQLite (creating the file's folder) or PostgreSQL (via psycopg 3);
    `pool_size`: PostgreSQL's connections at most (else SQLAlchemy's 5, and 10 more)."""
    url = database_url(target)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo)
    if backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        # Parameters in the URL win over these.
        extra = {name: v for name, v in PG_CONNECT_ARGS.items() if name not in url.query}
        sizes = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
        engine = sa.create_engine(url, echo=echo, pool_pre_ping=True, connect_args=extra, **sizes)
        event.listen(engine, "connect", _postgres_connect)
        return engine
    raise InvalidInput(f"unsupported database {describe(url)} (use SQLite or PostgreSQL)")


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    if is_memory(url):
        # One shared connection: an in-memory database exists once per connection.
        # Good for quick single-threaded use only; the app uses a file.
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False},
            poolclass=StaticPool,
        )
    else:
        path = Path(url.database or "")
        try:
            private_dir(path.parent, tighten_existing=False)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create the folder of database {path}: {exc.strerror or exc}"
            ) from exc
        # Made here, owner-only, before SQLite makes it with the umask's mode (its
        # journal takes the database's). A file that cannot be made is SQLite's to say.
        with suppress(OSError):
            private_file(path, create=True)
        _write_ahead_log(path)
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """Hold this writer's turn among every process writing the same SQLite file.

    An exclusive flock() on "<database>-lock": a writer waiting for it sleeps in the
    kernel and is woken when the writer before it closes the file after its commit (also
    when that process dies). Every opening is its own lock, so threads queue as well.
    A no-op for PostgreSQL, in-memory SQLite, or where there is no flock (Windows) or no
    lock file can be made, and for a write begun inside another write of the same thread
    (it would wait for itself forever): SQLite's busy_timeout is then the only wait.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or is_memory(url):
        yield
        return
    with _file_turn(f"{url.database}-lock"):
        yield


@contextmanager
def _file_turn(path: str) -> Iterator[None]:
    held: set[str] = _turns.__dict__.setdefault("held", set())
    fd = -1
    if sys.platform != "win32" and path not in held:
        with suppress(OSError):  # a read-only folder: the write itself will say what is wrong
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    if fd < 0:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(path)
        yield
    finally:
        held.discard(path)
        os.close(fd)  # releases the lock


def _write_ahead_log(path: Path) -> None:
    """Put the database in WAL mode (readers and one writer at the same time), once.

    The mode is kept in the file. Switching a new file to it needs SQLite's exclusive
    lock, and SQLite answers "database is locked" at once, without its busy wait, when
    another process is opening the same new file: so the switch takes the writers' turn
    (see `writer_turn`), and a connection only reads the mode the file already has.
    """
    with _file_turn(f"{path}-lock"):
        try:
            with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open database {path}: {exc}") from exc


_turns = threading.local()
"""The lock files this thread holds a turn on (see `writer_turn`)."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite (see the module docstring).
    dbapi_connection.isolation_level = None
    for pragma in _SQLITE_PRAGMAS:
        dbapi_connection.execute(pragma)


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get("helpdesk_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    # Timestamps come back in the session zone; UTC saves a conversion per value.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()
