"""The first run's demo data, made as whoever runs the app first."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Role
from helpdesk_tui.launch.bootstrap import load_policy, resolve_agent
from helpdesk_tui.service import HelpdeskService, demo
from helpdesk_tui.store.base import Query
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN


@pytest.mark.parametrize(
    ("name", "tier", "role"),
    [
        ("alice", 1, Role.AGENT),  # a demo agent's name: the demo's tier-1 alice
        ("dmitri", 2, Role.AGENT),
        ("ivan", 3, Role.LEAD),
        ("newcomer", 2, Role.LEAD),  # anyone else: a tier-2 lead of their own
    ],
)
def test_a_first_run_as_anyone_fills_the_demo(
    tmp_path: Path, name: str, tier: int, role: Role
) -> None:
    repo = SqlRepository.open(str(tmp_path / "helpdesk.db"), tmp_path / "attachments")
    try:
        assert demo.generate(repo, load_policy("default"), FROZEN, name, count=120) == 120
        me = repo.get_agent(name)
        assert (me.tier, me.role) == (tier, role)
        # Whatever the demo handed me is a ticket I may hold.
        mine = repo.query(Query(assignees=frozenset({name}), limit=500)).tickets
        assert role is not Role.AGENT or all(t.tier <= tier for t in mine)
        assert repo.query(Query(limit=1)).total == 120
    finally:
        repo.close()


def test_the_first_runs_admin_stays_admin_as_a_demo_agent(tmp_path: Path) -> None:
    # A first run as "alice" makes alice the store's admin, then the demo makes her its
    # tier-1 alice: she keeps the admin role (or nobody could ever add an agent), and
    # the session acts as the store now has her.
    repo = SqlRepository.open(str(tmp_path / "helpdesk.db"), tmp_path / "attachments")
    try:
        first = resolve_agent(repo, "alice")
        assert (first.tier, first.role) == (3, Role.ADMIN)
        service = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, first)
        assert service.generate_demo(count=40) == 40
        stored = repo.get_agent("alice")
        assert (stored.tier, stored.role, stored.team) == (1, Role.ADMIN, "Frontline")
        assert service.me == stored
        assert [a.username for a in repo.agents() if a.role is Role.ADMIN] == ["alice"]
    finally:
        repo.close()


def test_the_demo_writes_nothing_after_its_now(tmp_path: Path) -> None:
    repo = SqlRepository.open(str(tmp_path / "helpdesk.db"), tmp_path / "attachments")
    try:
        demo.generate(repo, load_policy("default"), FROZEN, "alice")  # as a first run
        tickets = repo.query(Query(limit=500)).tickets
        assert len(tickets) == 300
        times = [e.at for t in tickets for e in repo.history(t.key)]
        times += [c.created_at for t in tickets for c in repo.comments(t.key)]
        times += [t.updated_at for t in tickets]
        assert max(times) <= FROZEN
    finally:
        repo.close()


def test_the_demos_stories_name_no_login_but_what_i_do_after_does(tmp_path: Path) -> None:
    # Signed in as "alice" on a local file, the OS user signs what alice writes
    # ("root as alice"); the demo's stories with alice in them are fiction nobody signed.
    repo = SqlRepository.open(str(tmp_path / "helpdesk.db"), tmp_path / "attachments")
    try:
        me = resolve_agent(repo, "alice")
        repo.sign_as("osuser", "alice")
        service = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, me)
        service.generate_demo(count=40)
        entries = [e for t in repo.query(Query(limit=500)).tickets for e in repo.history(t.key)]
        by_alice = [e for e in entries if e.actor == "alice"]
        assert by_alice, "the demo gives alice stories of her own"
        assert {e.login for e in entries} == {None}
        # Signing is back on for what I do myself.
        key = by_alice[0].ticket_key
        service.note(key, repo.get(key).version, "checked the printer myself")
        last = repo.history(key)[-1]
        assert (last.actor, last.login, last.by) == ("alice", "osuser", "osuser as alice")
    finally:
        repo.close()
