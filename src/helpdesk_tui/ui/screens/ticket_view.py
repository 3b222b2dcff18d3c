"""What the ticket screen shows of a ticket: the summary line, the Details tab, and
history values, built from the ticket alone (no store, no widgets)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from ...domain.model import Escalation, Ticket
from ...domain.text import safe_line, safe_text
from ...settings.i18n import _
from ...settings.i18n import label as tr

_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def history_value(value: str | None) -> str:
    """A history value for a 40-column cell; timestamps read like the When column."""
    if not value:
        return ""
    if _ISO_TIME.match(value):
        try:
            return f"{datetime.fromisoformat(value).astimezone(UTC):%Y-%m-%d %H:%M}"
        except ValueError:
            pass
    return safe_line(value)[:40]


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
    grid.add_column()

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
