"""The checks a use case runs on what it is given: text, names, files, new tickets."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ..domain import sla
from ..domain.model import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_LINE,
    InvalidTicket,
    Team,
    Ticket,
    check_new_ticket,
    check_text,
)
from ..domain.sla import Policy
from ..store.base import NewAttachment
from .errors import ServiceError

MAX_REASON = 1_000
"""A reason (for a status change, an escalation, a decision) and a satisfaction comment an
agent types, in characters: the app takes them on one line and the history quotes them,
as it does a name (MAX_LINE); a longer account belongs in a note (MAX_BODY)."""
SHOWN_TEAMS = 10
"""Team names a refusal lists: the line stays readable in a store with many teams."""


def with_sla_columns(ticket: Ticket, policy: Policy) -> Ticket:
    due, risk = sla.sla_columns(ticket, policy)
    if due == ticket.sla_due_at and risk == ticket.sla_risk_at:
        return ticket
    return ticket.with_changes(sla_due_at=due, sla_risk_at=risk)


def valid_new(ticket: Ticket) -> Ticket:
    try:
        return check_new_ticket(ticket)
    except InvalidTicket as exc:
        raise ServiceError(str(exc)) from None


def one_line(text: str, what: str) -> None:
    """A name: not empty, on one line, at most MAX_LINE characters."""
    if not text.strip():
        raise ServiceError(f"{what} cannot be empty")
    if "\n" in text or "\r" in text:
        raise ServiceError(f"{what} must be on one line")
    checked_text(what, text, MAX_LINE)


def checked_text(what: str, text: str, limit: int) -> None:
    try:
        check_text(what, text, limit)
    except InvalidTicket as exc:
        raise ServiceError(str(exc)) from None


def short_text(text: str | None, what: str) -> None:
    """A reason or a comment of at most MAX_REASON characters (None or blank: none)."""
    if text is not None and len(text.strip()) > MAX_REASON:
        raise ServiceError(
            f"{what} is longer than {MAX_REASON} characters; write the details in a note"
        )


def known_team(team: str, teams: Iterable[Team]) -> None:
    """Refuse a team the store does not list: a misspelt one files the ticket where no
    team looks for it."""
    names = sorted(t.name for t in teams)
    if team in names:
        return
    if not names:
        known = "there are no teams yet (an admin adds one with `team add`)"
    else:
        more = ", …" if len(names) > SHOWN_TEAMS else ""
        known = f"the teams are {', '.join(names[:SHOWN_TEAMS])}{more}"
    raise ServiceError(f"no team called {team[:80]!r}: {known}")


def clean_line(text: str, what: str, limit: int) -> str:
    line = " ".join(text.split())
    # Nothing a person could read (a bell, a zero-width space) is empty too.
    if not any(unicodedata.category(ch)[0] not in "CZ" for ch in line):
        raise ServiceError(f"{what} cannot be empty")
    if len(line) > limit:
        raise ServiceError(f"{what} is longer than {limit} characters")
    return line


def clean_body(text: str) -> str:
    body = text.strip("\n")
    if not body.strip():
        raise ServiceError("the message is empty")
    if len(body) > MAX_BODY:
        raise ServiceError(f"the message is longer than {MAX_BODY} characters")
    return body


def attachment(path: Path) -> NewAttachment:
    if not path.is_file():
        raise ServiceError(f"no such file to attach: {path}")
    size = path.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        raise ServiceError(
            f"{path.name} is {size / 1e6:.1f} MB; attachments are limited to "
            f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"
        )
    return NewAttachment(path.name, path)
