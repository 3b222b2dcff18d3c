"""What "most urgent first" means: the order an on-call engineer acts in.

A ticket's urgency at an instant `now` is the state of its next SLA target:

    breached  its due instant has come                 (sla_due_at <= now)
    at risk   past the policy's at-risk share, not due  (sla_risk_at <= now < sla_due_at)
    running   neither yet                               (otherwise, with a due instant)
    paused    no clock runs towards a due instant       (sla_due_at is None)

Most urgent first is breached before at risk before running before paused, then by
priority (P1 first), then by due instant (soonest first), then by key number. This
module is the one definition: the SLA board, the "Breaching soon" and "Needs first
response" views, the queue's "urgency" sort and take-next all read tickets in this
order (service/ordering.py reads each class as one store query, in this order), and
`urgency_key` is what the tests compare every store's answer with.

The bounds are the SLA engine's (domain/sla/evaluation.py): a target due exactly now
is breached, as its cell reads ("0s", breached), and the queue header counts it so.
"""

from __future__ import annotations

import enum
from datetime import datetime

from ..model import KEY_RE, Priority, Status, Ticket


class Urgency(enum.IntEnum):
    """The urgency classes, most urgent first (their order is the sort's first key)."""

    BREACHED = 0
    AT_RISK = 1
    RUNNING = 2
    PAUSED = 3

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


def urgency_of(due: datetime | None, risk: datetime | None, now: datetime) -> Urgency:
    if due is None:
        return Urgency.PAUSED
    if due <= now:
        return Urgency.BREACHED
    if risk is not None and risk <= now:
        return Urgency.AT_RISK
    return Urgency.RUNNING


def ticket_urgency(ticket: Ticket, now: datetime) -> Urgency:
    return urgency_of(ticket.sla_due_at, ticket.sla_risk_at, now)


def urgency_key(ticket: Ticket, now: datetime) -> tuple[int, int, datetime | None, int]:
    """Sorts most urgent first (see the module docstring); paused tickets, having no due
    instant, tie on it and fall back to the key number."""
    urgency = ticket_urgency(ticket, now)
    due = ticket.sla_due_at if urgency is not Urgency.PAUSED else None
    match = KEY_RE.match(ticket.key)
    return (urgency, ticket.priority.rank, due, int(match["number"]) if match else 0)


def awaits_acknowledgement(ticket: Ticket) -> bool:
    """A P1 nobody has acknowledged yet: new (no agent has opened it), or reopened by
    the customer's words and not answered since. On-call mode pins these at the top of
    the queue until someone acknowledges them (status open, or a reply)."""
    if ticket.priority is not Priority.CRITICAL:
        return False
    if ticket.status is Status.NEW:
        return True
    return ticket.status is Status.OPEN and reopened_unanswered(ticket)


def reopened_unanswered(ticket: Ticket) -> bool:
    """The last pause (pending or resolved) has ended, the customer has written since it
    ended (their reply is what ends it), and no agent has answered since they wrote."""
    wrote = ticket.last_customer_reply_at
    if wrote is None or not ticket.pauses:
        return False
    last_pause = ticket.pauses[-1]
    if last_pause.end is None or wrote < last_pause.end:
        return False  # still paused, or an agent reopened it before the customer wrote
    answered = ticket.last_public_update_at
    return answered is None or answered < wrote
