"""Use cases on one ticket: open it, read it, change its fields and status, comment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..domain import lifecycle, sla
from ..domain.access import Action, can
from ..domain.followup import MailKind
from ..domain.lifecycle import TransitionError
from ..domain.macros import MacroChanges
from ..domain.mentions import MENTION_EVENT, mentioned
from ..domain.model import (
    EDITABLE_FIELDS,
    MAX_SUBJECT,
    AuditEntry,
    Comment,
    CommentKind,
    Role,
    Status,
    Ticket,
    distinct_contacts,
)
from ..domain.sla import TargetStatus
from ..domain.worktime import check_minutes, total_minutes
from ..store.base import (
    REFUSED,
    Capability,
    CohortFigures,
    CohortRequest,
    MailRecord,
    Query,
    TimeSpent,
    mail_queue,
    report_aggregates,
)
from .checks import (
    attachment,
    clean_body,
    clean_line,
    known_team,
    short_text,
    valid_new,
    with_sla_columns,
)
from .drafts import TicketDraft
from .errors import ServiceError
from .macros import MacroUseCases

GUARDED_FIELDS = frozenset({"status", "tier", "assignee", "escalation", "watchers"})
"""Editable fields `update` refuses: each has a use case of its own, with its own rules."""

COMMAND_EVENT = "shell:command"
"""The history entry of a command's output kept as a note (`!`), naming the command line."""


def without(
    items: Sequence[str],
    removed: Iterable[str],
    what: str,
    key: Callable[[str], str] = lambda item: " ".join(item.split()),
) -> tuple[str, ...]:
    """`items` less the `removed` ones, each compared as `key` reads it (by default: its
    words). ServiceError for one that is not among them: the agent meant something the
    ticket has, and removing nothing would still be reported as a change."""
    present = {key(item) for item in items}
    gone: set[str] = set()
    for item in removed:
        if key(item) not in present:
            raise ServiceError(f"{' '.join(item.split())[:80]!r} is not {what}")
        gone.add(key(item))
    return tuple(item for item in items if key(item) not in gone)


