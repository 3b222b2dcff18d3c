"""Who works a ticket: assign, take, take the next most urgent one, watch."""

from __future__ import annotations

from ..domain.access import AccessDenied, Action
from ..domain.escalation import EscalationError, ReviewDecision
from ..domain.model import ACTIVE_STATUSES, Agent, Escalation, Ticket
from ..store.base import Capability, Change, ConflictError, Query, SortKey
from .errors import ServiceError
from .escalation import EscalationUseCases
from .ordering import first_claimed


class AssignmentUseCases(EscalationUseCases):
    """Assignment; built on escalation, since taking the next ticket accepts one that
    waits for my tier after an escalation."""

    def assign(self, key: str, base_version: int, assignee: str | None) -> Ticket:
        ticket = self._repo.get(key)
        return self._commit(ticket, self._assign_change(ticket, base_version, assignee))

    def _assign_change(
        self,
        ticket: Ticket,
        base_version: int,
        assignee: str | None,
        *,
        agent: Agent | None = None,
        audit: bool = True,
    ) -> Change | None:
        """The checks and the Change of `assign`; `agent` is the assignee if already known.

        Handing a ticket that waits for its tier to someone decides that escalation:
        taking it accepts it, giving it to another agent reassigns it (both audited as
        the decision), so no ticket stays "waiting for tier N" while somebody holds it."""
        if assignee is not None and ticket.escalation is Escalation.AWAITING_TIER:
            mine = assignee == self.me.username
            return self._decision_change(
                ticket,
                base_version,
                ReviewDecision.ACCEPT if mine else ReviewDecision.REASSIGN,
                assignee=None if mine else assignee,
                audit=audit,
            )
        self._check_assignee(ticket, assignee, agent=agent, audit=audit)
        return self._change(ticket, base_version, {"assignee": assignee})

    def take(self, key: str, base_version: int) -> Ticket:
        """Assign `key` to me; a ticket waiting for my tier is thereby accepted."""
        return self.assign(key, base_version, self.me.username)

    def take_next(self, rounds: int = 5, candidates: int = 10) -> Ticket | None:
        """Assign me the most urgent unassigned ticket of my tier; None when there is none.

        A ticket waiting for my tier after an escalation is accepted. Safe with many
        agents at once. A store with Capability.ATOMIC_CLAIM locks each candidate while
        it is checked and taken, so agents never collide, retry or come back empty while
        a ticket is left. Elsewhere (RT) each take is a write based on the version read:
        of two agents reaching for one ticket the store lets one win and the other moves
        on to the next candidate, for up to `rounds` pages of `candidates`.
        """
        self._require(Action.TAKE)  # a deactivated agent is refused (and audited) once
        me = self._agent(self.me.username)
        # Most urgent first (domain/sla/urgency.py): a breached P4 waits behind a breached
        # P2, and both come before any ticket merely at risk.
        query = Query(
            statuses=ACTIVE_STATUSES,
            unassigned=True,
            tiers=frozenset({self.me.tier}),
            sort=SortKey.URGENCY,
            limit=candidates,
        )

        def take(ticket: Ticket) -> Change | None:
            # A candidate I may not take is passed over, not refused: take next never
            # asked for that ticket (so no refusal is audited either).
            try:
                return self._assign_change(
                    ticket, ticket.version, self.me.username, agent=me, audit=False
                )
            except (AccessDenied, ServiceError, EscalationError):
                return None

        if Capability.ATOMIC_CLAIM in self._repo.capabilities:
            return first_claimed(self.scope(query), lambda q: self._repo.claim_next(q, take))
        for _ in range(rounds):
            page = self.query(query)
            if not page.tickets:
                return None
            for listed in page.tickets:
                # Decide on the ticket as the store has it now, in full (a page row may
                # carry less, RT's in particular), as `assign` and `decide` would.
                change = take(self._repo.get(listed.key))
                if change is None:
                    continue
                try:
                    return self._repo.apply(change)
                except ConflictError:
                    continue  # taken (or changed) by someone else meanwhile: next one
        return None

    def watch(self, key: str, base_version: int, on: bool = True) -> Ticket:
        ticket = self._for(Action.VIEW, key)
        watchers = [w for w in ticket.watchers if w != self.me.username]
        if on:
            watchers.append(self.me.username)
        return self._commit(
            ticket, self._change(ticket, base_version, {"watchers": tuple(watchers)})
        )
