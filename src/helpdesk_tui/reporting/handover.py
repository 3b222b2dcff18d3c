"""A shift handover (service/handover.py) as text, Markdown or JSON.

Text is for pasting into a chat or a mail: plain, no colour, a title line naming the
agent and the period, then each ticket as `KEY  P1  subject  — what`. Markdown is the
same for a chat that renders it. JSON is for scripts: stable keys, ISO 8601 times (UTC),
null where there is nothing. Every name and subject comes from the store and is made
safe to print (`safe_line`); the sentences are English, marked for the screen, which
passes its own translation as `tr`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..domain.text import N_, safe_line
from ..service.handover import Did, Handover, HandoverLine, Section

FORMATS = ("text", "markdown", "json")
SUBJECT_WIDTH = 60
"""Characters of a subject on a line: the rest is cut with "…"."""

Translate = Callable[[str], str]

_WHAT = {
    Did.REPLIED: N_("replied"),
    Did.NOTED: N_("internal note"),
    Did.TOOK: N_("took it"),
    Did.ASSIGNED: N_("assigned to {detail}"),
    Did.UNASSIGNED: N_("unassigned it"),
    Did.STATUS: N_("status → {detail}"),
    Did.PRIORITY: N_("priority → {detail}"),
    Did.ESCALATED: N_("escalated to tier {detail}"),
    Did.MOVED_DOWN: N_("moved down to tier {detail}"),
    Did.REVIEW_ASKED: N_("sent for a lead's review"),
    Did.DECIDED: N_("escalation: {detail}"),
    Did.CREATED: N_("created it"),
    Did.CHANGED: N_("changed {detail}"),
    Did.NEW: N_("new, not acknowledged"),
    Did.CUSTOMER_REPLIED: N_("the customer replied"),
    Did.AWAITING_TIER: N_("escalated to my tier by {detail}, nobody has accepted it"),
    Did.AWAITING_REVIEW: N_("waits for a lead's review (asked by {detail})"),
}
_DECISIONS = {"accept": N_("accepted"), "reassign": N_("reassigned"), "decline": N_("declined")}
_STATUS_NOW = N_("now {status}")
_LEFT = N_("{left} left")
_DUE_AT = N_("due {moment}")
_UNASSIGNED = N_("unassigned")


def _same(text: str) -> str:
    return text


def what(line: HandoverLine, tr: Translate = _same) -> str:
    """What the line says of its ticket, in the words of `tr`."""
    if line.did is Did.DUE:
        said = tr(_LEFT if line.countdown else _DUE_AT).format(
            left=line.time_left, moment=line.time_left
        )
        return said if line.detail else f"{said} · {tr(_UNASSIGNED)}"
    detail = safe_line(line.detail)
    if line.did is Did.DECIDED:
        detail = tr(_DECISIONS.get(line.detail, line.detail))
    elif line.did is Did.STATUS:
        detail = tr(detail.replace("_", " "))
    said = tr(_WHAT[line.did]).format(detail=detail or "?")
    if line.did in _TOUCHED:
        said += " · " + tr(_STATUS_NOW).format(status=tr(line.ticket.status.label))
    return said


_TOUCHED = frozenset(
    {
        Did.REPLIED,
        Did.NOTED,
        Did.TOOK,
        Did.ASSIGNED,
        Did.UNASSIGNED,
        Did.STATUS,
        Did.PRIORITY,
        Did.ESCALATED,
        Did.MOVED_DOWN,
        Did.REVIEW_ASKED,
        Did.DECIDED,
        Did.CREATED,
        Did.CHANGED,
    }
)


def subject(line: HandoverLine) -> str:
    text = " ".join(safe_line(line.ticket.subject).split())
    return text if len(text) <= SUBJECT_WIDTH else text[: SUBJECT_WIDTH - 1] + "…"


def title(handover: Handover, tr: Translate = _same) -> str:
    agent = handover.agent
    who = safe_line(agent.name) if agent.name else safe_line(agent.username)
    if agent.name and agent.name != agent.username:
        who += f" ({safe_line(agent.username)})"
    return tr(N_("Handover: {agent} · {since} → {now} UTC")).format(
        agent=who, since=_instant(handover.since), now=_instant(handover.now, handover.since)
    )


def headings(handover: Handover, tr: Translate = _same) -> list[tuple[str, Section]]:
    """Each section with its heading: "Touched since 02:30 (3)"."""
    named = (
        (N_("Touched since {time}"), handover.touched, handover.since),
        (N_("Waiting on me"), handover.waiting, None),
        (N_("Breaching by {time}"), handover.breaching, handover.until),
    )
    found = []
    for text, section, at in named:
        heading = tr(text).format(time=_instant(at, handover.now) if at else "")
        count = (
            "" if section.unsupported else f" ({section.total}{'' if section.complete else '+'})"
        )
        found.append((heading + count, section))
    return found


def section_notes(section: Section, tr: Translate = _same) -> list[str]:
    """What follows a section's lines: nothing in it, how many more, why it is missing."""
    if section.unsupported:
        return [tr(N_("not available: {why}")).format(why=safe_line(section.unsupported))]
    if not section.lines:
        return [tr(N_("nothing"))]
    if section.more:
        plus = "" if section.complete else "+"
        return [tr(N_("and {count} more")).format(count=f"{section.more}{plus}")]
    return []


