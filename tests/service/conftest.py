"""Service tests on every store, with the test RT's users as agents: SQLite, PostgreSQL
(HELPDESK_TEST_PG_URL) and, in a module marked `pytestmark = EVERY_STORE`
(tests/conftest.py), Request Tracker 5 (tests/store/rt_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from helpdesk_tui.domain.history import narrate
from helpdesk_tui.domain.model import Role, Ticket
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.base import Capability, TicketRepository
from tests.conftest import FROZEN
from tests.store.rt_server import rt_server  # noqa: F401  (the session fixture)
from tests.store.support import open_as, open_store

AGENTS = {
    "alice": (1, Role.AGENT),
    "bob": (2, Role.AGENT),
    "carol": (3, Role.AGENT),
    "dave": (3, Role.LEAD),
}
"""RT users of the test RT (tests/store/rt_server.py), saved as agents on the SQL stores."""


@pytest.fixture
def every_repo(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[TicketRepository]:
    repository = open_store(backend, request, tmp_path, AGENTS)
    try:
        yield repository
    finally:
        repository.close()


@dataclass
class Desk:
    """The store and a service per agent, all on one clock (frozen unless moved).

    On PostgreSQL each agent works through their own login, as on a team's server: the
    database's grants and row-level security apply, and it records who signed in."""

    repo: TicketRepository
    now: datetime = FROZEN
    """The clock every service of this desk reads; a test may move it on."""
    store_url: str = ""
    tmp_path: Path = Path()
    logins: dict[str, TicketRepository] = field(default_factory=dict)

    def as_(self, who: str) -> HelpdeskService:
        return HelpdeskService(
            self.signed_in(who), load_policy("default"), lambda: self.now, self.repo.get_agent(who)
        )

    def signed_in(self, who: str) -> TicketRepository:
        """The store as `who` reaches it."""
        if Capability.LOGINS not in self.repo.capabilities:
            return self.repo
        if who not in self.logins:
            self.logins[who] = open_as(self.repo, self.store_url, who, self.tmp_path)
        return self.logins[who]

    def close(self) -> None:
        for repository in self.logins.values():
            repository.close()

    def held(self, who: str, tier: int) -> Ticket:
        """A new ticket at `tier`, taken by `who`."""
        service = self.as_(who)
        ticket = self.as_("dave").create(TicketDraft("Reports time out", tier=tier))
        return service.take(ticket.key, ticket.version)

    def escalated(self) -> Ticket:
        """A tier-1 ticket alice held, escalated by her to tier 2."""
        ticket = self.held("alice", 1)
        return self.as_("alice").escalate(ticket.key, ticket.version, 2, "needs log analysis")

    def sentences(self, key: str) -> list[str]:
        return [item.text for item in narrate(self.repo.history(key))]

    def snapshot(self, key: str) -> tuple[Ticket, int, int]:
        """The ticket, its message count and history length: what bad input must not move."""
        return self.repo.get(key), len(self.repo.comments(key)), len(self.repo.history(key))


@pytest.fixture
def desk(
    every_repo: TicketRepository, backend: str, request: pytest.FixtureRequest
) -> Iterator[Desk]:
    url = request.getfixturevalue("store_url") if backend == "postgres" else ""
    found = Desk(every_repo, store_url=url, tmp_path=request.getfixturevalue("tmp_path"))
    try:
        yield found
    finally:
        found.close()
