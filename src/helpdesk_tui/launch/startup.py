"""Launching the app: the store opens in a helper process while the screens load.

A launch does two things of about the same cost: importing Textual and the screens, and
importing the database layer (SQLAlchemy) to open the store and read the queue's first
page. One after the other they took about a second; they need nothing from each other.
So `PendingService.start` forks a helper, before the UI is imported, that opens the store
(migrating it, and filling a first run's demo data), resolves the agent and reads the
first page of the first view, while this process imports the UI and lays it out. The
helper sends what it learnt back through a pipe, pickled, and exits. The app shows that
page and opens its own connection once the rows are drawn (store/deferred.py).

The helper's errors (an unknown agent, an unreachable store, a bad policy) are raised here
as they would have been raised by opening the store in this process, so the command line
still ends with the same one-line message and exit status. Where there is no fork, the
store opens in this process, in the thread that waits for it.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn, cast

from ..domain.model import Agent
from ..service import HelpdeskService
from ..service.views import PAGE_ROWS, View
from ..settings.config import Settings
from ..store.base import (
    COUNT_CAP,
    Capability,
    Page,
    Query,
    StoreError,
    StoreUnavailable,
    TicketRepository,
)
from ..store.deferred import DeferredRepository
from . import bootstrap

FirstQuery = Callable[[str, datetime], Query]
"""(agent's username, now) → the query of the rows the app shows first."""


@dataclass(frozen=True, slots=True)
class _Opened:
    """What the helper learnt, sent back to the app."""

    agent: Agent
    capabilities: frozenset[Capability]
    key_prefix: str
    protocols: frozenset[str]
    first: tuple[Query, Page]
    first_run: bool


class PendingService:
    """A HelpdeskService on its way: `start` begins opening the store, `wait` returns it.

    What needs no store is known at once: the policy, the clock and the agent's username.
    """

    def __init__(self, settings: Settings, first_query: FirstQuery) -> None:
        self.settings = settings
        self.policy = bootstrap.load_policies(settings)
        self.clock = bootstrap.make_clock()
        self.username = settings.agent
        self.first_run = False
        """Whether this launch filled a new local store with demo tickets."""
        self.first_run_expected = (
            settings.is_default_store and not settings.default_database.exists()
        )
        """No local store yet: the helper will make one and fill it (a few seconds)."""
        self._first_query = first_query
        self._pid: int | None = None
        self._reader: int | None = None
        self._lock = threading.Lock()
        self._service: HelpdeskService | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Fork the helper. Call it before importing anything heavy: the helper shares
        nothing with this process after the fork, and imports what it needs itself."""
        if not hasattr(os, "fork") or self._pid is not None:
            return
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            self._helper(writer)
        os.close(writer)
        self._pid, self._reader = pid, reader

    def answer_fd(self) -> int | None:
        """The pipe the helper answers on, for an event loop to watch: once it is
        readable, `wait` returns without waiting on the store (it may still raise what
        the helper met). None where there is no helper, or once the answer was read."""
        if self._service is not None or self._error is not None:
            return None
        return self._reader

    def wait(self) -> HelpdeskService:
        """The service, once the store is open (blocking; thread-safe). Raises what opening
        the store raised: ConfigError, StoreError and their kin, each time it is asked."""
        with self._lock:
            if self._service is None and self._error is None:
                try:
                    self._service = self._receive()
                except BaseException as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._service is not None
            return self._service

    def close(self) -> None:
        """Close the store. If the app ended before the helper answered (the agent quit
        while a remote store kept it waiting), the helper is stopped, not waited for. A
        migration it was running is one transaction: it rolls back, and the next launch
        runs it again. A first run's demo tickets are written one by one: those already
        written stay, and the store is no longer empty, so no more are made."""
        self.abandon()
        try:
            service = self.wait()
        except BaseException:  # the app has ended: nobody to tell
            return
        finally:
            self._reap(block=True)
        service.close()

    def abandon(self) -> None:
        """Nobody waits for the store any more: stop a helper that has not answered, so
        that a thread blocked in `wait` returns (with an error) instead of holding up the
        app's exit until a hanging server times out."""
        pid = self._pid
        if pid is not None and self._service is None and self._error is None:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    # ------------------------------------------------------------- the helper

    def _helper(self, writer: int) -> NoReturn:
        status = 0
        try:
            # The terminal belongs to the app now: nothing of the helper may reach it.
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            close: Callable[[], None] | None = None
            try:
                opened, close = self._open()
                answer: tuple[str, object] = ("ok", opened)
            except BaseException as exc:
                answer = ("error", exc)
            with os.fdopen(writer, "wb") as out:
                out.write(_dumps(answer))
            if close is not None:
                close()  # once the app has its answer: it waits for nothing after that
        except BaseException:
            status = 1
        finally:
            os._exit(status)  # not exit(): the app's atexit hooks and buffers are not ours

    def _open_here(self) -> HelpdeskService:
        """Open the store in this process, with the policy and clock made before the fork,
        and fill a first run's store."""
        service = bootstrap.build_service(self.settings, policy=self.policy, clock=self.clock)
        try:
            self.first_run = bootstrap.fill_first_run(service, self.settings, say=False)
        except BaseException:
            service.close()
            raise
        return service

    def _open(self) -> tuple[_Opened, Callable[[], None]]:
        """What the app is told, and how to close the store once it has been told."""
        service = self._open_here()
        try:
            query = service.scope(self._first_query(service.me.username, service.clock()))
            page = service.query(query)
            opened = _Opened(
                service.me,
                service.capabilities,
                service.key_prefix,
                service.store_protocols(),
                (query, page),
                self.first_run,
            )
        except BaseException:
            service.close()
            raise
        return opened, service.close

    # ---------------------------------------------------------------- the app

    def _receive(self) -> HelpdeskService:
        if self._pid is None or self._reader is None:  # no fork here: open it now
            return self._open_here()
        with os.fdopen(self._reader, "rb") as pipe:
            data = pipe.read()
        self._reader = None
        try:
            kind, value = pickle.loads(data)
        except Exception:
            _pid, status = os.waitpid(self._pid, 0)
            self._pid = None
            raise StoreUnavailable(
                "the store could not be opened: its launch helper ended without an answer "
                f"(status {os.waitstatus_to_exitcode(status)})"
            ) from None
        self._reap()
        if kind == "error":
            raise cast(BaseException, value)
        opened = cast(_Opened, value)
        self.first_run = opened.first_run
        repo = DeferredRepository(
            lambda: bootstrap.open_repository(self.settings),
            capabilities=opened.capabilities,
            key_prefix=opened.key_prefix,
            protocols=opened.protocols,
            first=opened.first,
        )
        return bootstrap.service_for(
            self.settings, cast(TicketRepository, repo), opened.agent, self.policy, self.clock
        )

    def _reap(self, block: bool = False) -> None:
        """Collect the helper's exit. It closes its store after answering, so the app
        reads its answer without waiting for that, and collects it later."""
        if self._pid is None:
            return
        with suppress(ChildProcessError):
            if os.waitpid(self._pid, 0 if block else os.WNOHANG)[0] == 0:
                return  # still closing its store
        self._pid = None


def _dumps(answer: tuple[str, object]) -> bytes:
    try:
        return pickle.dumps(answer)
    except Exception as exc:  # an exception carrying something unpicklable: say it in words
        what = answer[1]
        told = what if isinstance(what, BaseException) else exc
        return pickle.dumps(("error", StoreError(f"{type(told).__name__}: {told}")))


def begin(settings: Settings, views: Sequence[View]) -> PendingService:
    """Start opening the store for an app whose queue shows `views[0]` first: the helper
    reads exactly the rows the queue will ask for. Call it before importing the UI."""
    first = views[0]
    pending = PendingService(
        settings,
        lambda me, now: replace(first.build(me, now), count_cap=COUNT_CAP).page(0, PAGE_ROWS),
    )
    pending.start()
    return pending
