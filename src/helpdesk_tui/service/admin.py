"""Administration: agents and teams, bulk import, and purging old tickets (retention)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta

from ..domain.access import Action, can
from ..domain.model import (
    EMAIL_RE,
    MAX_BODY,
    MAX_LINE,
    TIERS,
    Agent,
    AuditEntry,
    Comment,
    Role,
    Team,
    Ticket,
)
from ..domain.periods import Span
from ..store.base import (
    AdminRecord,
    ArchivedTicket,
    LinkRecord,
    NotFound,
    Query,
    Unsupported,
    ticket_archive,
)
from .checks import checked_text, known_team, one_line, valid_new, with_sla_columns
from .core import ServiceCore
from .errors import ImportRefused, ServiceError
from .views import ASSIGNEE_WORDS


class AdminUseCases(ServiceCore):
    """What a lead or an admin manages: people, teams, and what the store keeps."""

    def agents(self) -> list[Agent]:
        self._require(Action.VIEW)  # a deactivated agent reads nothing, people included
        return self._repo.agents()

    def teams(self) -> list[Team]:
        self._require(Action.VIEW)
        return self._repo.teams()

    def purge(self, older_than: timedelta | Span, dry_run: bool = True) -> list[str]:
        """Remove closed and cancelled tickets closed more than `older_than` ago, with
        their comments and attachment files; each leaves a tombstone in the audit log.
        `dry_run` only lists the keys. A Span counts calendar months ("24m")."""
        self._require(Action.PURGE)
        now = self.clock()
        cutoff = older_than.before(now) if isinstance(older_than, Span) else now - older_than
        return self._repo.purge(cutoff, self.me.username, now, dry_run)

    def import_tickets(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Bulk import, all or nothing (the store's one-transaction path).

        Every ticket passes what `create` checks, its assignee must be an active agent,
        and its key (when it has one) must be new to the store and to the import: a
        refusal is an ImportRefused naming the ticket's position, and nothing is written.
        The SLA columns are derived here, as for a ticket created by hand."""
        self._require(Action.IMPORT)
        return self._repo.bulk_import(self._checked_imports(tickets))

    def _checked_imports(
        self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]
    ) -> Iterator[tuple[Ticket, Sequence[Comment]]]:
        # Checked one by one as the store pulls them: position n is refused before n + 1
        # is read, so a caller reading a file knows which of its records it was.
        agents = {a.username: a for a in self._repo.agents()}
        check_store = self._repo.count(Query(limit=1)) > 0
        seen: set[str] = set()
        targets: list[tuple[int, str, str]] = []
        for position, (ticket, comments) in enumerate(tickets, 1):
            try:
                checked = valid_new(ticket)
                for what, name in _agents_named(checked):
                    agent = agents.get(name)
                    if agent is None:
                        raise ServiceError(f"{what}no agent called {name[:40]!r}")
                    if not agent.active:
                        raise ServiceError(f"{what}{name} is deactivated")
                if checked.key:
                    self._check_prefix(checked.key)
                    if checked.key in seen:
                        raise ServiceError(f"key {checked.key} comes twice in the import")
                    seen.add(checked.key)
                    if check_store and self._exists(checked.key):
                        raise ServiceError(f"key {checked.key} is already in the store")
            except ServiceError as exc:
                raise ImportRefused(position, str(exc)) from None
            targets.extend(_named_tickets(position, checked))
            yield with_sla_columns(checked, self.policy), comments
        self._check_targets(targets, seen, check_store)

    def link_records(self, ticket: Ticket) -> list[LinkRecord]:
        """The links whose source is `ticket` (a ticket just read through `get`), with who
        made them when where the store keeps that (a lossless export)."""
        self._require(Action.VIEW, ticket)
        archive = ticket_archive(self._repo)
        if archive is not None:
            found = archive.link_records(ticket.key)
        else:
            found = [
                LinkRecord(link.kind, link.target)
                for link in self._repo.links(ticket.key)
                if link.source == ticket.key
            ]
        # A link to a ticket this agent may not see is left out, as the ticket is (`links`).
        return [record for record in found if self._sees(record.target)]

    def _sees(self, key: str) -> bool:
        try:
            return bool(can(self.me, Action.VIEW, self._repo.get(key)))
        except NotFound:
            return False  # purged, or out of this login's sight (PostgreSQL's policy)

    def restore_tickets(self, tickets: Iterable[ArchivedTicket], *, update: bool = False) -> int:
        """Restore a full export, all or nothing (store.base.TicketArchive.restore).

        Each ticket passes what `create` checks, its assignee must be an agent of this
        store (one deactivated since is kept), its key must come once in the import and,
        unless `update`, be new to the store; every link must lead to a ticket of the
        import or of the store. A refusal is an ImportRefused naming the ticket's
        position, and nothing is written."""
        self._require(Action.IMPORT)
        archive = ticket_archive(self._repo)
        if archive is None:
            self._repo.bulk_import(())  # the store's own refusal says why (RT: its tools)
            raise Unsupported("this store cannot restore a full export")
        checked = self._checked_restore(tickets, update)
        return archive.restore(checked, update=update, actor=self.me.username, at=self.clock())

    def _checked_restore(
        self, tickets: Iterable[ArchivedTicket], update: bool
    ) -> Iterator[ArchivedTicket]:
        agents = {a.username for a in self._repo.agents()}
        check_store = self._repo.count(Query(limit=1)) > 0
        seen: set[str] = set()
        targets: list[tuple[int, str, str]] = []
        for position, item in enumerate(tickets, 1):
            try:
                ticket = valid_new(item.ticket)
                for what, name in _agents_named(ticket):
                    if name not in agents:
                        raise ServiceError(f"{what}no agent called {name[:40]!r}")
                self._check_prefix(ticket.key)
                if ticket.key in seen:
                    raise ServiceError(f"key {ticket.key} comes twice in the import")
                seen.add(ticket.key)
                if not update and check_store and self._exists(ticket.key):
                    raise ServiceError(
                        f"key {ticket.key} is already in the store (--update replaces it)"
                    )
            except ServiceError as exc:
                raise ImportRefused(position, str(exc)) from None
            targets.extend((position, "links to", link.target) for link in item.links)
            targets.extend(_named_tickets(position, ticket))
            yield ArchivedTicket(ticket, item.comments, item.links, item.history)
        self._check_targets(targets, seen, check_store)

    def _check_prefix(self, key: str) -> None:
        # Another prefix is another store's ticket: its number would clash with this
        # store's own tickets, and nothing here could find it by that key.
        prefix = self._repo.key_prefix
        if not key.startswith(f"{prefix}-"):
            raise ServiceError(f"key {key[:40]} is not one of this store's ({prefix}-...)")

    def _check_targets(
        self, targets: list[tuple[int, str, str]], seen: set[str], check_store: bool
    ) -> None:
        """Each (position, how, key) names a ticket of the import or of the store. Run once
        every ticket is in (the store takes them one by one): a ticket may name a later one."""
        for position, how, target in targets:
            if target not in seen and not (check_store and self._exists(target)):
                raise ImportRefused(
                    position, f"{how} {target}, which is neither in the import nor in the store"
                )

    def _exists(self, key: str) -> bool:
        try:
            self._repo.get(key)
        except NotFound:
            return False
        return True

    def save_agent(self, agent: Agent) -> Agent:
        self._require(Action.MANAGE_AGENTS)
        if agent.tier not in TIERS:
            raise ServiceError(f"tier must be 1, 2 or 3, not {agent.tier}")
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", agent.username):
            raise ServiceError(f"username {agent.username!r}: letters, digits, . _ - only")
        if agent.db_role is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,63}", agent.db_role):
            raise ServiceError(f"login {agent.db_role[:80]!r}: letters, digits, . _ - only")
        # The limits a ticket's names and addresses have (domain.model), for the same reasons.
        one_line(agent.name, "name")
        if agent.email and not EMAIL_RE.match(agent.email):
            raise ServiceError(f"email {agent.email[:80]!r} is not an address")
        for name, value in (("email", agent.email), ("team", agent.team or "")):
            checked_text(name, value, MAX_LINE)
        for organization in agent.organizations:
            one_line(organization, "organization")
        try:
            known: Agent | None = self._repo.get_agent(agent.username)
        except NotFound:
            known = None
        if known is None:
            self._check_new_name(agent.username)
        if agent.team and (known is None or agent.team != known.team):
            self._check_team(agent.team)
        if known is not None and _runs_the_store(known) and not _runs_the_store(agent):
            # Only an admin can make another: without one, nobody could ever add an
            # agent again (the first run's admin is the only one a local store gets).
            others = [a for a in self._repo.agents() if a.username != agent.username]
            if not any(_runs_the_store(a) for a in others):
                raise ServiceError(
                    f"{agent.username} is the store's last active admin: make another agent"
                    " admin first"
                )
        before = None if known is None else agent_summary(known)
        after = agent_summary(agent)
        record = AdminRecord(
            self.me.username, self.clock(), f"agent:{agent.username}", before, after
        )
        return self._repo.save_agent(agent, record)

    def _check_new_name(self, username: str) -> None:
        if username.lower() in ASSIGNEE_WORDS:
            # A filter reads "assignee:me" or "assignee:none" as a word, never a name.
            raise ServiceError(f"{username!r} is a word the filters read; choose another name")
        same = [a.username for a in self._repo.agents() if a.username.lower() == username.lower()]
        if same:
            raise ServiceError(f"{username!r} is {same[0]!r} in other letters; choose another")

    def _check_team(self, team: str) -> None:
        known_team(team, self._repo.teams())

    def set_agent_password(self, username: str, password: str) -> None:
        """Set the password of the agent's own database login (PostgreSQL); audited
        as "password set", never with the password."""
        self._require(Action.MANAGE_AGENTS)
        if not password.strip():
            raise ServiceError("the password is empty")
        record = AdminRecord(
            self.me.username, self.clock(), f"agent:{username}", None, "password set"
        )
        try:
            self._repo.set_agent_password(username, password, record)
        except NotFound:
            raise ServiceError(f"no agent called {username!r}") from None

    def save_team(self, team: Team) -> Team:
        self._require(Action.MANAGE_AGENTS)
        one_line(team.name, "team name")
        checked_text("description", team.description, MAX_BODY)
        teams = self._repo.teams()
        known = next((t for t in teams if t.name == team.name), None)
        other = next((t.name for t in teams if t.name.lower() == team.name.lower()), None)
        if known is None and other is not None:
            raise ServiceError(f"{team.name!r} is {other!r} in other letters; choose another")
        before = None if known is None else known.description
        record = AdminRecord(
            self.me.username, self.clock(), f"team:{team.name}", before, team.description
        )
        return self._repo.save_team(team, record)

    def admin_history(self, limit: int = 200) -> list[AuditEntry]:
        """Who added, changed or deactivated which agent or team, newest first."""
        self._require(Action.MANAGE_AGENTS)
        return self._repo.admin_history(limit)


