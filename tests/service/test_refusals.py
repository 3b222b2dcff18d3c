"""A refused action says why and is audited (issue #4, acceptance line 6).

On SQLite and PostgreSQL: the service refuses with AccessDenied and its reason, and the
store keeps a "refused:<action>" audit entry (who, which ticket, why, when) although the
refused write never happened. `ticket show` lists it in the ticket's history. Request
Tracker has no audit-only record: its refusals go to a local JSON-lines log.
"""

from __future__ import annotations

import getpass
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.cli.main import main
from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import Agent, AuditEntry, Role
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import metrics
from helpdesk_tui.service import ConflictError, HelpdeskService, ServiceError, TicketDraft, transfer
from helpdesk_tui.store.base import Capability, Query
from helpdesk_tui.store.rt import RtConfig, RtRepository
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.tables import audit
from tests.conftest import FROZEN
from tests.store.support import AGENT_PASSWORD, agent_url


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    repository = SqlRepository.open(store_url, tmp_path / "attachments")
    repository.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    repository.save_agent(Agent("t1", "Tia One", tier=1))
    repository.save_agent(Agent("t2", "Tom Two", tier=2))
    repository.save_agent(Agent("acme", "Ann Acme", tier=3, organizations=("Acme",)))
    try:
        yield repository
    finally:
        repository.close()


def as_(repo: SqlRepository | RtRepository, agent: Agent | str) -> HelpdeskService:
    who = repo.get_agent(agent) if isinstance(agent, str) else agent
    return HelpdeskService(repo, load_policy("default"), lambda: FROZEN, who)


def refusals(repo: SqlRepository, key: str) -> list[AuditEntry]:
    return [e for e in repo.history(key) if e.field.startswith("refused:")]


def test_a_refused_take_says_why_and_is_audited(repo: SqlRepository) -> None:
    ticket = as_(repo, "lead").create(TicketDraft("Data corruption in ledger", tier=3))
    with pytest.raises(AccessDenied, match=f"^{ticket.key} is a tier 3 ticket$") as refused:
        as_(repo, "t1").take(ticket.key, ticket.version)
    # Who, what, which ticket, why (the words the agent was shown), when; no version,
    # as the ticket did not change.
    [entry] = refusals(repo, ticket.key)
    assert replace(entry, id=None, login=None) == AuditEntry(
        ticket.key, FROZEN, "t1", "refused:take", None, None, str(refused.value), None
    )
    # PostgreSQL records who was signed in (here the migrating login, acting for t1); a
    # local file records nobody else unless --as said so.
    login = repo.authenticated_login()
    assert login is not None
    assert entry.login == (login.name if Capability.LOGINS in repo.capabilities else None)
    # The refused write itself did not happen.
    assert repo.get(ticket.key) == ticket


def test_assigning_to_others_and_other_organizations_are_refused_and_audited(
    repo: SqlRepository,
) -> None:
    lead = as_(repo, "lead")
    mine = lead.create(TicketDraft("VPN drops", tier=3))
    globex = lead.create(TicketDraft("Printer", organization="Globex"))
    with pytest.raises(AccessDenied, match="only a lead assigns tickets to others"):
        as_(repo, "t1").assign(mine.key, mine.version, "t2")
    with pytest.raises(AccessDenied, match="outside the organizations acme serves"):
        as_(repo, "acme").get(globex.key)
    assert [(e.actor, e.field, e.reason) for e in refusals(repo, mine.key)] == [
        ("t1", "refused:assign", "only a lead assigns tickets to others; use take")
    ]
    assert [(e.actor, e.field, e.reason) for e in refusals(repo, globex.key)] == [
        ("acme", "refused:view", f"{globex.key} is outside the organizations acme serves")
    ]
    assert repo.get(mine.key) == mine and repo.get(globex.key) == globex


def test_a_refusal_of_no_ticket_is_audited_without_one(repo: SqlRepository) -> None:
    with pytest.raises(AccessDenied, match=r"^only an admin may purge$"):
        as_(repo, "lead").purge(timedelta(days=730), dry_run=False)
    deactivated = Agent("gone", "Gone Agent", tier=1, active=False)
    repo.save_agent(deactivated)
    with pytest.raises(AccessDenied, match=r"^gone is deactivated$"):
        as_(repo, deactivated).take_next()
    with repo.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit.c.ticket_key, audit.c.actor, audit.c.field, audit.c.reason)
            .where(audit.c.field.startswith("refused:"))
            .order_by(audit.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (None, "lead", "refused:purge", "only an admin may purge"),
        (None, "gone", "refused:take", "gone is deactivated"),
    ]


