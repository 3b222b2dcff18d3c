"""A ticket's history told as sentences: one per action, in the words agents use.

The store keeps one audit entry per changed field (and per event) of each write; an
escalation alone writes seven. `narrate` groups the entries one write made (same actor,
same version, the same moment) and says each group in one sentence: "Escalated from
tier 2 to tier 3 by dmitri: needs log analysis · Assignee: dmitri → nobody". Internal
field names never appear: a field without a sentence of its own reads by its label
("Priority: P3 → P2").

Sentences are English, marked with `N_()`; `narrate` takes the translation to apply
(the screens pass theirs, the command line prints the English).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .model import (
    AuditEntry,
    Channel,
    Environment,
    Escalation,
    Priority,
    Status,
    TicketType,
)
from .sla.policy import actor_label
from .text import N_, safe_line

Translate = Callable[[str], str]

SAME_WRITE_WITHIN = timedelta(seconds=10)
"""Entries of one write carry one instant on SQL; on Request Tracker one write is a few
transactions, seconds apart, under one version."""

MAX_QUOTED = 300
"""Characters of free text (a reason, a comment) quoted in a sentence; the whole text
stays in the ticket (the note, the Details tab) and in the raw history."""

FIELD_LABELS = {
    "subject": N_("Subject"),
    "description": N_("Description"),
    "type": N_("Type"),
    "priority": N_("Priority"),
    "status": N_("Status"),
    "tier": N_("Tier"),
    "assignee": N_("Assignee"),
    "team": N_("Team"),
    "requester_name": N_("Requester"),
    "requester_email": N_("Requester e-mail"),
    "organization": N_("Organization"),
    "watchers": N_("Watchers"),
    "contacts": N_("Contacts"),
    "channel": N_("Channel"),
    "environment": N_("Environment"),
    "impact": N_("Impact"),
    "affected_users": N_("Affected users"),
    "integration": N_("Integration"),
    "category": N_("Category"),
    "tags": N_("Tags"),
    "language": N_("Language"),
    "merged_into": N_("Merged into"),
    "follow_up_of": N_("Follow-up of"),
    "csat_score": N_("Satisfaction"),
    "csat_comment": N_("Satisfaction comment"),
}
"""What each field is called where a change reads "Label: old → new"."""

_LONG_TEXT = frozenset({"description", "impact", "csat_comment"})
"""Fields too long to quote: their change reads "Description changed"."""

_UNSAID = frozenset(
    {
        "escalation",
        "escalation_reason",
        "escalated_by",
        "escalated_at",
        "escalated_from_tier",
        "first_response_at",
        "resolved_at",
        "closed_at",
    }
)
"""Fields the sentence of their write already tells (an escalation, a decision, a
status), or derived ones that follow from it (a reply sets the first response)."""

_ENUMS: dict[str, type[enum.Enum]] = {
    "type": TicketType,
    "status": Status,
    "channel": Channel,
    "environment": Environment,
}

_DECISIONS = {
    ("tier", "accept"): N_("Escalation accepted by {actor}"),
    ("tier", "reassign"): N_("Escalation reassigned to {assignee} by {actor}"),
    ("tier", "decline"): N_("Escalation declined by {actor}"),
    ("lead", "accept"): N_("Review accepted by {actor}"),
    ("lead", "reassign"): N_("Review reassigned to {assignee} by {actor}"),
    ("lead", "decline"): N_("Review declined by {actor}"),
}

_TARGETS = {
    "first_response": N_("first response"),
    "resolution": N_("resolution"),
    "update": N_("update"),
}

_MAIL = {
    "mail:queued": N_("Mail queued: {detail}"),
    "mail:sent": N_("Mail sent: {detail}"),
    "mail:failed": N_("Mail not sent yet: {detail}"),
    "mail:undeliverable": N_("Mail given up: {detail}"),
    "mail:received": N_("Mail received: {detail}"),
}


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One action in a ticket's history: when, who, and the sentence that says it."""

    at: datetime
    actor: str
    text: str
    entries: tuple[AuditEntry, ...]
    """The audit entries it tells (the raw fields, as `ticket show --json` prints them)."""


def _same(text: str) -> str:
    return text


def grouped(entries: Iterable[AuditEntry]) -> list[list[AuditEntry]]:
    """The entries, oldest first, in runs that one write made: one actor, one version
    (or none, for entries outside any write), moments apart."""
    groups: list[list[AuditEntry]] = []
    for entry in entries:
        last = groups[-1] if groups else None
        if (
            last is not None
            and last[0].actor == entry.actor
            and last[0].login == entry.login
            and last[0].version == entry.version
            and abs(entry.at - last[0].at) <= SAME_WRITE_WITHIN
        ):
            last.append(entry)
        else:
            groups.append([entry])
    return groups


def narrate(
    entries: Iterable[AuditEntry],
    tr: Translate = _same,
    *,
    from_customer: Mapping[str, str] | None = None,
) -> list[HistoryItem]:
    """One sentence per write, oldest first. `tr` translates the marked sentences and
    labels; `from_customer` maps the id of each reply the requester wrote to its author."""
    teller = _Teller(tr, dict(from_customer or {}))
    return [
        HistoryItem(group[0].at, group[0].actor, teller.sentence(group), tuple(group))
        for group in grouped(entries)
    ]