class TicketUseCases(MacroUseCases):
    """Open, read and change a ticket, and write on it."""

    def sla(self, ticket: Ticket, now: datetime | None = None) -> list[TargetStatus]:
        return sla.evaluate(ticket, self.policy, now or self.clock())

    def conversation(self, key: str) -> list[Comment]:
        self.get(key)
        return self._repo.comments(key)

    def history(self, key: str) -> list[AuditEntry]:
        self.get(key)
        return self._visible_history(self._repo.history(key))

    def conversation_of(self, ticket: Ticket) -> list[Comment]:
        """The comments of a ticket just read through `get` (not read again)."""
        self._require(Action.VIEW, ticket)
        return self._repo.comments(ticket.key)

    def history_of(self, ticket: Ticket) -> list[AuditEntry]:
        """The audit history of a ticket just read through `get` (not read again)."""
        self._require(Action.VIEW, ticket)
        return self._visible_history(self._repo.history(ticket.key))

    def _visible_history(self, entries: list[AuditEntry]) -> list[AuditEntry]:
        """Refusals ("refused:<action>") are for leads and admins, who answer for the
        rules: an agent's history of a ticket shows what was done to it."""
        if self.me.role in (Role.LEAD, Role.ADMIN):
            return entries
        return [e for e in entries if not e.field.startswith(REFUSED)]

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """The local file of one of the ticket's attachments (a remote store's is fetched
        first), for an agent who may see the ticket."""
        self.get(key)
        return self._repo.attachment_path(key, attachment_id)

    def create(
        self,
        draft: TicketDraft,
        *,
        first_comment: str | None = None,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
        acknowledge: bool = True,
    ) -> Ticket:
        """Open a new ticket; the store gives it its key. Validation changes nothing.

        The requester gets the acknowledgement with the key (when mail is sent and
        `acknowledge`: never in answer to an automatic mail). `attachments` go with
        `first_comment`; `received` records the mail the ticket came from, in the same
        write, so it is never taken in twice."""
        self._require(Action.CREATE)
        subject = clean_line(draft.subject, "subject", MAX_SUBJECT)
        if draft.team:
            self._check_team(draft.team)
        if draft.assignee:
            holder = self._agent(draft.assignee)
            if not holder.may_hold(draft.tier):
                # The rule assign keeps (core._check_assignee), from the first write on.
                raise ServiceError(
                    f"{draft.assignee} is tier {holder.tier}; a tier {draft.tier} ticket"
                    " needs an agent of its tier or a lead"
                )
        files = [attachment(path) for path in attachments]
        if files and not first_comment:
            raise ServiceError("files of a new ticket go with its first comment")
        now = self.clock()
        ticket = Ticket(
            key="",
            subject=subject,
            description=draft.description,
            type=draft.type,
            priority=draft.priority,
            tier=draft.tier,
            requester_name=draft.requester_name.strip(),
            requester_email=draft.requester_email.strip(),
            organization=draft.organization or None,
            channel=draft.channel,
            environment=draft.environment,
            impact=draft.impact,
            affected_users=draft.affected_users,
            integration=draft.integration or None,
            category=draft.category or None,
            tags=tuple(dict.fromkeys(t.strip() for t in draft.tags if t.strip())),
            language=draft.language,
            assignee=draft.assignee or None,
            team=draft.team or None,
            follow_up_of=draft.follow_up_of or None,
            created_at=now,
            updated_at=now,
        )
        # The checks an import passes too (domain.model.check_new_ticket): one set of rules.
        ticket = with_sla_columns(valid_new(ticket), self.policy)
        if ticket.assignee not in (None, self.me.username):
            # Handing a new ticket to somebody else is assigning it: the same rule.
            self._require(Action.ASSIGN, ticket)
        comment = None
        if first_comment:
            comment = Comment(CommentKind.NOTE, self.me.username, first_comment, now)
        mail = [received] if received else []
        if acknowledge:
            mail += self._mail(ticket, MailKind.ACKNOWLEDGEMENT)
        queue = mail_queue(self._repo)
        if queue is not None and (mail or files):
            return queue.create(ticket, self.me.username, comment, attachments=files, mail=mail)
        if files or mail:
            raise ServiceError("this store keeps neither mail nor files with a new ticket")
        return self._repo.create(ticket, self.me.username, comment)

    def update(
        self,
        key: str,
        base_version: int,
        *,
        reason: str | None = None,
        **fields: object,
    ) -> Ticket:
        """Change plain fields (priority, type, subject, category, ...). Status, tier,
        assignee and escalation have use cases of their own with their own rules."""
        return self.edit(key, base_version, fields, reason=reason)

    def edit(
        self,
        key: str,
        base_version: int,
        changes: Mapping[str, object],
        *,
        status: Status | None = None,
        reason: str | None = None,
    ) -> Ticket:
        """Change plain fields (`update`) and with `status` the status too, in one write:
        all of it or, when any part is refused, none of it."""
        fields = dict(changes)
        short_text(reason, "the reason")
        guarded = GUARDED_FIELDS & fields.keys()
        if guarded:
            raise ServiceError(
                f"use the {sorted(guarded)[0]} action to change {', '.join(sorted(guarded))}"
            )
        ticket = self._for(Action.UPDATE, key)
        if "subject" in fields:
            fields["subject"] = clean_line(str(fields["subject"]), "subject", MAX_SUBJECT)
        if "csat_score" in fields:
            raise ServiceError("use record_csat to record satisfaction")
        unknown = set(fields) - EDITABLE_FIELDS
        if unknown:
            raise ServiceError(f"{sorted(unknown)[0]} cannot be changed")
        for name in ("requester_name", "requester_email", "organization", "team"):
            if isinstance(fields.get(name), str):
                fields[name] = " ".join(str(fields[name]).split()) or None
        contacts = fields.get("contacts")
        written: tuple[str, ...] | None = None
        if isinstance(contacts, tuple):
            written = tuple(c for c in (" ".join(str(c).split()) for c in contacts) if c)
            fields["contacts"] = written
        tags = fields.get("tags")
        if isinstance(tags, tuple):
            words = (" ".join(str(tag).split()) for tag in tags)
            fields["tags"] = tuple(tag for tag in words if tag)
        # What is edited passes the checks a new ticket's fields do (one line, lengths,
        # the address, whole numbers): an edit cannot store what creating could not.
        # Only what is edited: a field a remote backend or an import stored as it was
        # must not stop a change to another one.
        valid_new(Ticket(key="", subject="-").with_changes(**fields))
        if written is not None:
            # Each contact was checked as written, before two spellings of one address
            # become one ("a@x, b@y" checked after that was a@x alone).
            fields["contacts"] = distinct_contacts(written)
        team = fields.get("team")
        if isinstance(team, str) and team != ticket.team:
            self._check_team(team)
        mail: list[MailRecord] = []
        if status is not None:
            lifecycle.check_transition(ticket, status, reason)
            now = self.clock()
            fields.update(lifecycle.status_fields(ticket, status, now))
            mail = self._status_mail(ticket, status, "", now)
        return self._commit(
            ticket, self._change(ticket, base_version, fields, reason=reason, mail=mail)
        )

    def _check_team(self, team: str) -> None:
        """Refuse a team the store does not keep. A store that keeps no teams of its own
        (Request Tracker: a custom field whose values RT manages) checks them itself."""
        if Capability.AGENTS_ADMIN in self._repo.capabilities:
            known_team(team, self._repo.teams())

    def set_status(
        self, key: str, base_version: int, status: Status, reason: str | None = None
    ) -> Ticket:
        return self.edit(key, base_version, {}, status=status, reason=reason)

    def reply(
        self,
        key: str,
        base_version: int,
        body: str,
        *,
        status: Status | None = None,
        attachments: Sequence[Path] = (),
        minutes: int | None = None,
        changes: MacroChanges | None = None,
    ) -> Ticket:
        """A public reply to the customer. The first one is the first response and opens
        a new ticket; `status` moves it in the same write (e.g. to pending or resolved).
        `minutes`: time spent on the ticket for it (`domain.worktime.parse_minutes`).
        `changes`: a macro's field changes, in the same write (its status unless
        `status` is given)."""
        return self._comment(
            key, base_version, CommentKind.REPLY, body, status, attachments, minutes, changes
        )

    def note(
        self,
        key: str,
        base_version: int,
        body: str,
        *,
        attachments: Sequence[Path] = (),
        minutes: int | None = None,
        changes: MacroChanges | None = None,
    ) -> Ticket:
        """An internal note: never goes to the customer, stops no SLA clock. `minutes`
        and `changes` as for `reply`."""
        return self._comment(
            key, base_version, CommentKind.NOTE, body, None, attachments, minutes, changes
        )

    def command_note(self, key: str, base_version: int, body: str, command: str) -> Ticket:
        """An internal note holding a command's output (`!` in the app), the command line
        recorded in the history too. The output calls nobody in: an "@name" a command
        printed is not the agent mentioning a colleague."""
        line = command.strip()
        if not line or "\n" in line:
            raise ServiceError("the command line is empty or more than one line")
        return self._comment(key, base_version, CommentKind.NOTE, body, None, (), command=line)

    def time_spent(self, ticket: Ticket) -> int:
        """The minutes recorded on the ticket's replies and notes, all together."""
        return total_minutes(c.minutes for c in self.conversation_of(ticket))

    def time_spent_between(self, since: datetime, until: datetime) -> TimeSpent:
        """The minutes recorded on replies and notes written in [since, until), by author,
        organization and type, over the tickets this agent may see (the report's)."""
        organizations = self.scope(Query()).organizations
        return self._repo.time_spent(since, until, organizations)

    def cohort_figures(self, request: CohortRequest) -> CohortFigures | None:
        """A report's cohort summed by the store, over the tickets this agent may see;
        None from a store that cannot (the report then reads the tickets)."""
        store = report_aggregates(self._repo)
        if store is None:
            return None
        organizations = self.scope(Query()).organizations
        return store.cohort_figures(replace(request, organizations=organizations))

    def attach(self, key: str, base_version: int, path: Path, note: str = "") -> Ticket:
        return self.note(key, base_version, note or f"Attached {path.name}", attachments=[path])

    def _comment(
        self,
        key: str,
        base_version: int,
        kind: CommentKind,
        body: str,
        status: Status | None,
        attachments: Sequence[Path],
        minutes: int | None = None,
        changes: MacroChanges | None = None,
        *,
        command: str | None = None,
    ) -> Ticket:
        ticket = self._for(Action.COMMENT, key)
        if kind is CommentKind.REPLY and ticket.status.is_final:
            # Closed is final (product.md): the customer hears about it no more; a note
            # for the record is still welcome.
            raise TransitionError(
                f"{ticket.key} is {ticket.status.label}, which is final: write to the"
                " customer in a new ticket (a follow-up)"
            )
        text = clean_body(body)
        if changes is not None and status is None:
            status = changes.status
        if minutes is not None:
            try:
                check_minutes(minutes)
            except ValueError as exc:
                raise ServiceError(str(exc)) from None
        files = [attachment(path) for path in attachments]
        now = self.clock()
        fields: dict[str, object] = {}
        if kind is CommentKind.REPLY:
            fields["last_public_update_at"] = now
            if ticket.first_response_at is None:
                fields["first_response_at"] = now
            if status is None and ticket.status is Status.NEW:
                status = Status.OPEN
        if status is not None and status is not ticket.status:
            if not can(self.me, Action.UPDATE, ticket):
                self._require(Action.UPDATE, ticket)
            lifecycle.check_transition(
                ticket, status, reason=None, replying=kind is CommentKind.REPLY
            )
            fields.update(lifecycle.status_fields(ticket, status, now))
        if changes is not None:
            fields.update(self._macro_fields(ticket, changes))
        events: list[tuple[str, str | None]] = []
        if command is not None:
            events = [(COMMAND_EVENT, command)]
        elif kind is CommentKind.NOTE:
            called = self._called_in(text)
            watching: tuple[str, ...] = ticket.watchers
            if set(called) - set(watching):
                fields["watchers"] = tuple(dict.fromkeys([*watching, *called]))
            events = [(MENTION_EVENT, name) for name in called]
        comment = Comment(kind, self.me.username, text, now, minutes=minutes)
        mail: list[MailRecord] = []
        if kind is CommentKind.REPLY:
            # A reply that resolves is the resolution notice itself (with the survey).
            mail = self._status_mail(ticket, status, text, now) or self._mail(
                ticket, MailKind.REPLY, text
            )
        return self._commit(
            ticket,
            self._change(
                ticket,
                base_version,
                fields,
                None,
                comment=comment,
                files=files,
                mail=mail,
                events=events,
            ),
        )

    def _called_in(self, text: str) -> tuple[str, ...]:
        """The agents a note's @names call in (they watch the ticket from then on, and
        hear of it); ServiceError, and nothing written, for a name that is nobody's."""
        names = mentioned(text)
        if not names:
            return ()
        active = {agent.username for agent in self._repo.agents() if agent.active}
        unknown = [f"@{name}" for name in names if name not in active]
        if unknown:
            raise ServiceError(
                f"not an agent: {', '.join(unknown)} (mention agents by their user name)"
            )
        return names
