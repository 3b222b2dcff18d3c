"""Macros kept in the store (issue 17, line 1) on SQLite and PostgreSQL: a lead keeps a
macro file there for everybody or a team, every agent's macros have it, nobody else may
change them (on PostgreSQL the database itself refuses an agent's login), bad files are
refused in one line; RT keeps none."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import Team
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.settings.macros import load_macros
from helpdesk_tui.store.base import Capability, StoreError
from tests.conftest import EVERY_STORE

from .conftest import Desk

pytestmark = EVERY_STORE

ACK = """title = "Outage acknowledged"
body = "Hello $requester_name, we are on the outage behind $key. $agent"

[changes]
status = "open"
"""


def macro_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lead_keeps_a_macro_in_the_store_for_every_agent(
    desk: Desk, tmp_path: Path, backend: str
) -> None:
    lead, agent = desk.as_("dave"), desk.as_("alice")
    path = macro_file(tmp_path, "outage-ack.toml", ACK)
    settings = Settings(data_dir=tmp_path / "alice", config_path=tmp_path / "none.toml")
    if backend == "rt":
        with pytest.raises(StoreError, match="RT cannot keep our macros"):
            lead.share_macro(path)
        with pytest.raises(StoreError, match="RT cannot keep our macros"):
            lead.share_macro(path, team="network")  # that, not "no team called"
        assert agent.shared_macros() == []
        return
    # Empty and bad: a file that is no macro, or none at all, is one line; nothing kept.
    for bad, said in (
        (macro_file(tmp_path, "bad.toml", 'title = "x"\nbody = "$nope"\n'), "unknown placeholder"),
        (macro_file(tmp_path, "empty.toml", ""), "empty.toml"),
        (tmp_path / "missing.toml", "cannot read"),
    ):
        with pytest.raises(ServiceError, match=said):
            lead.share_macro(bad)
    assert agent.shared_macros() == []
    # Not a lead: refused before the store.
    with pytest.raises(AccessDenied, match="only a lead or an admin"):
        agent.share_macro(path)
    # Filled: kept, and every agent's macros have it (the packaged examples step aside).
    kept = lead.share_macro(path)
    assert (kept.name, kept.team, kept.format) == ("outage-ack", "", "toml")
    found = load_macros(settings, None, agent.shared_macros())
    assert list(found.macros) == ["outage-ack"]
    assert found.macros["outage-ack"].changes.summary() == "status=open"
    # A team's own version wins for that team only; a team the store has not, nobody
    # would ever see it under.
    (tmp_path / "payments").mkdir()
    with pytest.raises(ServiceError, match="no team called 'Payments'"):
        lead.share_macro(macro_file(tmp_path / "payments", "outage-ack.toml", ACK), "Payments")
    desk.repo.save_team(Team("Payments"))
    team_text = ACK.replace("we are on the outage", "payments are on the outage")
    lead.share_macro(macro_file(tmp_path / "payments", "outage-ack.toml", team_text), "Payments")
    mine = load_macros(settings, "payments", agent.shared_macros()).macros["outage-ack"]
    others = load_macros(settings, "Support", agent.shared_macros()).macros["outage-ack"]
    assert "payments are" in mine.body_for("en") and "we are" in others.body_for("en")
    lead.unshare_macro("outage-ack", "Payments")
    with pytest.raises(ServiceError, match="no macro 'Payments/outage-ack'"):
        lead.unshare_macro("outage-ack", "Payments")


def test_on_postgresql_an_agents_login_may_not_change_them(desk: Desk, tmp_path: Path) -> None:
    if Capability.LOGINS not in desk.repo.capabilities:
        pytest.skip("only PostgreSQL has logins of their own")
    desk.as_("dave").share_macro(macro_file(tmp_path, "outage-ack.toml", ACK))
    alice = desk.signed_in("alice")
    engine = alice._engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM shared_macros")).scalar_one() == 1
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE shared_macros SET text = 'title = \"x\"'"))
