"""The first run's demo data, made as whoever runs the app first."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import demo
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
