"""How a value reads in the history, and how a search box splits into words (and
symbols): one set of rules, so SQL and Request Tracker agree. What a write accepts is
in validation.py."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import Enum
from typing import TypeVar

from ..domain.model import (
    EDITABLE_FIELDS,
    PauseInterval,
)

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