def quoted(text: str | None, limit: int = MAX_QUOTED) -> str:
    """Free text on one line, at most `limit` characters, cut between words."""
    line = " ".join(safe_line(text or "").split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.") + "…"


class _Teller:
    """Says one group of entries; `tr` is the language it says it in."""

    def __init__(self, tr: Translate, from_customer: dict[str, str]) -> None:
        self.tr = tr
        self.from_customer = from_customer

    def sentence(self, group: Sequence[AuditEntry]) -> str:
        by = {e.field: e for e in group}
        first = group[0]
        actor = safe_line(actor_label(first.actor, self.tr))
        if first.login and first.login != first.actor:
            actor = self.tr(N_("{login} as {actor}")).format(
                login=safe_line(first.login), actor=actor
            )
        reason = next((e.reason for e in group if e.reason), None)
        headline, told = self._headline(by, actor, reason)
        events: list[str] = []
        changes: list[str] = []
        for entry in group:
            if entry.field in told or entry.field in _UNSAID:
                continue
            event = self._event(entry.field, entry, actor)
            if event is not None:
                events.append(event)
            else:
                changes.append(self._change(entry))
        said = [headline] if headline else []
        said += events
        changes = [c for c in changes if c]
        if said:
            return " · ".join([*said, *changes])
        text = " · ".join(changes) or self.tr(N_("Changed"))
        if reason:
            return self.tr(N_("{changes}, by {actor}: {reason}")).format(
                changes=text, actor=actor, reason=quoted(reason)
            )
        return self.tr(N_("{changes}, by {actor}")).format(changes=text, actor=actor)

    def _headline(
        self, by: dict[str, AuditEntry], actor: str, reason: str | None
    ) -> tuple[str | None, set[str]]:
        """The sentence of the group's main action, and the fields it tells."""
        for teller in (self._created, self._decision, self._escalation, self._review):
            said = teller(by, actor, reason)
            if said is not None:
                return said
        return self._work(by, actor)

    def _created(
        self, by: dict[str, AuditEntry], actor: str, reason: str | None
    ) -> tuple[str, set[str]] | None:
        if "created" not in by:
            return None
        return self.tr(N_("Created by {actor}")).format(actor=actor), {"created"}

    def _decision(
        self, by: dict[str, AuditEntry], actor: str, reason: str | None
    ) -> tuple[str, set[str]] | None:
        event = next((f for f in by if f.startswith("decision:")), None)
        if event is None:
            return None
        verb = event.partition(":")[2]
        waited = by.get("escalation")
        kind = "lead" if waited and waited.old == Escalation.AWAITING_LEAD.value else "tier"
        text = _DECISIONS.get((kind, verb))
        if text is None:
            return None
        assignee = by.get("assignee")
        said = self.tr(text).format(
            actor=actor, assignee=safe_line(assignee.new or "") if assignee else ""
        )
        detail = by[event].new
        if detail and detail != verb:
            said += ": " + quoted(detail)
        told = {event, "note"}  # the comment is the note this write added
        if verb != "decline":
            told.add("assignee")  # accepting takes it, reassigning names who has it
        return said, told

    def _escalation(
        self, by: dict[str, AuditEntry], actor: str, reason: str | None
    ) -> tuple[str, set[str]] | None:
        tier = by.get("tier")
        if tier is None or not {"escalated_at", "escalation"} & by.keys():
            return None
        old, new = tier.old or "?", tier.new or "?"
        if old.isdigit() and new.isdigit() and int(new) < int(old):
            text = self.tr(N_("Moved down from tier {old} to tier {new} by {actor}"))
        else:
            text = self.tr(N_("Escalated from tier {old} to tier {new} by {actor}"))
        said = text.format(old=safe_line(old), new=safe_line(new), actor=actor)
        why = reason or (by["escalation_reason"].new if "escalation_reason" in by else None)
        if why:
            said += ": " + quoted(why)
        return said, {"tier"}

    def _review(
        self, by: dict[str, AuditEntry], actor: str, reason: str | None
    ) -> tuple[str, set[str]] | None:
        waits = by.get("escalation")
        if waits is None or waits.new != Escalation.AWAITING_LEAD.value:
            return None
        said = self.tr(N_("Sent for a lead's review by {actor}")).format(actor=actor)
        why = reason or (by["escalation_reason"].new if "escalation_reason" in by else None)
        if why:
            said += ": " + quoted(why)
        return said, set()

    def _work(self, by: dict[str, AuditEntry], actor: str) -> tuple[str | None, set[str]]:
        """Replies and notes, or else a change of hands: what an agent did."""
        said = [self._message(by[name], actor) for name in ("reply", "note") if name in by]
        if said:
            return " · ".join(said), {"reply", "note"}
        if "assignee" in by:
            return self._assignment(by["assignee"], actor), {"assignee"}
        watchers = by.get("watchers")
        if watchers is not None and len(by) == 1:
            before = set((watchers.old or "").split(","))
            after = set((watchers.new or "").split(","))
            if after - before == {actor} and before <= after:
                return self.tr(N_("{actor} started watching")).format(actor=actor), {"watchers"}
            if before - after == {actor} and after <= before:
                return self.tr(N_("{actor} stopped watching")).format(actor=actor), {"watchers"}
        return None, set()

    def _message(self, entry: AuditEntry, actor: str) -> str:
        if entry.field == "note":
            return self.tr(N_("Internal note by {actor}")).format(actor=actor)
        author = self.from_customer.get(entry.new or "")
        if author is not None:
            return self.tr(N_("Reply from {author} (customer)")).format(author=safe_line(author))
        return self.tr(N_("Reply by {actor}")).format(actor=actor)

    def _assignment(self, entry: AuditEntry, actor: str) -> str:
        old, new = safe_line(entry.old or ""), safe_line(entry.new or "")
        if not new:
            return self.tr(N_("Unassigned from {old} by {actor}")).format(old=old, actor=actor)
        if new == actor and not old:
            return self.tr(N_("Taken by {actor}")).format(actor=actor)
        return self.tr(N_("Assigned to {new} by {actor}")).format(new=new, actor=actor)

    def _event(self, field: str, entry: AuditEntry, actor: str) -> str | None:
        """An entry that is no field: a file, an SLA event, a reminder, triage, a refusal."""
        detail = quoted(entry.new)
        if field == "attachment":
            return self.tr(N_("File attached by {actor}: {detail}")).format(
                actor=actor, detail=detail
            )
        if field in _MAIL:
            return self.tr(_MAIL[field]).format(detail=detail)
        if field.startswith("sla:"):
            _sla, event, target = [*field.split(":"), "", ""][:3]
            what = self.tr(_TARGETS.get(target, target.replace("_", " ")))
            if event == "breached":
                text = self.tr(N_("SLA {target} target breached (by {actor})"))
            else:
                text = self.tr(N_("SLA {target} target at risk (by {actor})"))
            said = text.format(target=what, actor=actor)
            return said if detail in ("", "recorded") else f"{said}: {detail}"
        if field == "mention":
            return self.tr(N_("{actor} called in @{name}")).format(actor=actor, name=detail)
        if field == "link":
            if entry.new is None:
                text = self.tr(N_("Unlinked by {actor}: was {detail}"))
                return text.format(actor=actor, detail=quoted(entry.old))
            return self.tr(N_("Linked by {actor}: {detail}")).format(actor=actor, detail=detail)
        if field == "merge:from":
            return self.tr(N_("{key} merged into this ticket by {actor}")).format(
                key=detail, actor=actor
            )
        if field == "followup:reminder":
            return self.tr(N_("Reminder {number} sent to the requester")).format(number=detail)
        if field == "triage:accepted":
            return self.tr(N_("Triage suggestion accepted by {actor}: {detail}")).format(
                actor=actor, detail=detail
            )
        if field == "triage:dismissed":
            return self.tr(N_("Triage suggestion dismissed by {actor}")).format(actor=actor)
        if field.startswith("refused:"):
            return self.tr(N_("Refused to let {actor} {action}: {why}")).format(
                actor=actor,
                action=safe_line(field.partition(":")[2].replace("_", " ")),
                why=quoted(entry.reason),
            )
        if ":" in field or field == "purged":
            return f"{safe_line(field)}: {detail}" if detail else safe_line(field)
        return None

    def _change(self, entry: AuditEntry) -> str:
        """A field change as "Label: old → new" (lists as what was added and removed)."""
        field = entry.field
        label = FIELD_LABELS.get(field)
        if label is None:
            return ""  # an event told by `_event`, or a field nobody reads
        name = self.tr(label)
        if field in _LONG_TEXT:
            return self.tr(N_("{field} changed")).format(field=name)
        if field in ("watchers", "tags"):
            before = set(filter(None, (entry.old or "").split(",")))
            after = [v for v in (entry.new or "").split(",") if v]
            added = [f"+ {safe_line(v)}" for v in after if v not in before]
            removed = [f"− {safe_line(v)}" for v in sorted(before - set(after))]
            return f"{name}: {' '.join(added + removed)}"
        return f"{name}: {self._value(field, entry.old)} → {self._value(field, entry.new)}"

    def _value(self, field: str, value: str | None) -> str:
        if value is None or value == "":
            return self.tr(N_("nobody")) if field == "assignee" else "—"
        if field == "priority":
            try:
                return Priority(value).short
            except ValueError:
                return quoted(value, 40)
        kind = _ENUMS.get(field)
        if kind is not None:
            try:
                return self.tr(str(getattr(kind(value), "label", value)))
            except ValueError:
                return quoted(value, 40)
        if value[:4].isdigit() and "T" in value:
            try:
                return f"{datetime.fromisoformat(value).astimezone(UTC):%Y-%m-%d %H:%M}"
            except ValueError:
                pass
        return quoted(value, 80)
