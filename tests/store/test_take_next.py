"""Take next: the most urgent unassigned ticket of my tier, never the same one twice.

Issue #4 (team mode), acceptance line 4, on SQLite and on PostgreSQL. The store claims a
ticket atomically (`claim_next`: SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, one
BEGIN IMMEDIATE write transaction on SQLite); the service keeps the rules (tier, role,
an escalation awaiting my tier is accepted). A store without the capability (Request
Tracker) takes optimistically, by version; that path is tested here on SQL as well.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.domain.model import (
    ACTIVE_STATUSES,
    Agent,
    Escalation,
    Priority,
    Role,
    Status,
    Ticket,
)
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.base import Capability, Change, Query, SortKey
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

AGENTS = 8
POOL = 40
"""Tier-1 tickets nobody holds: what the agents take."""
ESCALATED = 8
"""Of which this many were moved down to tier 1 and wait for somebody there to accept."""


def _service(repo: SqlRepository, username: str) -> HelpdeskService:
    return HelpdeskService(repo, load_policy("default"), lambda: FROZEN, repo.get_agent(username))


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    repository = SqlRepository.open(store_url, tmp_path / "attachments")
    repository.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    for n in range(AGENTS):
        repository.save_agent(Agent(f"agent{n}", f"Agent {n}", tier=1))
    try:
        yield repository
    finally:
        repository.close()


def _fill(repo: SqlRepository) -> tuple[set[str], set[str], dict[str, int]]:
    """The pool (plain and escalated keys) and, by key, the version of every ticket that
    must not be taken: tier 2, already assigned, cancelled."""
    lead = _service(repo, "lead")
    priorities = list(Priority)
    plain = {
        lead.create(TicketDraft(f"Pool ticket {n}", priority=priorities[n % 4])).key
        for n in range(POOL - ESCALATED)
    }
    escalated = set()
    for n in range(ESCALATED):
        ticket = lead.create(TicketDraft(f"Back to tier 1, {n}", tier=2))
        escalated.add(lead.escalate(ticket.key, ticket.version, 1, "tier 1 can answer").key)
    others = [lead.create(TicketDraft(f"Tier 2 ticket {n}", tier=2)) for n in range(3)]
    held = lead.create(TicketDraft("Already held", assignee="lead"))
    gone = lead.create(TicketDraft("Filed by mistake"))
    gone = lead.set_status(gone.key, gone.version, Status.CANCELLED, "duplicate")
    untouchable = {t.key: t.version for t in [*others, held, gone]}
    return plain, escalated, untouchable


def _take_all(url: str, files: str, username: str, barrier: Any, out: Any) -> None:
    """One agent's process: take next until there is nothing left to take."""
    repo = SqlRepository.open(url, Path(files), migrate=False)
    taken: list[tuple[str, str | None, str]] = []
    error = None
    try:
        service = _service(repo, username)
        barrier.wait(timeout=120)
        while (ticket := service.take_next()) is not None:
            taken.append((ticket.key, ticket.assignee, ticket.escalation.value))
    except Exception as exc:  # reported to the test, which fails on it
        error = f"{type(exc).__name__}: {exc}"
    finally:
        repo.close()
        out.put((username, taken, error))


def test_eight_agent_processes_never_get_the_same_ticket(
    repo: SqlRepository, store_url: str
) -> None:
    plain, escalated, untouchable = _fill(repo)
    pool = plain | escalated
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(AGENTS)
    out = context.Queue()
    files = str(repo.attachments_dir)
    workers = [
        context.Process(
            target=_take_all, args=(store_url, files, f"agent{n}", barrier, out), daemon=True
        )
        for n in range(AGENTS)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)

    assert [error for _, _, error in results if error] == []
    taken = Counter(key for _, keys, _ in results for key, _, _ in keys)
    assert [key for key, times in taken.items() if times > 1] == []  # nobody shares one
    assert set(taken) == pool  # every ticket of the pool went, and nothing else
    owner = {}
    for username, keys, _ in results:
        for key, assignee, waiting in keys:
            assert (assignee, waiting) == (username, Escalation.NONE.value), key
            owner[key] = username
    for key in pool:
        ticket = repo.get(key)
        assert (ticket.assignee, ticket.escalation) == (owner[key], Escalation.NONE), key
        history = repo.history(key)
        assignments = [(e.actor, e.new) for e in history if e.field == "assignee"]
        assert assignments == [(owner[key], owner[key])], key
        accepted = [e.actor for e in history if e.field == "decision:accept"]
        assert accepted == ([owner[key]] if key in escalated else []), key
    for key, version in untouchable.items():
        assert repo.get(key).version == version, key


def _assign_to(who: str) -> Callable[[Ticket], Change]:
    def claim(ticket: Ticket) -> Change:
        return Change(ticket.key, ticket.version, who, FROZEN, {"assignee": who})

    return claim


