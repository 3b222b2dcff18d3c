"""PostgreSQL: each agent signs in with a login of their own, and the database enforces it.

The agent is the session's role, not a name anyone can claim; row-level security keeps a
login to the organizations its agent serves, even in a plain SQL session; the history
records who was signed in, and the database refuses a row naming anybody else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.cli.main import main
from helpdesk_tui.domain.links import LinkKind, TicketLink
from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.base import Query, SortKey, StoreRefused, StoreUnavailable
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

from .support import AGENT_PASSWORD, agent_url, open_as

pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

AGENTS = [
    Agent("root", "Root", tier=3, role=Role.ADMIN),
    Agent("t1", "Tess One", tier=1, organizations=("acme",)),
    Agent("julia", "Julia", tier=2, role=Role.LEAD),
    Agent("ivan", "Ivan", tier=3, role=Role.LEAD),
]
TICKETS = [
    ("Acme ledger totals wrong", "acme"),
    ("Acme login loop", "acme"),
    ("Globex ledger export", "globex"),
    ("Nobody's printer", None),
]


@pytest.fixture
def owner(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    """The store as its migrating login (a superuser here) made it: four agents with
    logins of their own, two acme tickets, one of globex and one of no organization."""
    repo = SqlRepository.open(store_url, tmp_path / "attachments")
    for agent in AGENTS:
        repo.save_agent(agent)
    root = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, AGENTS[0])
    for subject, organization in TICKETS:
        ticket = root.create(TicketDraft(subject, organization=organization))
        root.note(ticket.key, ticket.version, f"checked {subject}")
    try:
        yield repo
    finally:
        repo.close()


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The command line as a login runs it (`cli(login, *argv)`), signed in with its own
    password: exit status, stdout, stderr."""

    def run(login: str, *argv: str) -> tuple[int, str, str]:
        config = tmp_path / f"{login}.toml"
        config.write_text(f"[backend]\nurl = {json.dumps(agent_url(store_url, login))}\n")
        monkeypatch.setenv("HELPDESK_DB_PASSWORD", AGENT_PASSWORD)
        monkeypatch.delenv("HELPDESK_AGENT", raising=False)
        code = main(["--config", str(config), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def raw(repo: SqlRepository, sql: str, **params: Any) -> list[Any]:
    """Plain SQL on `repo`'s own connection: what a psql session as its login gets."""
    with repo._engine.begin() as conn:
        return list(conn.execute(sa.text(sql), params))


def test_each_login_writes_under_its_own_name_and_may_not_claim_another(
    owner: SqlRepository, store_url: str, tmp_path: Path, cli: Cli
) -> None:
    for name in ("t1", "julia", "root"):
        open_as(owner, store_url, name, tmp_path).close()  # sets each one's password

    # The agent is the login, whoever the OS user or the config says.
    code, _, err = cli("t1", "ticket", "note", "HD-1", "t1 was here")
    assert (code, err) == (0, "")
    code, _, err = cli("julia", "ticket", "note", "HD-3", "julia was here")
    assert (code, err) == (0, "")
    notes = {c.body: c.author for key in ("HD-1", "HD-3") for c in owner.comments(key)}
    assert notes["t1 was here"] == "t1" and notes["julia was here"] == "julia"
    last = {key: owner.history(key)[-1] for key in ("HD-1", "HD-3")}
    assert (last["HD-1"].actor, last["HD-1"].login) == ("t1", "t1")
    assert (last["HD-3"].actor, last["HD-3"].login) == ("julia", "julia")

    # A tier-1 login claiming the admin: one line, exit 2, nothing written.
    before = len(owner.history("HD-1"))
    code, out, err = cli("t1", "--as", "root", "ticket", "note", "HD-1", "as root")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "helpdesk-tui: the database login is 't1': acting as 'root' (--as) is refused; "
        "only an admin's login may act as another agent"
    )
    assert len(owner.history("HD-1")) == before

    # An admin's login may act as another agent, and the history says both names.
    code, _, err = cli("root", "--as", "ivan", "ticket", "note", "HD-1", "for ivan")
    assert (code, err) == (0, "")
    entry = owner.history("HD-1")[-1]
    assert (entry.actor, entry.login, entry.by) == ("ivan", "root", "root as ivan")
    code, out, _ = cli("root", "ticket", "show", "HD-1")
    assert code == 0 and "root as ivan" in out


def test_row_level_security_keeps_a_login_to_its_organizations(
    owner: SqlRepository, store_url: str, tmp_path: Path
) -> None:
    t1 = open_as(owner, store_url, "t1", tmp_path)
    julia = open_as(owner, store_url, "julia", tmp_path)
    try:
        # Plain SQL as t1 (acme only) and as julia (a lead listing no organization: all).
        assert [r.key for r in raw(t1, "SELECT key FROM tickets ORDER BY id")] == ["HD-1", "HD-2"]
        assert len(raw(julia, "SELECT key FROM tickets")) == 4
        acme = {r.id for r in raw(owner, "SELECT id FROM tickets WHERE organization = 'acme'")}
        assert {r.ticket_id for r in raw(t1, "SELECT ticket_id FROM comments")} == acme
        assert {r.ticket_key for r in raw(t1, "SELECT ticket_key FROM audit")} == {"HD-1", "HD-2"}
        assert len({r.ticket_key for r in raw(julia, "SELECT ticket_key FROM audit")}) == 4
        # Writes outside its organizations find no row; the agents table is an admin's.
        moved = "UPDATE tickets SET subject = 'x' WHERE organization = 'globex' RETURNING key"
        assert raw(t1, moved) == []
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied for table agents"):
            raw(t1, "UPDATE agents SET role = 'admin' WHERE username = 't1'")
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            raw(t1, "UPDATE tickets SET organization = 'globex' WHERE key = 'HD-1'")
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            raw(
                t1,
                "INSERT INTO audit (ticket_key, at, actor, field, login) "
                "VALUES ('HD-1', now(), 'root', 'status', 'root')",
            )
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied for function"):
            raw(t1, "SELECT helpdesk_provision('t1', 't1', 'admin', true, NULL)")

        # The app as t1 answers as the service's own scope did through the owner's login.
        t1_agent = owner.get_agent("t1")
        own = HelpdeskService(t1, load_policy("default"), lambda: FROZEN, t1_agent)
        via_owner = HelpdeskService(owner, load_policy("default"), lambda: FROZEN, t1_agent)
        for query in (Query(), Query(text="ledger"), Query(sort=SortKey.URGENCY)):
            assert [t.key for t in own.query(query).tickets] == [
                t.key for t in via_owner.query(query).tickets
            ]
            assert own.count(query) == via_owner.count(query)
        assert [t.key for t in own.query(Query(text="ledger")).tickets] == ["HD-1"]
        # The search's own function (which uses the index the policy would not let it)
        # keeps to the same rule, asked directly too: globex's HD-3 holds "ledger".
        searched = {r[0] for r in raw(t1, "SELECT helpdesk_search('ledger')")}
        assert searched == {r.id for r in raw(owner, "SELECT id FROM tickets WHERE key = 'HD-1'")}
        assert len(raw(owner, "SELECT helpdesk_search('ledger')")) == 2
        # The store refuses, in one line, what the service would have let through.
        with pytest.raises(StoreRefused, match="refused this login"):
            t1.save_agent(Agent("t1", "Tess One", tier=3, role=Role.ADMIN))
    finally:
        t1.close()
        julia.close()


def test_a_deactivated_login_reads_nothing_and_a_wrong_password_is_one_line(
    owner: SqlRepository, store_url: str, tmp_path: Path, cli: Cli
) -> None:
    t1 = open_as(owner, store_url, "t1", tmp_path)
    try:
        owner.save_agent(Agent("t1", "Tess One", tier=1, organizations=("acme",), active=False))
        # Out of every group: not even a plain SQL session reads a row.
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied for table tickets"):
            raw(t1, "SELECT count(*) FROM tickets")
        code, out, err = cli("t1", "ticket", "list")
        assert (code, out) == (2, "")
        assert "the login 't1' is no active agent of this store" in err
    finally:
        t1.close()
    wrong = sa.make_url(agent_url(store_url, "julia")).set(password="not it")
    with pytest.raises(StoreUnavailable, match="password authentication failed") as failed:
        SqlRepository.open(wrong, tmp_path / "attachments")
    assert "not it" not in str(failed.value)


def test_agent_add_makes_a_login_or_maps_one_and_refuses_bad_input(
    owner: SqlRepository, store_url: str, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_as(owner, store_url, "root", tmp_path).close()

    def run(*argv: str) -> tuple[int, str, str]:
        return cli("root", *argv)

    stdin = tmp_path / "stdin"

    def with_stdin(text: str, *argv: str) -> tuple[int, str, str]:
        stdin.write_text(text)
        with stdin.open() as handle:
            monkeypatch.setattr("sys.stdin", handle)
            return run(*argv)

    # Filled: a new agent gets a login of its own, in its role's group, with a password.
    code, out, err = with_stdin(
        "hana's secret\n", "agent", "add", "hana", "--tier", "3", "--password-stdin"
    )
    assert (code, err) == (0, "") and "with a new password" in out
    members = raw(
        owner,
        "SELECT pg_has_role('hana', 'helpdesk_agent', 'MEMBER'), "
        "pg_has_role('hana', 'helpdesk_admin', 'MEMBER')",
    )
    assert tuple(members[0]) == (True, False)
    hana = sa.make_url(agent_url(store_url, "hana")).set(password="hana's secret")
    signed_in = SqlRepository.open(hana, tmp_path / "attachments")
    login = signed_in.authenticated_login()
    signed_in.close()
    assert login is not None and (login.name, login.agent) == ("hana", "hana")
    # The password itself is in no history and no log line we wrote.
    assert "secret" not in json.dumps([e.new for e in owner.admin_history()])

    # Empty input: the password read is empty; nothing is written.
    before = owner.admin_history()
    assert with_stdin("\n", "agent", "add", "kim", "--password-stdin")[0] == 2
    assert owner.admin_history() == before
    assert "kim" not in {a.username for a in owner.agents()}

    # Bad input: a superuser is never mapped, a login of two agents neither.
    code, out, err = run("agent", "add", "boss", "--db-role", "helpdesk")
    assert (code, out) == (2, "") and "may bypass what agents may do" in err
    code, out, err = run("agent", "add", "tess", "--db-role", "t1")
    assert (code, out) == (2, "") and "already the agent t1's" in err
    code, out, err = run("agent", "add", "x", "--db-role", "bad name;drop")
    assert (code, out) == (2, "") and "letters, digits" in err
    assert {"boss", "tess", "x"}.isdisjoint(a.username for a in owner.agents())
    # A tier-1 login may not add agents, whatever the service is told.
    open_as(owner, store_url, "t1", tmp_path).close()
    code, out, err = cli("t1", "agent", "add", "eve")
    assert code == 2 and "eve" not in {a.username for a in owner.agents()}


def test_a_link_shows_and_moves_only_for_a_login_that_sees_both_tickets(
    owner: SqlRepository, store_url: str, tmp_path: Path
) -> None:
    owner.add_link(TicketLink("HD-1", LinkKind.RELATES, "HD-3"), "root", FROZEN)
    owner.add_link(TicketLink("HD-2", LinkKind.CHILD_OF, "HD-1"), "root", FROZEN)
    ids = {r.key: r.id for r in raw(owner, "SELECT key, id FROM tickets")}
    t1 = open_as(owner, store_url, "t1", tmp_path)
    try:
        # HD-3 is globex's: t1 sees neither the link nor, through it, that HD-3 exists.
        assert t1.links("HD-1") == [TicketLink("HD-2", LinkKind.CHILD_OF, "HD-1")]
        assert len(raw(t1, "SELECT * FROM ticket_links")) == 1
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            raw(
                t1,
                "INSERT INTO ticket_links (source_id, kind, target_id, created_by, created_at)"
                " VALUES (:acme, 'relates', :globex, 't1', now())",
                acme=ids["HD-2"],
                globex=ids["HD-3"],
            )
        gone = raw(
            t1, "DELETE FROM ticket_links WHERE target_id = :g RETURNING kind", g=ids["HD-3"]
        )
        assert gone == []
        assert len(owner.links("HD-1")) == 2
    finally:
        t1.close()
