"""What the ticket screen shows of a ticket: the summary line, the Details tab, and
the History tab's rows, built from what was read (no store, no widgets)."""

from __future__ import annotations

import textwrap

from rich.table import Table
from rich.text import Text

from ...domain.history import narrate
from ...domain.model import AuditEntry, Comment, Escalation, Ticket
from ...domain.text import safe_line, safe_text
from ...settings.i18n import _
from ...settings.i18n import label as tr

WHEN_CELLS = 16
"""The When column: "2026-03-04 10:30"."""


def history_rows(
    history: list[AuditEntry], comments: list[Comment], width: int
) -> list[tuple[str, Text]]:
    """The History tab: (when, what) per action, each sentence wrapped to `width`
    cells (one entry per write; `domain.history` says it in the UI's language)."""
    customers = {str(c.id): c.author for c in comments if c.from_customer}
    rows = []
    for item in narrate(history, tr, from_customer=customers):
        lines = textwrap.wrap(item.text, max(20, width), break_on_hyphens=False) or [""]
        rows.append((f"{item.at:%Y-%m-%d %H:%M}", Text("\n".join(lines))))
    return rows


def waiting_for(ticket: Ticket) -> str | None:
    """Who the ticket waits for, in words (escalation.pending_for, translated)."""
    if ticket.escalation is Escalation.AWAITING_TIER:
        return _("tier {tier}").format(tier=ticket.tier)
    if ticket.escalation is Escalation.AWAITING_LEAD:
        return _("a lead's review")
    return None


def ticket_summary(ticket: Ticket, me: str) -> Text:
    """The line under the title: priority, type, status, tier, who has it, who waits."""
    text = Text()
    style = {"critical": "bold reverse", "high": "bold"}.get(ticket.priority.value, "")
    text.append(f"{ticket.priority.short} {tr(ticket.priority.label)}", style=style)
    parts = [
        tr(ticket.type.label),
        tr(ticket.status.label),
        _("tier {tier}").format(tier=ticket.tier),
        safe_line(ticket.assignee or _("unassigned")),
        safe_line(ticket.organization or ticket.requester_email or ""),
    ]
    text.append(" · " + " · ".join(p for p in parts if p))
    waiting = waiting_for(ticket)
    if waiting:
        text.append("  " + _("⇧ waiting for {who}").format(who=waiting), style="bold")
    if me in ticket.watchers:
        text.append("  " + _("👁 watching"))
    return text


def ticket_details(ticket: Ticket) -> Table:
    """The Details tab: every field of the ticket, one row each."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    # Folded, not cut: a value with no space to wrap at (a run of wide emoji, a long
    # address) was ended with "…" and its rest lost.
    grid.add_column(overflow="fold")

    def row(label: str, value: object) -> None:
        if value in (None, "", ()):
            value = "—"
        if isinstance(value, tuple):
            value = ", ".join(str(v) for v in value)
        shown = tr(value.label) if hasattr(value, "label") else str(value)
        grid.add_row(label, Text(safe_text(shown)))

    row(_("Key"), ticket.key)
    row(_("Subject"), ticket.subject)
    row(_("Type"), ticket.type)
    row(_("Priority"), f"{ticket.priority.short} {tr(ticket.priority.label)}")
    row(_("Status"), ticket.status)
    row(_("Tier"), ticket.tier)
    row(_("Assignee"), ticket.assignee)
    row(_("Team"), ticket.team)
    row(_("Requester"), ticket.requester)
    row(_("Organization"), ticket.organization)
    row(_("Contacts"), ticket.contacts)
    row(_("Watchers"), ticket.watchers)
    row(_("Channel"), ticket.channel)
    row(_("Environment"), ticket.environment)
    row(_("Impact"), ticket.impact)
    row(_("Affected users"), ticket.affected_users)
    row(_("Integration"), ticket.integration)
    row(_("Category"), ticket.category)
    row(_("Tags"), ticket.tags)
    row(_("Language"), ticket.language)
    row(_("Escalation"), waiting_for(ticket) or _("none"))
    row(_("Escalation reason"), ticket.escalation_reason)
    times = {
        "created_at": _("Created"),
        "updated_at": _("Updated"),
        "first_response_at": _("First response"),
        "resolved_at": _("Resolved"),
        "closed_at": _("Closed"),
    }
    for name, label in times.items():
        value = getattr(ticket, name)
        row(label, f"{value:%Y-%m-%d %H:%M} UTC" if value else None)
    row(
        _("Satisfaction"),
        f"{ticket.csat_score}/5 {ticket.csat_comment or ''}" if ticket.csat_score else None,
    )
    row(_("Version"), ticket.version)
    return grid
