"""The launch: a forked helper opens the store and reads the first page while the UI loads."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from helpdesk_tui.launch import bootstrap, collector, startup
from helpdesk_tui.launch.startup import PendingService
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.service.views import PAGE_ROWS
from helpdesk_tui.settings.config import ConfigError, Settings
from helpdesk_tui.store.base import COUNT_CAP, Query, StoreUnavailable, TicketRepository
from helpdesk_tui.store.deferred import DeferredRepository
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui import app as app_module
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable

from .conftest import ME

Handed = dict[HelpdeskService, TicketRepository]


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> Handed:
    """The repository the launch handed each service it built in this process (a service
    keeps its own private): what the launch deferred, and when it opened."""
    given: Handed = {}
    service_for = bootstrap.service_for

    def recording(
        settings: Settings, repo: TicketRepository, *args: Any, **options: Any
    ) -> HelpdeskService:
        service = service_for(settings, repo, *args, **options)
        given[service] = repo
        return service

    monkeypatch.setattr(bootstrap, "service_for", recording)
    return given


def _settings(data_dir: Path, agent: str = ME) -> Settings:
    return Settings(data_dir=data_dir, agent=agent, cursor_blink=False)


def _pending(settings: Settings) -> PendingService:
    return startup.begin(settings, bootstrap.views(settings))


def _launching(settings: Settings) -> tuple[PendingService, HelpdeskApp]:
    """The launch as `helpdesk-tui` makes it: the helper forked, then the app."""
    pending = _pending(settings)
    return pending, HelpdeskApp(pending, settings, bootstrap.views(settings), oncall=False)


async def _until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 4.0) -> None:
    """Let the app run until `done()` (the callers assert it after), or `seconds` pass."""
    for _ in range(int(seconds / 0.02)):
        if done():
            return
        await pilot.pause(0.02)


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_launch_imports_only_what_the_first_rows_need() -> None:
    """The modules a plain launch loads before its first rows are drawn (the command
    line's, the helper's fork, the UI's): no command group, no reporting, no mail, no
    triage (it loads with the first suggestion) and no database layer (the helper's).
    Each was a share of the launch, paid again by every start of the app."""
    probe = (
        "import sys\n"
        "from helpdesk_tui.cli import main\n"
        "assert main._app_launch([]) is not None\n"
        "import helpdesk_tui.cli.app, helpdesk_tui.launch.startup\n"
        "import helpdesk_tui.ui.app, helpdesk_tui.ui.screens.queue\n"
        "print(*sorted(sys.modules), sep='\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    assert "helpdesk_tui.ui.screens.queue" in loaded  # the probe did load the launch
    late = (
        "helpdesk_tui.domain.triage",
        "helpdesk_tui.reporting",
        "helpdesk_tui.mail",
        "sqlalchemy",
        "sqlmodel",
        "pydantic",
    )
    assert sorted(m for m in loaded if m.startswith(late)) == []
    groups = {m for m in loaded if m.startswith("helpdesk_tui.cli.")}
    assert groups == {
        "helpdesk_tui.cli.main",
        "helpdesk_tui.cli.app",
        "helpdesk_tui.cli.errors",
        "helpdesk_tui.cli.parser",
    }


def test_the_helper_reads_what_opening_here_would(data_dir: Path, handed: Handed) -> None:
    settings = _settings(data_dir)
    pending = _pending(settings)
    assert not pending.first_run_expected
    pid = pending._pid
    assert pid is not None and pid != os.getpid()  # a process of its own
    service = pending.wait()  # the answer: the helper may still be closing its store

    direct = bootstrap.build_service(settings)
    try:
        assert service.me == direct.me
        repo = handed[service]
        assert isinstance(repo, DeferredRepository) and not repo.opened
        # As the queue asks for it: its count stops at COUNT_CAP.
        view = bootstrap.views(settings)[0].build(ME, service.clock())
        query = replace(view, count_cap=COUNT_CAP).page(0, PAGE_ROWS)
        page = service.query(query)
        assert repo.served_first and not repo.opened
        assert page == direct.query(query)
        assert page.tickets  # the demo store has open tickets of alex's
        assert service.get(page.tickets[0].key) == page.tickets[0]  # now it opens
        assert repo.opened
    finally:
        direct.close()
        pending.close()
    assert _reaped(pid)  # collected by the close at the latest


def test_the_helpers_refusal_is_the_one_opening_here_gives(data_dir: Path) -> None:
    settings = _settings(data_dir, agent="nobody")
    with pytest.raises(ConfigError) as here:
        bootstrap.build_service(settings)
    pending = _pending(settings)
    with pytest.raises(ConfigError) as there:
        pending.wait()
    assert str(there.value) == str(here.value)
    assert "'nobody' is not known to this store" in str(there.value)
    with pytest.raises(ConfigError):  # asked again: the same answer, not a hang
        pending.wait()
    pending.close()


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "helpdesk.db").write_bytes(b"not a database, " * 64)
    pending = _pending(_settings(tmp_path))
    with pytest.raises(StoreUnavailable) as caught:
        pending.wait()
    assert "cannot open database" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_first_run_fills_the_new_store_and_says_so(tmp_path: Path) -> None:
    pending = _pending(_settings(tmp_path / "fresh"))
    assert pending.first_run_expected  # the status line says what the wait is for
    service = pending.wait()
    assert pending.first_run
    assert service.count(Query()) > 0
    pending.close()


async def test_the_app_shows_the_helpers_rows_then_opens_its_own_connection(
    data_dir: Path, handed: Handed
) -> None:
    settings = _settings(data_dir)
    pending, app = _launching(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: bool(app.screen.query_one(TicketTable).total))
        table = app.screen.query_one(TicketTable)
        assert app.ready and table.total > 0
        repo = handed[app.service]
        assert isinstance(repo, DeferredRepository) and repo.served_first

        def listening() -> bool:
            listener = app.change_listener
            return repo.opened and listener is not None and listener.running

        await _until(pilot, listening)  # after the first rows, the listener opens the store
        assert repo.opened and app.change_listener is not None
        assert app.change_listener.running
    pending.close()


async def test_the_service_asked_before_the_answer_is_read_finishes_the_launch(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop watches the helper's pipe; something that asks for the service sooner
    # takes the answer itself, and the launch still ends as the watch would end it: the
    # queue told, its rows read, the status line no longer waiting.
    opened = PendingService._open

    def slowly(self: PendingService) -> Any:
        time.sleep(0.5)  # in the helper: the app is up and watching before it answers
        return opened(self)

    monkeypatch.setattr(PendingService, "_open", slowly)
    settings = _settings(data_dir)
    pending, app = _launching(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        watched = app._awaiting is not None
        service = app.service
        assert app._awaiting is None and app.ready and service.me.username == ME
        await _until(pilot, lambda: bool(app.screen.query_one(TicketTable).total))
        assert app.screen.query_one(TicketTable).total > 0
        running = {what for _at, what, _behind in app.store_activity._running.values()}
        assert "opening" not in running  # the status line no longer says it waits for it
    pending.close()
    assert watched  # the app was still watching when the service was asked


async def test_the_app_ends_with_the_helpers_refusal(data_dir: Path) -> None:
    settings = _settings(data_dir, agent="nobody")
    pending, app = _launching(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: app.startup_error is not None)
    pending.close()
    assert isinstance(app.startup_error, ConfigError)
    assert app.return_code == 2


class SilentServer:
    """A TCP port that accepts connections and never answers: a hung database server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_hung_server_is_tried_once_within_the_connect_timeout(
    silent_server: SilentServer, tmp_path: Path
) -> None:
    url = f"postgresql+psycopg://x@127.0.0.1:{silent_server.port}/db?connect_timeout=1"
    with pytest.raises(StoreUnavailable) as caught:
        SqlRepository.open(url, tmp_path / "attachments")
    assert "timeout" in str(caught.value)
    # Taken for a new database, it used to be tried a second time, to migrate it.
    assert len(silent_server.accepted) == 1


async def test_quitting_while_the_store_hangs_ends_the_app_and_its_helper(
    silent_server: SilentServer, tmp_path: Path
) -> None:
    url = f"postgresql+psycopg://x@127.0.0.1:{silent_server.port}/db"
    settings = Settings(data_dir=tmp_path, agent=ME, backend_url=url, cursor_blink=False)
    pending = _pending(settings)
    pid = pending._pid
    assert pid is not None
    app = HelpdeskApp(pending, settings, bootstrap.views(settings), oncall=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause(0.5)
        assert not app.ready
        # What needs the store says it is opening; the screen is not held until it is.
        for keys in (["f4"], ["f3"], ["T"], ["n"], ["colon", *"HD-1", "enter"]):
            await pilot.press(*keys)
            await pilot.pause(0.05)
            assert isinstance(app.screen, QueueScreen), keys
        said = {n.message for n in app._notifications}
        assert said == {"The store is still opening: try again in a moment."}
        await pilot.press("ctrl+q")
    # The helper, still connecting (10 s before its timeout), was stopped at the exit,
    # so the worker waiting for it has returned and nothing holds up the process.
    # Quitting is no failure to open the store: the app ends as asked, with status 0.
    assert app.startup_error is None and app.return_code in (None, 0)
    with pytest.raises(StoreUnavailable, match="ended without an answer"):
        pending.wait()
    assert _reaped(pid)
    pending.close()


def test_without_fork_the_store_opens_in_the_waiting_thread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, handed: Handed
) -> None:
    monkeypatch.delattr(os, "fork")  # Windows
    settings = _settings(data_dir)
    pending = _pending(settings)
    assert pending._pid is None
    service = pending.wait()
    assert not isinstance(handed[service], DeferredRepository)
    assert service.me.username == ME and service.query(Query(limit=1)).tickets
    pending.close()


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """The collector as the entry point leaves it for a launch (off); restored after."""
    collector.pause()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_collector_is_back_once_the_first_rows_are_drawn(
    data_dir: Path, collector_paused: None
) -> None:
    settings = _settings(data_dir)
    pending, app = _launching(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not gc.isenabled()  # the screens were imported and laid out without it
        await _until(pilot, gc.isenabled)
        assert gc.isenabled()
        assert app.screen.query_one(TicketTable).total > 0 and app.change_listener is not None
        # What the launch made lives on: frozen, later collections do not walk it.
        assert gc.get_freeze_count() > 0
    pending.close()


async def test_a_store_that_keeps_the_app_waiting_does_not_keep_the_collector_off(
    silent_server: SilentServer,
    tmp_path: Path,
    collector_paused: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "LAUNCH_GRACE", 0.3)
    url = f"postgresql+psycopg://x@127.0.0.1:{silent_server.port}/db"
    settings = Settings(data_dir=tmp_path, agent=ME, backend_url=url, cursor_blink=False)
    pending, app = _launching(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, gc.isenabled, seconds=2.0)
        assert gc.isenabled() and not app.ready
        await pilot.press("ctrl+q")
    pending.close()
