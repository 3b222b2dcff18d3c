"""Small helpers shared by the store tests: a change and the messages an agent writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpdesk_tui.domain.model import Comment, CommentKind, Ticket
from helpdesk_tui.store.base import Change

from .conftest import NOW

ME = "me"
"""The acting agent; "bob", "carol" and "dave" are agents too (RT users on RT)."""


def change(ticket: Ticket, minutes: int = 5, **kw: Any) -> Change:
    """A change based on `ticket`'s version, by "me", `minutes` after NOW."""
    return Change(
        key=ticket.key,
        base_version=ticket.version,
        actor=ME,
        at=NOW + timedelta(minutes=minutes),
        **kw,
    )


def note(body: str, minutes: int = 5) -> Comment:
    """An internal note by "me"."""
    return Comment(CommentKind.NOTE, ME, body, NOW + timedelta(minutes=minutes))


def reply(body: str, author: str = ME, from_customer: bool = False) -> Comment:
    """A public reply, by "me" unless `author` says who."""
    return Comment(CommentKind.REPLY, author, body, NOW, from_customer)
