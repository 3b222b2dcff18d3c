"""A second lane of connections for a search's count, run beside its page (PostgreSQL).

A list on screen is a page of 50 and a count. On PostgreSQL each statement of a read
transaction sees its own snapshot (READ COMMITTED), so the two never shared one and
nothing is lost by running the count on another connection at the same time: the list
then costs the longer of the two, not their sum. That pays for a search (at a million
tickets "printer" best first: page 29 ms and count to 1,001 26 ms, 55-67 ms one after the
other, 33 ms side by side); a view counts an index in a few ms, less than the handing over
costs (about 1.5 ms), and keeps one connection.

The lane has an engine of its own, of two connections at most: a page waiting for its
count holds a connection of the main pool, and a count that needed one of the same pool
could wait for it forever once every one was held so. SQLite reads in one snapshot per
transaction and counts first (its page plan depends on the count): it keeps one lane.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

from sqlalchemy.engine import Connection, Engine

from .engine import make_engine

LANE_CONNECTIONS = 2


class CountLane:
    """Runs `read(conn)` on a connection of its own, in a thread of its own."""

    def __init__(self, engine: Engine, guard: Callable[[], AbstractContextManager[None]]) -> None:
        self._main = engine
        self._guard = guard
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._threads: ThreadPoolExecutor | None = None

    def submit(self, read: Callable[[Connection], int]) -> Future[int]:
        with self._lock:
            if self._threads is None or self._engine is None:
                self._engine = make_engine(self._main.url, pool_size=LANE_CONNECTIONS)
                self._threads = ThreadPoolExecutor(LANE_CONNECTIONS, thread_name_prefix="count")
            engine, threads = self._engine, self._threads
        return threads.submit(self._run, engine, read)

    def _run(self, engine: Engine, read: Callable[[Connection], int]) -> int:
        with self._guard(), engine.connect() as conn, conn.begin():
            return read(conn)

    def close(self) -> None:
        with self._lock:
            threads, engine = self._threads, self._engine
            self._threads = self._engine = None
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        if engine is not None:
            engine.dispose()
