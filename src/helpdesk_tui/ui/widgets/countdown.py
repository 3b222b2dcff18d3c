"""A live SLA countdown that repaints only itself, and only when its text changes.

The SLA board shows dozens of these ticking at once over slow links: each one is
its own small widget, so a tick writes a few cells, not the table. Every SLA cell on
every screen reads through `clock_text` / `ticket_sla_text`: the domain's one
formatter (`sla.clock_cell`), in the UI's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual.widget import Widget

from ...domain import sla
from ...domain.model import Ticket
from ...domain.sla import ClockState, Policy, TargetStatus
from ...domain.text import safe_line
from ...settings.i18n import _
from ...settings.i18n import label as tr

TONES = ("at-risk", "breached", "paused", "met", "running")
"""The tones `sla.ClockCell` gives; each is a CSS class (and a table style) of its own."""


def clock_text(status: TargetStatus | None, now: datetime) -> sla.ClockCell:
    """One clock's cell ("2h10m", "Mon 09:31", "-3h32m", "met"), translated."""
    return sla.clock_cell(status, now, words=tr)


def ticket_sla_text(
    ticket: Ticket, statuses: Sequence[TargetStatus], now: datetime
) -> sla.ClockCell:
    """A ticket's SLA cell in a list, translated: the clock it is sorted by."""
    return sla.ticket_cell(ticket.status, statuses, now, words=tr)


def working_time_text(statuses: Sequence[TargetStatus], now: datetime) -> str:
    """The working time of the clock the lists show (or, when none counts, of the last
    one): "resolution: due Mon 09:31 · 2h45m working time left of 8h". Times are UTC,
    as everywhere; the line fits 78 columns in English."""
    status = sla.list_clock(statuses)
    status = status or next((s for s in statuses if s.in_pause), None)
    if status is None and statuses:
        status = statuses[-1]
    if status is None:
        return ""
    clock = tr(status.kind.label)
    target = sla.format_span(status.target)
    used = sla.format_span(status.elapsed)
    left = sla.format_span(status.remaining)
    over = sla.format_span(-status.remaining)
    when = sla.format_moment(status.due_at, now, words=tr) if status.due_at else ""
    if status.state is ClockState.MET:
        return _("{clock}: met · {used} working time used of {target}").format(
            clock=clock, used=used, target=target
        )
    if status.stopped_at is not None:
        return _("{clock}: missed · {used} working time used of {target}").format(
            clock=clock, used=used, target=target
        )
    if status.state is ClockState.BREACHED:
        if status.in_pause:
            text = _("{clock}: paused, was due {when} · {over} working time over {target}")
        else:
            text = _("{clock}: was due {when} · {over} working time over {target}")
        return text.format(clock=clock, when=when, over=over, target=target)
    if status.in_pause:
        return _("{clock}: paused · {left} working time left of {target}").format(
            clock=clock, left=left, target=target
        )
    return _("{clock}: due {when} · {left} working time left of {target}").format(
        clock=clock, when=when, left=left, target=target
    )


class Countdown(Widget):
    """One clock of a ticket (`kind`), or the clock its lists show (`kind` None)."""

    DEFAULT_CSS = """
    Countdown { width: 11; height: 1; }
    Countdown.-at-risk { color: $warning; text-style: bold; }
    Countdown.-breached { color: $error; text-style: bold reverse; }
    Countdown.-paused { color: $text-muted; text-style: italic; }
    Countdown.-met { color: $success; }
    """

    def __init__(
        self,
        ticket: Ticket | None,
        policy: Policy,
        clock: Callable[[], datetime],
        kind: sla.TargetKind | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.ticket = ticket
        self.policy = policy
        self.clock = clock
        self.kind = kind
        self._text = ""
        self._state = ""

    def on_mount(self) -> None:
        self._update()

    def set_ticket(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self._update()

    def status(self, now: datetime | None = None) -> TargetStatus | None:
        """The clock shown: the one of `kind`, or the one the lists show the ticket by."""
        if self.ticket is None:
            return None
        statuses = sla.evaluate(self.ticket, self.policy, now or self.clock())
        if self.kind is None:
            return sla.list_clock(statuses)
        return next((s for s in statuses if s.kind is self.kind), None)

    def tick(self) -> None:
        """Called once a second by the owning screen; repaints only on change."""
        self._update()

    def shown(self) -> tuple[str, str]:
        """The text and tone to show now."""
        now = self.clock()
        if self.kind is None and self.ticket is not None:
            statuses = sla.evaluate(self.ticket, self.policy, now)
            cell = ticket_sla_text(self.ticket, statuses, now)
        else:
            cell = clock_text(self.status(now), now)
        return cell.text, cell.tone

    def _update(self) -> None:
        text, state = self.shown()
        if text == self._text and state == self._state:
            return
        self._text = text
        if state != self._state:
            for name in TONES:
                self.set_class(name == state, f"-{name}")
            self._state = state
        self.refresh()

    def render(self) -> Text:
        return Text(self._text, no_wrap=True, overflow="crop")


class WorkingTime(Countdown):
    """The ticket's working time under its SLA: what the policy measures, beside the
    time left the countdowns show ("resolution: due Mon 09:31 · 2h45m working time left
    of 8h"), and under it the SLA agreement the ticket is measured by, where there are
    agreements. Hidden when it has neither to say."""

    DEFAULT_CSS = """
    WorkingTime { width: 1fr; height: auto; padding: 0 1; color: $text-muted; }
    """

    def shown(self) -> tuple[str, str]:
        if self.ticket is None:
            return "", ""
        now = self.clock()
        statuses = sla.evaluate(self.ticket, self.policy, now)
        lines = [working_time_text(statuses, now)] if statuses else []
        # Only where organizations have agreements: elsewhere every ticket is on the one
        # policy, and 80x24 has no row to spare for saying so.
        if self.policy.agreements:
            lines.append(agreement_text(self.policy, self.ticket))
        self.display = bool(lines)
        return "\n".join(" " + line for line in lines), ""


def agreement_text(policy: Policy, ticket: Ticket) -> str:
    """ "SLA agreement: care365", or "SLA agreement: standard" for a ticket whose
    organization has no agreement of its own."""
    name = sla.agreement_name(policy, ticket.organization)
    shown = tr(name) if name == sla.STANDARD_AGREEMENT else safe_line(name)
    return _("SLA agreement: {name}").format(name=shown)
