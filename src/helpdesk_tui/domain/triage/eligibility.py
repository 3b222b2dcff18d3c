"""Whether a ticket is offered a suggestion, and what triage says about it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import AuditEntry, Status, Ticket
from .index import SimilarTicket
from .suggestion import Suggestion
from .votes import FIELDS

ACCEPTED_TAG = "triage:accepted"
DISMISSED_TAG = "triage:dismissed"
TRIAGE_TAGS = frozenset({ACCEPTED_TAG, DISMISSED_TAG})


@dataclass(frozen=True, slots=True)
class Triage:
    """What triage says about one ticket, as of `version`."""

    key: str
    version: int
    suggestion: Suggestion
    why_not: str | None
    """None when the suggestion is offered (to accept or dismiss); otherwise why not."""
    similar: tuple[SimilarTicket, ...] = ()

    @property
    def offered(self) -> bool:
        return self.why_not is None


def why_not_offered(ticket: Ticket, history: Sequence[AuditEntry] = ()) -> str | None:
    """None when a suggestion should be offered for `ticket`; otherwise why not, in words.

    Offered for new tickets nobody has triaged: not yet worked (status new), no accepted
    or dismissed suggestion (a tag on the ticket, so it is seen without reading history),
    and no priority, type or tier set by hand since it was created.
    """
    if ticket.status is not Status.NEW:
        return f"{ticket.key} is {ticket.status.label}: triage is for new tickets"
    if ACCEPTED_TAG in ticket.tags:
        return "a suggestion was accepted"
    if DISMISSED_TAG in ticket.tags:
        return "the suggestion was dismissed"
    for entry in history:
        if entry.field in FIELDS:
            return f"{entry.field} was set by {entry.actor}"
    return None