def _agents_named(ticket: Ticket) -> Iterator[tuple[str, str]]:
    """(how the refusal begins, name) for each agent an imported ticket names."""
    if ticket.assignee is not None:
        yield "", ticket.assignee
    for watcher in ticket.watchers:
        yield "watchers: ", watcher


def _named_tickets(position: int, ticket: Ticket) -> Iterator[tuple[int, str, str]]:
    """The tickets an imported ticket names besides its links, for _check_targets."""
    if ticket.merged_into is not None:
        yield position, "merged_into names", ticket.merged_into
    if ticket.follow_up_of is not None:
        yield position, "follow_up_of names", ticket.follow_up_of


def _runs_the_store(agent: Agent) -> bool:
    return agent.active and agent.role is Role.ADMIN


def agent_summary(agent: Agent) -> str:
    """How an agent reads in the audit: "tier 2 lead, team Platform, orgs Acme, active"."""
    parts = [f"tier {agent.tier} {agent.role.value}"]
    if agent.team:
        parts.append(f"team {agent.team}")
    if agent.organizations:
        parts.append("orgs " + ",".join(agent.organizations))
    if agent.db_role:
        parts.append(f"login {agent.db_role}")
    parts.append("active" if agent.active else "deactivated")
    return ", ".join(parts)