def test_refusals_show_in_the_history_for_leads_and_admins_only(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    ticket = lead.create(TicketDraft("Ledger totals wrong", tier=3))
    with pytest.raises(AccessDenied):
        as_(repo, "t1").take(ticket.key, ticket.version)
    refused = [e.field for e in lead.history(ticket.key) if e.field.startswith("refused:")]
    assert refused == ["refused:take"]
    assert [e.field for e in lead.history_of(lead.get(ticket.key))].count("refused:take") == 1
    agent = as_(repo, "acme")  # a tier-3 agent (the ticket has no organization)
    assert all(not e.field.startswith("refused:") for e in agent.history(ticket.key))
    assert any(e.field == "created" for e in agent.history(ticket.key))


def test_a_deactivated_agent_reads_nothing(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    ticket = lead.create(TicketDraft("VPN drops"))
    gone = repo.save_agent(Agent("gone", "Gone Agent", tier=3, role=Role.LEAD, active=False))
    service = as_(repo, gone)
    reads = {
        "list": lambda: service.query(Query()),
        "count": lambda: service.count(Query()),
        "show": lambda: service.get(ticket.key),
        "export": lambda: transfer.export(service, io.StringIO(), "jsonl"),
        "report": lambda: metrics.compute(service, Period.rolling(FROZEN, 7)),
        "agents": service.agents,
        "teams": service.teams,
    }
    for name, read in reads.items():
        with pytest.raises(AccessDenied, match=r"^gone is deactivated$"):
            read()
            pytest.fail(f"{name} read as a deactivated agent")
    assert lead.count(Query()) == 1  # the others still read


def test_a_stale_write_after_a_refusal_names_only_real_changes(repo: SqlRepository) -> None:
    # A refusal changes nothing: a conflict must not list it among the changes since.
    lead = as_(repo, "lead")
    ticket = lead.create(TicketDraft("Checkout fails", tier=3))
    with pytest.raises(AccessDenied):
        as_(repo, "t1").take(ticket.key, ticket.version)
    lead.update(ticket.key, ticket.version, category="payments")
    with pytest.raises(ConflictError, match=r"v1 → v2\): category$"):
        lead.update(ticket.key, ticket.version, category="billing")


def test_ticket_show_lists_refusals(
    repo: SqlRepository,
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = as_(repo, "lead").create(TicketDraft("Ledger totals wrong", tier=3))
    config = tmp_path / "helpdesk-tui.toml"
    if Capability.LOGINS in repo.capabilities:  # each agent signs in with their own login
        for agent in ("t1", "lead"):
            repo.set_agent_password(agent, AGENT_PASSWORD)
        monkeypatch.setenv("HELPDESK_DB_PASSWORD", AGENT_PASSWORD)

    def cli(agent: str, *argv: str) -> tuple[int, str, str]:
        config.write_text(f"[backend]\nurl = {json.dumps(agent_url(store_url, agent))}\n")
        # The agent from the environment: `--as` is lost to `ticket assign`'s own
        # positional "agent" argument (both parse into args.agent).
        monkeypatch.setenv("HELPDESK_AGENT", agent)
        code = main(["--config", str(config), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = cli("t1", "ticket", "assign", ticket.key, "--me")
    assert code != 0 and f"{ticket.key} is a tier 3 ticket" in err
    code, out, _ = cli("lead", "ticket", "show", ticket.key)
    assert code == 0
    # Who was signed in: t1's own login on PostgreSQL; on a local file, the OS user
    # acting as t1 through $HELPDESK_AGENT, recorded as such.
    login = "t1" if Capability.LOGINS in repo.capabilities else getpass.getuser()
    by = "t1" if login == "t1" else f"{login} as t1"
    lines = [line for line in out.splitlines() if f"Refused to let {by} take" in line]
    assert len(lines) == 1
    assert lines[0].endswith(f"Refused to let {by} take: {ticket.key} is a tier 3 ticket")
    code, out, _ = cli("lead", "ticket", "show", ticket.key, "--json")
    history = json.loads(out)["history"]
    assert [h for h in history if h["field"].startswith("refused:")] == [
        {
            "at": FROZEN.isoformat(),
            "actor": "t1",
            "login": login,
            "field": "refused:take",
            "old": None,
            "new": None,
            "reason": f"{ticket.key} is a tier 3 ticket",
            "version": None,  # a refusal changed nothing
        }
    ]


def test_request_tracker_refusals_go_to_a_local_log(tmp_path: Path) -> None:
    # No RT server needed: the refusal is decided and recorded before any request.
    rt = RtRepository(RtConfig(url="http://127.0.0.1:9", queues={"Support": 1}), "token")
    lead = as_(rt, Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    try:
        with pytest.raises(AccessDenied, match=r"^only an admin may purge \(not audited: "):
            lead.purge(timedelta(days=730))
        rt.refusal_log = tmp_path / "state" / "refusals.jsonl"
        with pytest.raises(AccessDenied, match=r"^only an admin may import$"):
            lead.import_tickets([])
        with pytest.raises(AccessDenied, match=r"^only an admin may import$"):
            lead.import_tickets([])
        lines = rt.refusal_log.read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == 2 * [
            {
                "at": FROZEN.isoformat(),
                "actor": "lead",
                "field": "refused:import",
                "ticket_key": None,
                "reason": "only an admin may import",
            }
        ]
        assert rt.requests == 0
    finally:
        rt.close()


def test_a_new_ticket_is_not_handed_to_an_agent_below_its_tier(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    before = repo.query(Query()).total
    with pytest.raises(ServiceError, match="t1 is tier 1; a tier 3 ticket needs"):
        lead.create(TicketDraft("Whole company down", tier=3, assignee="t1"))
    assert repo.query(Query()).total == before  # nothing written
    # Its own tier, a lead, or nobody: all taken.
    assert lead.create(TicketDraft("Printer", tier=1, assignee="t1")).assignee == "t1"
    assert lead.create(TicketDraft("Ledger", tier=3, assignee="lead")).assignee == "lead"
    assert lead.create(TicketDraft("Ledger", tier=3)).assignee is None
