"""Which status may follow which, and what each transition requires.

new → open → pending (waiting on the customer) / on_hold (waiting on a third party)
→ resolved (solution sent, awaiting confirmation) → closed (final). Resolved can be
reopened; cancelled is for duplicates, spam and tickets filed by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import PauseInterval, Status, Ticket

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}
    ),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}),
    Status.PENDING: frozenset(
        {Status.OPEN, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED, Status.CANCELLED}
    ),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    # Closed is final: a customer who writes again gets a follow-up ticket linked to it.
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

PAUSING_STATUSES = frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED})
"""Statuses whose spans are recorded as pauses; the SLA policy decides which of them count."""


class TransitionError(ValueError):
    """A status change the lifecycle does not allow; the message says why."""


@dataclass(frozen=True, slots=True)
class TransitionRequirements:
    needs_reason: bool = False
    needs_public_reply: bool = False


REQUIREMENTS: dict[Status, TransitionRequirements] = {
    # On hold means somebody else has to act: say who, or nobody can chase them.
    Status.ON_HOLD: TransitionRequirements(needs_reason=True),
    # Resolved means the solution was communicated: there must be a public reply.
    Status.RESOLVED: TransitionRequirements(needs_public_reply=True),
    # Cancelling hides a customer's request: the history must say why.
    Status.CANCELLED: TransitionRequirements(needs_reason=True),
}


def allowed_next(status: Status) -> frozenset[Status]:
    return ALLOWED[status]


def check_transition(
    ticket: Ticket, to: Status, reason: str | None = None, *, replying: bool = False
) -> None:
    """Raise TransitionError (with the reason) unless `ticket` may move to `to`.

    `replying` is true when the same write sends a public reply, which satisfies
    "the solution was communicated" for a resolve.
    """
    current = ticket.status
    if to is current:
        raise TransitionError(f"{ticket.key} is already {to.label}")
    if to not in ALLOWED[current]:
        if current is Status.CLOSED:
            raise TransitionError(
                f"{ticket.key} is closed, which is final: open a follow-up ticket instead"
            )
        if current is Status.CANCELLED:
            raise TransitionError(f"{ticket.key} was cancelled, which is final")
        choices = ", ".join(s.label for s in sorted(ALLOWED[current])) or "nothing"
        raise TransitionError(
            f"{ticket.key} cannot go from {current.label} to {to.label} (it can go to: {choices})"
        )
    needs = REQUIREMENTS.get(to, TransitionRequirements())
    if needs.needs_reason and not (reason and reason.strip()):
        raise TransitionError(f"moving {ticket.key} to {to.label} needs a reason")
    if needs.needs_public_reply and ticket.first_response_at is None and not replying:
        raise TransitionError(
            f"{ticket.key} cannot be resolved before the customer has had a public reply"
        )


def status_fields(ticket: Ticket, to: Status, at: datetime) -> dict[str, object]:
    """The derived fields a move to `to` at `at` sets: timestamps and pause spans."""
    changes: dict[str, object] = {"status": to}
    pauses = list(ticket.pauses)
    if pauses and pauses[-1].end is None:
        last = pauses[-1]
        pauses[-1] = PauseInterval(last.start, at, last.status)
    if to in PAUSING_STATUSES:
        pauses.append(PauseInterval(at, None, to))
    if tuple(pauses) != ticket.pauses:
        changes["pauses"] = tuple(pauses)
    if to is Status.RESOLVED:
        changes["resolved_at"] = at
    elif ticket.status is Status.RESOLVED and to is Status.OPEN:
        # Reopened: the resolution clock runs again from where it stood.
        changes["resolved_at"] = None
    if to.is_final:
        changes["closed_at"] = at
    return changes