URGENT_FIRST = Query(statuses=frozenset({Status.NEW}), unassigned=True, sort=SortKey.PRIORITY)


def test_claim_passes_over_a_ticket_its_rule_refuses(repo: SqlRepository) -> None:
    lead = _service(repo, "lead")
    urgent = lead.create(TicketDraft("Most urgent", priority=Priority.CRITICAL))
    second = lead.create(TicketDraft("Next", priority=Priority.HIGH))
    token = repo.change_token()
    seen: list[str] = []

    def claim(ticket: Ticket) -> Change | None:
        seen.append(ticket.key)
        return None if ticket.key == urgent.key else _assign_to("agent0")(ticket)

    claimed = repo.claim_next(URGENT_FIRST, claim)
    assert claimed is not None and claimed.key == second.key
    assert seen == [urgent.key, second.key]  # in the query's order, as they are now
    # Written as `apply` writes: version, value, audit entry, change token.
    stored = repo.get(second.key)
    assert (stored.version, stored.assignee) == (second.version + 1, "agent0")
    assert claimed == stored
    entries = [(e.field, e.actor, e.new, e.version) for e in repo.history(second.key)]
    assert entries[-1] == ("assignee", "agent0", "agent0", stored.version)
    assert repo.change_token() != token
    assert repo.get(urgent.key) == urgent  # passed over, untouched
    assert repo.claim_next(URGENT_FIRST, lambda ticket: None) is None


def test_a_claim_in_progress_is_passed_by_on_postgres_and_waited_for_on_sqlite(
    repo: SqlRepository,
) -> None:
    lead = _service(repo, "lead")
    urgent = lead.create(TicketDraft("Most urgent", priority=Priority.CRITICAL))
    second = lead.create(TicketDraft("Next", priority=Priority.HIGH))
    inside, release = threading.Event(), threading.Event()
    got: dict[str, Ticket | None] = {}

    def slow(ticket: Ticket) -> Change:
        inside.set()
        assert release.wait(timeout=30)  # holds the claim (and its locks) meanwhile
        return _assign_to("agent0")(ticket)

    def first() -> None:
        got["first"] = repo.claim_next(URGENT_FIRST, slow)

    def other() -> None:
        got["other"] = repo.claim_next(URGENT_FIRST, _assign_to("agent1"))

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(timeout=30)
    challenger = threading.Thread(target=other)
    challenger.start()
    challenger.join(timeout=2)
    if repo.engine.dialect.name == "postgresql":
        # SKIP LOCKED: the other claim does not wait for the one in progress.
        assert not challenger.is_alive()
        assert got["other"] is not None and got["other"].key == second.key
        release.set()
    else:
        # One writer at a time: the other claim waits, then sees the first one's work.
        assert challenger.is_alive()
        release.set()
        challenger.join(timeout=30)
        assert got["other"] is not None and got["other"].key == second.key
    holder.join(timeout=30)
    assert got["first"] is not None and got["first"].key == urgent.key
    assert repo.get(urgent.key).assignee == "agent0"
    assert repo.get(second.key).assignee == "agent1"


LEFT = Query(statuses=ACTIVE_STATUSES, unassigned=True, tiers=frozenset({1}))


class WithoutClaims(SqlRepository):
    """A SQL store that declares no atomic claim, as RT does: take next must not claim."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        return super().capabilities - {Capability.ATOMIC_CLAIM}

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        raise AssertionError("claim_next called on a store without ATOMIC_CLAIM")


def test_without_atomic_claims_agents_take_by_version(store_url: str, tmp_path: Path) -> None:
    repo = WithoutClaims.open(store_url, tmp_path / "attachments")
    try:
        repo.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
        for n in range(AGENTS):
            repo.save_agent(Agent(f"agent{n}", f"Agent {n}", tier=1))
        plain, escalated, untouchable = _fill(repo)
        taken: list[tuple[str, str]] = []
        barrier = threading.Barrier(AGENTS)

        def work(username: str) -> None:
            service = _service(repo, username)
            barrier.wait()
            # An optimistic take gives up after a few rounds of collisions and returns
            # None: go on while the pool still holds a ticket.
            while service.count(LEFT) > 0:
                if (ticket := service.take_next()) is not None:
                    taken.append((ticket.key, username))

        threads = [threading.Thread(target=work, args=(f"agent{n}",)) for n in range(AGENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        keys = [key for key, _ in taken]
        assert sorted(keys) == sorted(set(keys)) and set(keys) == plain | escalated
        for key, username in taken:
            assert repo.get(key).assignee == username
        for key, version in untouchable.items():
            assert repo.get(key).version == version
    finally:
        repo.close()
