"""What comes from outside: the requester's replies, confirmations and ratings, and
other mail about a ticket. Each is written on the version just read, without an agent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from ..domain import lifecycle
from ..domain.access import Action
from ..domain.lifecycle import TransitionError
from ..domain.model import Comment, CommentKind, Status, Ticket
from ..store.base import MailRecord
from .checks import attachment, clean_body, short_text
from .core import ServiceCore
from .errors import ServiceError


class CustomerUseCases(ServiceCore):
    """The requester's side of a ticket, and the satisfaction they report."""

    def customer_reply(
        self,
        key: str,
        body: str,
        author: str | None = None,
        *,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
    ) -> Ticket:
        """What the requester wrote (mail, portal). Reopens pending and resolved tickets."""
        ticket = self._open_to_customer(key)
        now = self.clock()
        fields: dict[str, object] = {"last_customer_reply_at": now}
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            fields.update(lifecycle.status_fields(ticket, Status.OPEN, now))
        comment = self._customer_comment(ticket, body, author, now)
        return self._from_outside(ticket, fields, None, comment, attachments, received)

    def customer_confirm(
        self, key: str, body: str, author: str | None = None, *, received: MailRecord | None = None
    ) -> Ticket:
        """The requester confirms the resolution: the ticket closes now, with their words."""
        ticket = self._open_to_customer(key)
        if ticket.status is not Status.RESOLVED:
            raise TransitionError(f"{key} is {ticket.status.label}: only a resolution is confirmed")
        now = self.clock()
        fields: dict[str, object] = {"last_customer_reply_at": now}
        fields.update(lifecycle.status_fields(ticket, Status.CLOSED, now))
        comment = self._customer_comment(ticket, body, author, now)
        return self._from_outside(
            ticket, fields, "confirmed by the customer", comment, (), received
        )

    def customer_csat(
        self,
        key: str,
        score: int,
        comment: str | None = None,
        author: str | None = None,
        *,
        received: MailRecord | None = None,
    ) -> Ticket:
        """The requester's answer to the satisfaction survey (by mail): recorded as theirs."""
        ticket = self._repo.get(key)
        fields = csat_fields(ticket, score, comment)
        who = author or ticket.requester_email or "customer"
        return self._from_outside(ticket, fields, f"rated {score}/5 by {who}", None, (), received)

    def mail_note(
        self,
        key: str,
        body: str,
        author: str,
        *,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
    ) -> Ticket:
        """Mail about a ticket that is not its requester's answer (a bounce, an automatic
        reply, somebody else): kept as an internal note; nothing reopens, nobody is answered."""
        ticket = self._repo.get(key)
        comment = Comment(CommentKind.NOTE, author, clean_body(body), self.clock())
        return self._from_outside(ticket, {}, None, comment, attachments, received)

    def _open_to_customer(self, key: str) -> Ticket:
        ticket = self._repo.get(key)
        if ticket.status.is_final:
            raise TransitionError(
                f"{key} is {ticket.status.label}: a new message opens a follow-up ticket"
            )
        return ticket

    @staticmethod
    def _customer_comment(ticket: Ticket, body: str, author: str | None, at: datetime) -> Comment:
        return Comment(
            CommentKind.REPLY,
            author or ticket.requester_email or ticket.requester_name or "customer",
            clean_body(body),
            at,
            from_customer=True,
        )

    def _from_outside(
        self,
        ticket: Ticket,
        fields: Mapping[str, object],
        reason: str | None,
        comment: Comment | None,
        attachments: Sequence[Path],
        received: MailRecord | None,
    ) -> Ticket:
        # Based on the version just read: what the customer wrote does not depend on
        # what an agent changed meanwhile, and a conflict is for the caller to retry.
        files = [attachment(path) for path in attachments]
        mail = [received] if received else []
        return self._commit(
            ticket,
            self._change(
                ticket, ticket.version, fields, reason, comment=comment, files=files, mail=mail
            ),
        )

    def record_csat(
        self, key: str, base_version: int, score: int, comment: str | None = None
    ) -> Ticket:
        """A score the customer gave an agent (on the phone): recorded by whoever may
        change the ticket; a score already recorded is the customer's word, and only a
        lead changes it. The comment is what the agent noted of the customer's words: a
        sentence or two (the customer's own, by mail, are kept whole: `customer_csat`)."""
        short_text(comment, "the satisfaction comment")
        ticket = self._repo.get(key)
        self._require(Action.UPDATE if ticket.csat_score is None else Action.CHANGE_CSAT, ticket)
        return self._commit(
            ticket, self._change(ticket, base_version, csat_fields(ticket, score, comment))
        )


def csat_fields(ticket: Ticket, score: int, comment: str | None) -> dict[str, object]:
    if not 1 <= score <= 5:
        raise ServiceError(f"satisfaction is a score from 1 to 5, not {score}")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ServiceError(f"{ticket.key} is {ticket.status.label}: CSAT is asked on resolution")
    return {"csat_score": score, "csat_comment": (comment or "").strip() or None}
