"""What became of the mail an agent's public reply causes, as the agent is told."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

from ..domain.followup import MailKind
from ..domain.model import Comment, Ticket
from ..store.base import (
    MailDirection,
    MailEntry,
    MailQueue,
    MailState,
    TicketRepository,
    mail_queue,
)
from .core import ServiceCore


class Delivery(enum.StrEnum):
    """What became of the mail an agent's public reply causes, as the agent is told."""

    QUEUED = "queued"
    """Saved and waiting in the outbox for `helpdesk-tui mail send` (or a retry)."""
    SENT = "sent"
    FAILED = "failed"
    """Given up on after its last attempt."""
    OFF = "off"
    """Outgoing mail is off here: the reply is saved, nobody was mailed."""
    NO_ADDRESS = "no_address"
    """The requester has no e-mail address: nobody was mailed."""
    NOT_MAILED = "not_mailed"
    """No mail went with it, for a reason no longer known (mail was off then)."""
    BY_STORE = "by_store"
    """The store mails the requester itself (Request Tracker's scrips)."""


_DELIVERY = {
    MailState.QUEUED: Delivery.QUEUED,
    MailState.SENT: Delivery.SENT,
    MailState.FAILED: Delivery.FAILED,
}
"""Outgoing mail's stored states (RECEIVED is incoming only, filtered out before)."""


class Outbox:
    """The store's mail queue as the mail ring works it, sending and taking in: what is
    due, holding and settling a message, a ticket's mail and the ticket a message is
    about. Only these: mail never holds the store itself.

    Delivery and intake act for the desk, not for an agent: the ticket a message is about
    is read whoever's it is (the queue only names tickets the desk wrote to)."""

    def __init__(self, repo: TicketRepository, queue: MailQueue) -> None:
        self._repo = repo
        self._queue = queue

    def get(self, key: str) -> Ticket:
        return self._repo.get(key)

    def mail_due(self, now: datetime, limit: int = 100) -> list[MailEntry]:
        return self._queue.mail_due(now, limit)

    def claim_mail(self, mail_id: int, now: datetime, until: datetime) -> MailEntry | None:
        return self._queue.claim_mail(mail_id, now, until)

    def mail_sent(self, mail_id: int, at: datetime, message_id: str, subject: str) -> None:
        self._queue.mail_sent(mail_id, at, message_id, subject)

    def mail_failed(
        self, mail_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        self._queue.mail_failed(mail_id, at, error, retry_at)

    def mail_log(self, key: str) -> list[MailEntry]:
        return self._queue.mail_log(key)

    def mail_seen(self, message_id: str) -> str | None:
        return self._queue.mail_seen(message_id)


class DeliveryUseCases(ServiceCore):
    """The mail state of replies, read from the outbox where the store keeps one."""

    def outbox(self) -> Outbox | None:
        """The mail queue for sending and taking in mail, or None where the store mails
        by itself (Request Tracker)."""
        queue = mail_queue(self._repo)
        return None if queue is None else Outbox(self._repo, queue)

    def reply_delivery(self, ticket: Ticket) -> Delivery:
        """What a public reply on `ticket` does with mail (the rule `_mail` follows);
        no I/O: the UI says it the moment the reply is saved."""
        if mail_queue(self._repo) is None:
            return Delivery.BY_STORE
        if not self.sends_mail:
            return Delivery.OFF
        return Delivery.QUEUED if ticket.requester_email else Delivery.NO_ADDRESS

    def conversation_mail(self, key: str, comments: Sequence[Comment]) -> list[Delivery | None]:
        """The mail state of each of `comments` (the ticket's, oldest first), as the outbox
        records it; None for notes and what customers wrote, and for every message of a
        store that mails by itself (it keeps no outbox to ask)."""
        queue = mail_queue(self._repo)
        if queue is None:
            return [None] * len(comments)
        self.get(key)
        # The outbox keeps no comment id: a reply's mail is the one queued by the same
        # write, carrying its text. Paired in order, so a text sent twice pairs twice.
        sent = [
            m
            for m in queue.mail_log(key)
            if m.direction is MailDirection.OUT
            and m.state in _DELIVERY
            and m.kind in (MailKind.REPLY.value, MailKind.RESOLUTION.value)
        ]
        shown: list[Delivery | None] = []
        for comment in comments:
            if not comment.is_public or comment.from_customer:
                shown.append(None)
                continue
            match = next(
                (m for m in sent if m.body == comment.body and m.created_at >= comment.created_at),
                None,
            )
            if match is None:
                shown.append(Delivery.NOT_MAILED if self.sends_mail else Delivery.OFF)
                continue
            sent.remove(match)
            shown.append(_DELIVERY[match.state])
        return shown
