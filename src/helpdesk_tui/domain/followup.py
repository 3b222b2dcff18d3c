"""What happens to a ticket that waits on the customer: reminders, then closing.

A `pending` ticket waits for the customer's answer: after `remind_after` of silence
they get a reminder, again after each further `remind_after`, up to `reminders` of
them, and after `close_pending_after` of silence the ticket is closed. A `resolved`
ticket waits for the customer to confirm; after `close_resolved_after` it closes
itself. Silence counts from the later of the ticket entering its status and our last
public reply: an agent's reply starts the wait again, a reminder does not (it is not
news for the customer, only a nudge).

Pure: the sweep passes `now`, and what was already done is read from the ticket's
`sla_flags` ("followup:<since>:reminder:<n>"), so a sweep run twice, or two at once
(one of them loses the version check), sends each reminder once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Status, Ticket

FLAG_PREFIX = "followup:"


class MailKind(enum.StrEnum):
    """The messages the helpdesk sends to a requester; each has a template of its name."""

    ACKNOWLEDGEMENT = "acknowledgement"
    """A new ticket's key, at once on creation."""
    REPLY = "reply"
    """An agent's public reply."""
    RESOLUTION = "resolution"
    """The solution was communicated: confirm, or reply to reopen."""
    CSAT_REQUEST = "csat_request"
    """How did we do? A score from 1 to 5, asked on resolution."""
    REMINDER = "reminder"
    """A pending ticket is still waiting for the customer's answer."""
    CLOSED = "closed"
    """A pending ticket was closed for want of an answer."""


class FollowUpAction(enum.StrEnum):
    REMIND = "remind"
    CLOSE = "close"


class FollowUpError(ValueError):
    """A follow-up policy that cannot work; the message names the setting."""


@dataclass(frozen=True, slots=True)
class FollowUpPolicy:
    """The periods of the follow-up rules. A `close_*` of None never closes."""

    remind_after: timedelta = timedelta(days=3)
    reminders: int = 2
    close_pending_after: timedelta | None = timedelta(days=10)
    close_resolved_after: timedelta | None = timedelta(days=5)

    def __post_init__(self) -> None:
        if self.remind_after <= timedelta(0):
            raise FollowUpError("remind_after must be longer than nothing")
        if not 0 <= self.reminders <= 10:
            raise FollowUpError(f"reminders: from 0 to 10, not {self.reminders}")
        for name in ("close_pending_after", "close_resolved_after"):
            period = getattr(self, name)
            if period is not None and period <= timedelta(0):
                raise FollowUpError(f"{name} must be longer than nothing (or off)")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The one step a ticket is due for now."""

    action: FollowUpAction
    reason: str
    number: int = 0
    """Which reminder this is, from 1."""
    closes_at: datetime | None = None
    """When the ticket will close if the customer stays silent (for the reminder's text)."""
    flags: tuple[str, ...] = ()
    """The ticket's `sla_flags` once this step is done (reminders only)."""


def waiting_since(ticket: Ticket) -> datetime | None:
    """Since when a pending or resolved ticket waits on the customer; None otherwise."""
    if ticket.status not in (Status.PENDING, Status.RESOLVED):
        return None
    entered = ticket.updated_at
    if ticket.pauses and ticket.pauses[-1].end is None:
        entered = ticket.pauses[-1].start
    elif ticket.status is Status.RESOLVED and ticket.resolved_at is not None:
        entered = ticket.resolved_at
    last_reply = ticket.last_public_update_at
    return max(entered, last_reply) if last_reply else entered


def next_step(
    ticket: Ticket, policy: FollowUpPolicy, now: datetime, *, remind: bool = True
) -> FollowUp | None:
    """The follow-up `ticket` is due for at `now`, or None. `remind` is False where no
    reminder can reach the customer (no mail, no address): then it only closes.

    Only the latest reminder due is sent: after a week without a sweep, the customer
    gets one reminder, not all the ones missed."""
    since = waiting_since(ticket)
    if since is None:
        return None
    silent = now - since
    if ticket.status is Status.RESOLVED:
        window = policy.close_resolved_after
        if window is not None and silent >= window:
            return FollowUp(
                FollowUpAction.CLOSE,
                f"closed automatically: not reopened within {_days(window)} of the resolution",
            )
        return None
    close_after = policy.close_pending_after
    if close_after is not None and silent >= close_after:
        return FollowUp(
            FollowUpAction.CLOSE,
            f"closed automatically: no answer from the customer for {_days(close_after)}",
        )
    if not remind:
        return None
    due = min(policy.reminders, silent // policy.remind_after)
    episode = f"{FLAG_PREFIX}{since.isoformat()}:reminder:"
    sent = max(
        (int(f.rsplit(":", 1)[1]) for f in ticket.sla_flags if f.startswith(episode)), default=0
    )
    if due <= sent:
        return None
    # Flags of earlier waits are dropped: the list stays as short as one wait's reminders.
    kept = tuple(
        f for f in ticket.sla_flags if not f.startswith(FLAG_PREFIX) or f.startswith(episode)
    )
    return FollowUp(
        FollowUpAction.REMIND,
        f"reminder {due} of {policy.reminders}: no answer for {_days(silent)}",
        number=due,
        closes_at=None if close_after is None else since + close_after,
        flags=(*kept, f"{episode}{due}"),
    )


def _days(period: timedelta) -> str:
    days = period / timedelta(days=1)
    if days >= 1 and days == int(days):
        return f"{int(days)} day" + ("s" if days != 1 else "")
    hours = period / timedelta(hours=1)
    return f"{hours:.0f} hours" if hours >= 1 else f"{period.total_seconds() / 60:.0f} minutes"
