"""A shared store (SQLite file or PostgreSQL schema) with the app on it and a colleague
working on it from another repository: what the live and resilience tests need."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service import HelpdeskService, demo
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.conversation import Conversation
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.conftest import FROZEN
from tests.ui.conftest import ME
from tests.ui.support import settle

LIVE_WITHIN = 2.0
"""Issue #4: another agent's change shows on open screens within 2 seconds."""
COLLEAGUE = "ivan"
"""A lead of the demo data: may change any ticket."""


@dataclass
class SharedStore:
    settings: Settings
    opened: list[HelpdeskService]

    def app(self) -> HelpdeskApp:
        service = self._service(self.settings)
        return HelpdeskApp(service, self.settings, bootstrap.views(self.settings), oncall=False)

    def colleague(self, url: str | None = None) -> HelpdeskService:
        """Another agent, in another process as far as the store can tell."""
        settings = replace(self.settings, agent=COLLEAGUE)
        return self._service(replace(settings, backend_url=url) if url else settings)

    def _service(self, settings: Settings) -> HelpdeskService:
        service = bootstrap.build_service(settings)
        self.opened.append(service)
        return service


def fill(url: str, attachments: Path, count: int = 30) -> None:
    """Demo agents and tickets, seeded: the same on every run."""
    repo = SqlRepository.open(url, attachments)
    try:
        demo.generate(repo, bootstrap.load_policy("default"), FROZEN, ME, count, seed=7)
    finally:
        repo.close()


@contextmanager
def shared_store_at(url: str, data_dir: Path) -> Iterator[SharedStore]:
    """A filled store at `url`; what was opened on it is closed on the way out."""
    settings = Settings(data_dir=data_dir, agent=ME, backend_url=url, cursor_blink=False)
    fill(url, settings.attachments_dir)
    store = SharedStore(settings, [])
    try:
        yield store
    finally:
        for service in store.opened:
            service.close()


def conversation_text(screen: TicketScreen) -> str:
    """The conversation as the agent reads it."""
    parts = [w.content for w in screen.query_one(Conversation).query(Static)]
    return "\n".join(p.plain if isinstance(p, Text) else str(p) for p in parts)


async def all_open(pilot: Pilot[None]) -> Ticket:
    """Show the "All open" view; the ticket under the cursor."""
    from tests.ui.test_flows import open_view

    await settle(pilot)
    await open_view(pilot, "All open")
    current = pilot.app.screen.query_one(TicketTable).current
    assert current is not None
    return current


async def open_ticket(pilot: Pilot[None]) -> TicketScreen:
    """Open the ticket under the cursor; its screen, loaded."""
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.ticket is not None
    return screen


async def until(
    pilot: Pilot[None], condition: Callable[[], bool], within: float, what: str
) -> float:
    """Let the app run until `condition()` holds; how long that took. Fails past `within`."""
    started = time.monotonic()
    while not condition():
        waited = time.monotonic() - started
        assert waited < within, f"{what}: not within {within:.1f} s"
        await pilot.pause(0.02)
    return time.monotonic() - started


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster of our own, to stop and start under a running app."""

    folder: Path
    port: int
    bin: Path
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://helpdesk@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        # "fast": what an admin's restart does; clients see their connections end.
        self._ctl("-m", "fast", "-w", "stop")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


INITDB = ("-U", "helpdesk", "--auth=trust", "-E", "UTF8")


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """initdb and start a cluster in a temporary folder (as scripts/test does); skips the
    test when PostgreSQL's server binaries are not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL's server binaries (initdb) are not installed")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-pg."))
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as postgres
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    cluster = ThrowawayPostgres(folder, free_port(), found[-1].parent, run_as)
    try:
        subprocess.run(
            [*run_as, str(cluster.bin / "initdb"), "-D", str(folder / "data"), *INITDB],
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.SubprocessError):
            cluster._ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
