"""The checks a use case runs on what it is given: text, names, files, new tickets."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..domain import sla
from ..domain.model import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_LINE,
    InvalidTicket,
    Ticket,
    check_new_ticket,
    check_text,
)
from ..domain.sla import Policy
from ..store.base import NewAttachment
from .errors import ServiceError


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
