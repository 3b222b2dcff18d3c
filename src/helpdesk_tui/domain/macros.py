"""Canned replies (macros): a title, a body per language with a few placeholders, and
the field changes that go with it.

A macro is written by the helpdesk's own people, but what it is filled in with is not:
a subject or a requester's name is whatever a customer typed. The body is filled in by
one pass of `string.Template`, which never looks at what it inserted again, so a subject
reading "$agent" stays "$agent"; each value is made one safe line first (no escape
sequences, no newlines), and nothing here or after it parses markup.

Reading macro files is the settings ring's work (settings/macros.py); the rules a macro
obeys, whatever file it came from, are here, each refusal naming its key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from string import Template

from .model import MAX_LINE, Priority, Status, Ticket
from .sla import TargetKind, TargetStatus
from .text import safe_line

PLACEHOLDERS = ("requester_name", "key", "agent", "subject", "due")
"""What a body may say with `$name` (or `${name}`); `$$` is a dollar sign."""

LANGUAGES = ("en", "sv", "pt")
"""The languages a macro may have a body in: the app's own (settings/i18n.py)."""

FALLBACK = "en"
"""Every macro has a body in this language; a ticket in any other language gets it."""

ME = "me"
"""An assignee change to "me" gives the ticket to the agent who sends the macro."""

MAX_TITLE = 200
MAX_MACRO_BODY = 100_000
"""Far above any canned reply; a file bigger than this is a mistake, not a macro."""


class MacroError(ValueError):
    """A macro that breaks a rule: `key` names where (e.g. "body.sv", "changes.tags")."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True, slots=True)
class MacroChanges:
    """Field changes sent in the same write as the macro's reply or note."""

    status: Status | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    """Tags added (the ticket keeps its own)."""
    assignee: str | None = None
    """An agent's username, or ME."""

    @property
    def is_empty(self) -> bool:
        return self == MacroChanges()

    def summary(self) -> str:
        """One line for a list: "status=pending priority=high tags=+a,+b assignee=me"."""
        parts = []
        if self.status is not None:
            parts.append(f"status={self.status.value}")
        if self.priority is not None:
            parts.append(f"priority={self.priority.value}")
        if self.tags:
            parts.append("tags=" + ",".join(f"+{tag}" for tag in self.tags))
        if self.assignee is not None:
            parts.append(f"assignee={self.assignee}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Macro:
    """One canned reply; `name` is its file's stem, what the picker and `--macro` use."""

    name: str
    title: str
    bodies: Mapping[str, str]
    """Language → body; always has FALLBACK."""
    changes: MacroChanges = field(default_factory=MacroChanges)

    def __post_init__(self) -> None:
        check_macro(self)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(code for code in LANGUAGES if code in self.bodies)

    def body_for(self, language: str) -> str:
        """The body in `language` ("pt-BR" and "PT" count as pt), else in FALLBACK."""
        code = language.strip().lower().replace("_", "-").partition("-")[0]
        return self.bodies.get(code) or self.bodies[FALLBACK]


def check_macro(macro: Macro) -> None:
    """MacroError naming the first key that breaks a rule; nothing when none does."""
    name = macro.name
    if not name.strip() or name != name.strip() or not name.isprintable():
        raise MacroError("name", f"{safe_line(name)[:60]!r} is not a macro name")
    _check_line("title", macro.title, MAX_TITLE)
    for language in macro.bodies:
        if language not in LANGUAGES:
            raise MacroError(
                f"body.{language}",
                f"no such language (a body may be in {', '.join(LANGUAGES)})",
            )
    if FALLBACK not in macro.bodies:
        raise MacroError(f"body.{FALLBACK}", "missing: every macro needs an English body")
    for language in macro.languages:
        check_template(f"body.{language}", macro.bodies[language])
    tags = macro.changes.tags
    for tag in tags:
        _check_line("changes.tags", tag, MAX_LINE)
    if len(set(tags)) != len(tags):
        raise MacroError("changes.tags", "a tag is listed twice")
    if macro.changes.assignee is not None:
        _check_line("changes.assignee", macro.changes.assignee, MAX_LINE)


def check_template(key: str, body: str) -> None:
    """A body is text with only the known placeholders in it; `$$` for a dollar sign."""
    if not isinstance(body, str):
        raise MacroError(key, "expected text")
    if not body.strip():
        raise MacroError(key, "empty")
    if len(body) > MAX_MACRO_BODY:
        raise MacroError(key, f"longer than {MAX_MACRO_BODY:,} characters")
    for match in Template.pattern.finditer(body):
        if match["invalid"] is not None:
            line = body.count("\n", 0, match.start()) + 1
            after = body[match.start() : match.start() + 12].split("\n")[0]
            raise MacroError(
                key,
                f"line {line}: {safe_line(after)!r} is no placeholder (write $$ for a dollar sign)",
            )
        name = match["named"] or match["braced"]
        if name is not None and name not in PLACEHOLDERS:
            known = ", ".join(f"${p}" for p in PLACEHOLDERS)
            raise MacroError(key, f"unknown placeholder ${name} (known: {known})")


def render(
    macro: Macro,
    ticket: Ticket,
    agent_name: str,
    language: str | None = None,
    due_text: str = "",
) -> str:
    """The macro's body for `ticket` (in `language`, by default the ticket's), its
    placeholders filled in once: what is inserted is never read as a placeholder."""
    values = {
        "requester_name": ticket.requester_name,
        "key": ticket.key,
        "agent": agent_name,
        "subject": ticket.subject,
        "due": due_text,
    }
    safe = {name: safe_line(" ".join(value.split())) for name, value in values.items()}
    body = macro.body_for(ticket.language if language is None else language)
    # substitute, not safe_substitute: a body passed check_template, so a placeholder
    # left unfilled would be a bug to hear about, not text to send to a customer.
    return Template(body).substitute(safe)


def due_text(statuses: Sequence[TargetStatus]) -> str:
    """$due: when the ticket's resolution is due, "2026-03-05 14:00 UTC"; "" when its
    resolution clock has stopped or stands in a pause."""
    for status in statuses:
        if (
            status.kind is TargetKind.RESOLUTION
            and status.is_unmet
            and status.due_at is not None
            and not status.in_pause
        ):
            return f"{status.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return ""


def _check_line(key: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise MacroError(key, "expected text")
    if not value.strip():
        raise MacroError(key, "empty")
    if "\n" in value or "\r" in value:
        raise MacroError(key, "must be one line")
    if len(value) > limit:
        raise MacroError(key, f"longer than {limit} characters")


@dataclass(frozen=True, slots=True)
class SharedMacro:
    """A macro file kept in the store, so a team on one PostgreSQL server shares it:
    its name, the team it is for ("" for everybody), its file's format ("toml" or "md")
    and text, exactly as the file was."""

    name: str
    team: str
    format: str
    text: str
    updated_by: str | None = None
    updated_at: datetime | None = None