def text_lines(handover: Handover, tr: Translate = _same) -> Iterator[str]:
    yield title(handover, tr)
    for heading, section in headings(handover, tr):
        yield ""
        yield heading
        width = max((len(safe_line(line.ticket.key)) for line in section.lines), default=0)
        for line in section.lines:
            key = safe_line(line.ticket.key).ljust(width)
            yield f"{key}  {line.ticket.priority.short}  {subject(line)}  — {what(line, tr)}"
        yield from (f"  {note}" for note in section_notes(section, tr))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!])")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_lines(handover: Handover, tr: Translate = _same) -> Iterator[str]:
    yield f"### {_md(title(handover, tr))}"
    for heading, section in headings(handover, tr):
        yield ""
        yield f"**{_md(heading)}**"
        yield ""
        for line in section.lines:
            yield (
                f"- `{safe_line(line.ticket.key)}` {line.ticket.priority.short} "
                f"{_md(subject(line))} — {_md(what(line, tr))}"
            )
        yield from (f"- *{_md(note)}*" for note in section_notes(section, tr))


def to_json(handover: Handover) -> dict[str, Any]:
    agent = handover.agent
    return {
        "agent": {
            "username": agent.username,
            "name": agent.name,
            "tier": agent.tier,
            "role": agent.role.value,
        },
        "now": handover.now.isoformat(),
        "since": handover.since.isoformat(),
        "until": handover.until.isoformat(),
        "touched": _section_json(handover.touched),
        "waiting": _section_json(handover.waiting),
        "breaching": _section_json(handover.breaching),
    }


def _section_json(section: Section) -> dict[str, Any]:
    return {
        "total": section.total,
        "more": section.more,
        "complete": section.complete,
        "unsupported": section.unsupported,
        "tickets": [_line_json(line) for line in section.lines],
    }


def _line_json(line: HandoverLine) -> dict[str, Any]:
    ticket = line.ticket
    due = line.did is Did.DUE
    return {
        "key": ticket.key,
        "priority": ticket.priority.short,
        "status": ticket.status.value,
        "tier": ticket.tier,
        "assignee": ticket.assignee,
        "subject": ticket.subject,
        "kind": line.did.value,
        "detail": None if due else line.detail or None,
        "what": what(line),
        "at": None if due or line.at is None else line.at.isoformat(),
        "due_at": None if ticket.sla_due_at is None else ticket.sla_due_at.isoformat(),
        "time_left": line.time_left or None,
    }


def render(handover: Handover, fmt: str) -> str:
    """The whole handover in `fmt` (one of FORMATS), ending in a newline."""
    if fmt == "json":
        return json.dumps(to_json(handover), indent=2) + "\n"
    lines = markdown_lines(handover) if fmt == "markdown" else text_lines(handover)
    return "".join(line + "\n" for line in lines)


def _instant(at: datetime, beside: datetime | None = None) -> str:
    """ "2026-03-04 02:30", or only "02:30" on the day of `beside`."""
    at = at.astimezone(UTC)
    if beside is not None and at.date() == beside.astimezone(UTC).date():
        return f"{at:%H:%M}"
    return f"{at:%Y-%m-%d %H:%M}"
