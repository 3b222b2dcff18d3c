"""What both stores accept in a `Change`, how a value reads in the history, and how a
search box splits into words (and symbols): one set of rules, so SQL and Request Tracker
agree."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from ..domain.model import (
    DERIVED_FIELDS,
    EDITABLE_FIELDS,
    MAX_ATTACHMENT_BYTES,
    Channel,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    TicketType,
)
from .base import InvalidInput
from .sql.column_types import to_utc

AUDITED_FIELDS = EDITABLE_FIELDS | {"first_response_at", "resolved_at", "closed_at"}
"""Fields whose changes get a history entry (derived SLA columns and pauses do not)."""

MAX_SEARCH_TOKENS = 16

_E = TypeVar("_E", bound=Enum)


def audit_text(value: object) -> str | None:
    """How a field value reads in the history: enums by value, lists comma-joined."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        if all(isinstance(v, str) for v in value):
            return ",".join(value)
        return ",".join(pause_text(v) if isinstance(v, PauseInterval) else str(v) for v in value)
    return str(value)


def pause_text(p: PauseInterval) -> str:
    end = "" if p.end is None else p.end.isoformat()
    return f"{p.start.isoformat()}/{end}:{p.status.value}"


# --- validating the fields of a Change -----------------------------------------------


def check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text, not {type(value).__name__}")
    return value


def check_attachment_size(filename: str, size: int) -> None:
    """Every store takes files up to MAX_ATTACHMENT_BYTES (90 MB), and no larger."""
    if size > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise InvalidInput(
            f"{filename} is {size / (1024 * 1024):.1f} MB; attachments may be at most {limit} MB"
        )


def check_opt_str(name: str, value: object) -> str | None:
    # "" and None both mean "nobody"/"none": one spelling keeps the unassigned filter exact.
    if value is None or value == "":
        return None
    return check_str(name, value)


def check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number, not {value!r:.40}")
    return value


def check_opt_int(name: str, value: object) -> int | None:
    return None if value is None else check_int(name, value)


def check_opt_ts(name: str, value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a timestamp, not {value!r:.40}")
    return to_utc(value)


def check_ts(name: str, value: object) -> datetime:
    checked = check_opt_ts(name, value)
    if checked is None:
        raise InvalidInput(f"{name} cannot be empty")
    return checked


def check_strs(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"{name} must be a list of names")
    items = tuple(value)
    if not all(isinstance(v, str) for v in items):
        raise InvalidInput(f"{name} must be a list of names")
    return items


def check_watchers(name: str, value: object) -> tuple[str, ...]:
    # Duplicates would mean nothing and break the (ticket, username) key of the index table.
    return tuple(dict.fromkeys(v for v in check_strs(name, value) if v))


def check_pauses(name: str, value: object) -> tuple[PauseInterval, ...]:
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise InvalidInput(f"{name} must be a list of pause intervals")
    items = tuple(value)
    if not all(isinstance(p, PauseInterval) for p in items):
        raise InvalidInput(f"{name} must be a list of pause intervals")
    return items


def enum_check(kind: type[_E], optional: bool) -> Callable[[str, object], Any]:
    members = {str(m.value): m for m in kind}

    def check(name: str, value: object) -> _E | None:
        if value is None and optional:
            return None
        if isinstance(value, str):
            member = members.get(value)
            if member is not None:
                return member
        choices = ", ".join(members)
        raise InvalidInput(f"{name} cannot be {value!r:.40} (choose from {choices})")

    return check


FIELD_CHECKS: dict[str, Callable[[str, object], Any]] = {
    **dict.fromkeys(
        ("subject", "description", "requester_name", "requester_email", "impact", "language"),
        check_str,
    ),
    **dict.fromkeys(
        (
            "assignee",
            "team",
            "organization",
            "integration",
            "category",
            "escalation_reason",
            "escalated_by",
            "merged_into",
            "follow_up_of",
            "csat_comment",
        ),
        check_opt_str,
    ),
    "type": enum_check(TicketType, False),
    "priority": enum_check(Priority, False),
    "status": enum_check(Status, False),
    "channel": enum_check(Channel, False),
    "escalation": enum_check(Escalation, False),
    "environment": enum_check(Environment, True),
    "tier": check_int,
    **dict.fromkeys(("affected_users", "escalated_from_tier", "csat_score"), check_opt_int),
    "watchers": check_watchers,
    **dict.fromkeys(("tags", "sla_flags"), check_strs),
    **dict.fromkeys(
        (
            "first_response_at",
            "resolved_at",
            "closed_at",
            "last_public_update_at",
            "last_customer_reply_at",
            "escalated_at",
            "sla_due_at",
            "sla_risk_at",
        ),
        check_opt_ts,
    ),
    "updated_at": check_ts,
    "pauses": check_pauses,
}
assert set(FIELD_CHECKS) == EDITABLE_FIELDS | DERIVED_FIELDS, "a writable field lacks a check"


# Letters and digits only: the characters FTS5's unicode61 and PostgreSQL's parser treat
# as word characters. Everything else (quotes, operators, "*", "-", "_") separates.
_TOKEN_RE = re.compile(r"[^\W_]+")


def search_tokens(text: str | None) -> list[str]:
    """The words of a search box, as the backends will look them up (at most 16)."""
    if not text:
        return []
    return _TOKEN_RE.findall(text)[:MAX_SEARCH_TOKENS]


# Emoji and other pictographs (Unicode "So"), with what joins and shapes them (ZWJ,
# variation selectors, skin tones, keycaps): no full-text index keeps them (FTS5's
# unicode61 and PostgreSQL's parser both treat them as spaces), so a search for "🔥"
# had no words left and matched every ticket. They are looked for as text instead.
_SYMBOL_PARTS = frozenset({"\u200d", "\ufe0e", "\ufe0f", "\u20e3"})


def search_symbols(text: str | None) -> list[str]:
    """The runs of symbols in a search box ("🔥", "👩‍💻"), each to be found as it is
    written (at most 16). Punctuation is not among them: it separates words."""
    if not text:
        return []
    found: list[str] = []
    run: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "So" or (run and (char in _SYMBOL_PARTS or category in ("Sk", "Mn"))):
            run.append(char)
            continue
        if run:
            found.append("".join(run))
            run = []
    if run:
        found.append("".join(run))
    return list(dict.fromkeys(found))[:MAX_SEARCH_TOKENS]
