"""Presence: who else has a ticket open, told through PostgreSQL's NOTIFY, each message
naming the agent the database signed in, never the one a client claims."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, NotFound, TicketDraft
from helpdesk_tui.store.base import (
    Capability,
    Presence,
    PresenceListener,
    PresenceState,
    Unsupported,
)
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.presence import PRESENCE_CHANNEL_SQL
from tests.conftest import FROZEN

from .support import open_as
from .test_pg_logins import AGENTS  # root (admin), t1 (acme only), julia and ivan (leads)

POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
VIEWING, REPLYING, LEFT = PresenceState.VIEWING, PresenceState.REPLYING, PresenceState.LEFT


@pytest.fixture
def owner(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    """The store as its migrating login made it: four agents with logins of their own,
    HD-1 of acme and HD-2 of globex."""
    repo = SqlRepository.open(store_url, tmp_path / "attachments")
    for agent in AGENTS:
        repo.save_agent(agent)
    root = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, AGENTS[0])
    root.create(TicketDraft("Acme ledger totals wrong", organization="acme"))
    root.create(TicketDraft("Globex export", organization="globex"))
    try:
        yield repo
    finally:
        repo.close()


class Signed:
    """Agents signed in with their own logins: services, and the listeners they open."""

    def __init__(self, owner: SqlRepository, store_url: str, tmp_path: Path) -> None:
        self._args = owner, store_url, tmp_path
        self._opened: list[SqlRepository | PresenceListener] = []

    def repo(self, login: str) -> SqlRepository:
        repo = open_as(*self._args[:2], login, self._args[2])
        self._opened.append(repo)
        return repo

    def service(self, login: str, acting_as: str | None = None) -> HelpdeskService:
        agent = self._args[0].get_agent(acting_as or login)
        return HelpdeskService(self.repo(login), load_policy("default"), lambda: FROZEN, agent)

    def listener(self, login: str, key: str) -> PresenceListener:
        listener = self.service(login).open_presence(key)
        self._opened.append(listener)
        return listener

    def close(self) -> None:
        for opened in reversed(self._opened):
            opened.close()


@pytest.fixture
def signed(owner: SqlRepository, store_url: str, tmp_path: Path) -> Iterator[Signed]:
    opened = Signed(owner, store_url, tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def heard(listener: PresenceListener, count: int, within: float = 5.0) -> list[Presence]:
    """The first `count` announcements `listener` gets, then whatever else comes in 0.3 s."""
    seen: list[Presence] = []
    deadline = time.monotonic() + within
    while len(seen) < count and time.monotonic() < deadline:
        seen.extend(listener.wait(0.2))
    seen.extend(listener.wait(0.3))
    return seen


@POSTGRES
def test_an_announcement_reaches_the_others_on_that_ticket_only(signed: Signed) -> None:
    julia = signed.service("julia")
    ivan_hears = signed.listener("ivan", "hd-1")  # a key as typed
    julia_hears = julia.open_presence("HD-1")
    try:
        julia.announce("HD-1", REPLYING, ask=True)
        julia.announce("HD-2", VIEWING)  # another ticket: not ivan's business here
        assert heard(ivan_hears, 1) == [Presence("julia", "HD-1", REPLYING, ask=True)]
        assert julia_hears.wait(0.3) == []  # her own: not news to her
        julia.announce("hd-1", LEFT)
        assert heard(ivan_hears, 1) == [Presence("julia", "HD-1", LEFT)]
    finally:
        julia_hears.close()


@POSTGRES
def test_the_agent_named_is_the_sessions_own_whatever_the_client_claims(
    signed: Signed,
) -> None:
    ivan_hears = signed.listener("ivan", "HD-1")
    # An admin's login acting as julia: the database signed in root, so root it is.
    signed.service("root", acting_as="julia").announce("HD-1", REPLYING)
    assert heard(ivan_hears, 1) == [Presence("root", "HD-1", REPLYING)]

    # A client calling pg_notify itself, with a payload of its own making: a message
    # naming another agent is dropped, one naming its own login's agent goes through.
    with signed.repo("t1").engine.begin() as conn:
        for payload in (
            {"agent": "julia", "key": "HD-1", "state": "replying", "ask": False},
            "not json at all",
            {"agent": "t1", "key": "HD-1", "state": "gone fishing", "ask": False},
            {"agent": "t1", "key": "HD-1", "state": "viewing", "ask": "yes"},
            {"agent": "t1", "key": "HD-1", "state": "viewing", "ask": False},
        ):
            text = payload if isinstance(payload, str) else json.dumps(payload)
            conn.execute(
                sa.text(f"SELECT pg_notify({PRESENCE_CHANNEL_SQL}, :text)"), {"text": text}
            )
    assert heard(ivan_hears, 1) == [Presence("t1", "HD-1", VIEWING)]


@POSTGRES
def test_a_ticket_the_agent_may_not_see_is_not_listened_to(signed: Signed) -> None:
    t1 = signed.service("t1")  # acme only: HD-2 is globex's
    with pytest.raises(NotFound):
        t1.open_presence("HD-2")
    with pytest.raises(NotFound):
        t1.open_presence("HD-404")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_local_file_has_no_presence(owner: SqlRepository) -> None:
    assert Capability.PRESENCE not in owner.capabilities
    with pytest.raises(Unsupported):
        owner.announce("HD-1", VIEWING)
    with pytest.raises(Unsupported):
        owner.open_presence("HD-1")
