"""Links between tickets, and the outage update: one message to every incident of a
problem."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.access import Action, can
from ..domain.links import InvalidLink, LinkKind, TicketLink, parse_link
from ..domain.model import CommentKind, Status, Ticket, canonical_key
from ..store.base import NotFound, StoreError
from .errors import ServiceError
from .tickets import TicketUseCases

MAX_OUTAGE = 500
"""Incidents one outage update writes to: past this, split the problem."""


@dataclass(frozen=True, slots=True)
class LinkedTicket:
    """One link as a ticket shows it: what the other ticket is to this one."""

    link: TicketLink
    relation: str
    """From this ticket, in English: "child of", "problem of", "merged from", ..."""
    other: Ticket


@dataclass(frozen=True, slots=True)
class OutageResult:
    """What an outage update did: the incidents written, and each one that was not,
    with the reason (a conflict, a refusal, a status it cannot take)."""

    done: list[str]
    failed: list[tuple[str, str]]


class LinkUseCases(TicketUseCases):
    """Relate, parent and child, problem and incident; the outage update."""

    def links(self, ticket: Ticket) -> list[LinkedTicket]:
        """The ticket's links, each with the other ticket as this agent may see it (a
        link to a ticket the agent may not see is left out, as the ticket is)."""
        found = list(self._repo.links(ticket.key))
        for kind, far in (
            (LinkKind.MERGED_INTO, ticket.merged_into),
            (LinkKind.FOLLOW_UP_OF, ticket.follow_up_of),
        ):
            field = TicketLink(ticket.key, kind, far) if far else None
            if field is not None and not any(field.same_as(seen) for seen in found):
                found.append(field)
        shown: list[LinkedTicket] = []
        for link in found:
            try:
                other = self._repo.get(link.other(ticket.key))
            except NotFound:
                continue  # purged, or out of this login's sight (PostgreSQL's policy)
            if can(self.me, Action.VIEW, other):
                shown.append(LinkedTicket(link, link.relation(ticket.key), other))
        return shown

    def link(self, key: str, relation: str, other: str) -> TicketLink:
        """Link two tickets ("HD-1 parent-of HD-2"); both must be the agent's to update.
        Audited on both; neither ticket's version changes."""
        try:
            link = parse_link(key, relation, other)
        except InvalidLink as exc:
            raise ServiceError(str(exc)) from None
        for end in (link.source, link.target):
            self._for(Action.UPDATE, end)
        self._repo.add_link(link, self.me.username, self.clock())
        return link

    def unlink(self, key: str, other: str) -> TicketLink:
        """Remove the link between two tickets, whichever way it was made."""
        try:
            mine, theirs = canonical_key(key), canonical_key(other)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        link = next(
            (
                seen
                for seen in self._repo.links(mine)
                if theirs in (seen.source, seen.target) and seen.kind.editable
            ),
            None,
        )
        if link is None:
            raise ServiceError(f"{mine} and {theirs} are not linked")
        for end in (link.source, link.target):
            self._for(Action.UPDATE, end)
        self._repo.remove_link(link, self.me.username, self.clock())
        return link

    def incidents(self, problem: Ticket) -> list[Ticket]:
        """The problem's incidents that are still somebody's work, oldest first."""
        keys = [
            link.source
            for link in self._repo.links(problem.key)
            if link.kind is LinkKind.INCIDENT_OF and link.target == problem.key
        ]
        found: list[Ticket] = []
        for key in keys:
            try:
                ticket = self._repo.get(key)
            except NotFound:
                continue
            if ticket.status.is_active and can(self.me, Action.VIEW, ticket):
                found.append(ticket)
        return sorted(found, key=lambda t: t.created_at)

    def outage_update(
        self, problem_key: str, body: str, status: Status | None, expected: int
    ) -> OutageResult:
        """Send one public reply (and, or, one status change) to every open incident of
        a problem, as the agent confirmed it for `expected` of them; refused, with
        nothing written, if the problem has another number of open incidents now.

        Each incident is its own version-checked write on the version read here: one
        that cannot take it (changed meanwhile, outside the agent's organizations, a
        status it cannot move to) is listed with the reason and the others go on. The
        problem gets an internal note naming what was sent where."""
        text = body.strip()
        if not text and status is None:
            raise ServiceError("write a reply or choose a status to send to the incidents")
        problem = self._for(Action.UPDATE, problem_key)
        incidents = self.incidents(problem)
        if not incidents:
            raise ServiceError(f"{problem.key} has no open incidents")
        if len(incidents) != expected:
            raise ServiceError(
                f"{problem.key} has {len(incidents)} open incidents now, not {expected}:"
                " look at them again"
            )
        if len(incidents) > MAX_OUTAGE:
            raise ServiceError(f"{len(incidents)} incidents: at most {MAX_OUTAGE} at once")
        result = OutageResult([], [])
        for incident in incidents:
            try:
                if text:
                    self.reply(incident.key, incident.version, text, status=status)
                elif status is not None:
                    self.set_status(incident.key, incident.version, status)
                result.done.append(incident.key)
            except (StoreError, ValueError, PermissionError) as exc:
                result.failed.append((incident.key, str(exc)))
        if not result.done:
            # Nothing was sent: no note on the problem claims it was.
            reasons = "; ".join(f"{key}: {why}" for key, why in result.failed)
            raise ServiceError(f"sent to none of the incidents of {problem.key}: {reasons}")
        self._note_outage(problem, text, status, result)
        return result

    def _note_outage(
        self, problem: Ticket, text: str, status: Status | None, result: OutageResult
    ) -> None:
        sent = len(result.done)
        incidents = "incident" if sent == 1 else "incidents"
        lines = [f"Outage update sent to {sent} {incidents}: {', '.join(result.done)}"]
        if status is not None:
            lines.append(f"Status set to {status.value}.")
        if result.failed:
            lines.append("Not sent to: " + "; ".join(f"{k} ({why})" for k, why in result.failed))
        if text:
            lines += ["", text]
        fresh = self._repo.get(problem.key)
        self._comment(fresh.key, fresh.version, CommentKind.NOTE, "\n".join(lines), None, ())
