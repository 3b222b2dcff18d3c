"""Metrics: SLA compliance by priority, response and resolution times, backlog, CSAT."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ... import metrics
from ...domain.model import Priority
from ..jobs import call_store
from ..widgets.status_line import StatusLine

if TYPE_CHECKING:
    from ..app import HelpdeskApp

PERIODS = (7, 30, 90)


def bar(share: float | None, width: int = 20) -> Text:
    if share is None:
        return Text("no data", style="dim")
    filled = round(share * width)
    text = Text(
        "█" * filled, style="green" if share >= 0.9 else "yellow" if share >= 0.75 else "red"
    )
    text.append("░" * (width - filled), style="dim")
    text.append(f" {share:5.1%}")
    return text


def hours(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


class MetricsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.go('queue')", "Queue", id="metrics.back"),
        Binding("p", "period", "Period", id="metrics.period"),
        Binding("r,ctrl+r", "refresh", "Refresh", id="metrics.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.days = 30
        self._shown: metrics.Metrics | None = None

    @property
    def helpdesk(self) -> HelpdeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text("Metrics"), id="metrics-title", classes="screen-title")
        with VerticalScroll():
            yield Static(id="metrics-body")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        service, days = self.helpdesk.service, self.days
        self.query_one(StatusLine).say(f"computing the last {days} days…")
        call_store(
            self,
            lambda: metrics.compute(service, days),
            self._show,
            group="metrics",
            exclusive=True,
            what="metrics",
        )

    def on_resize(self) -> None:
        if self._shown is not None:
            self._show(self._shown)

    def _show(self, m: metrics.Metrics) -> None:
        self._shown = m
        # Narrow terminals get shorter bars so each row stays on one line.
        width = 12
        self.query_one("#metrics-title", Static).update(
            Text(
                f"Metrics · last {self.days} days ({m.since:%Y-%m-%d} → {m.until:%Y-%m-%d}) · "
                f"{m.tickets:,} tickets created · p: period"
            )
        )
        wide = self.size.width >= 100
        grid = Table.grid(padding=(0, 2))
        grid.add_column()
        if wide:
            grid.add_column()
        compliance = Table(title="SLA compliance", title_justify="left", box=None, padding=(0, 1))
        compliance.add_column("Priority")
        compliance.add_column("First response")
        compliance.add_column("Resolution")
        for p in Priority:
            compliance.add_row(
                f"{p.short} {p.label}",
                bar(m.first_response[p].share, width),
                bar(m.resolution[p].share, width),
            )
        times = Table(title="Times (created →)", title_justify="left", box=None, padding=(0, 1))
        times.add_column("")
        times.add_column("median")
        times.add_column("p90")
        times.add_row("first response", hours(m.median_first_response), hours(m.p90_first_response))
        times.add_row("resolution", hours(m.median_resolution), hours(m.p90_resolution))
        backlog = Table(title="Backlog (open now)", title_justify="left", box=None, padding=(0, 1))
        backlog.add_column("Tier")
        backlog.add_column("Open")
        biggest = max(m.backlog_by_tier.values(), default=0) or 1
        for tier, count in sorted(m.backlog_by_tier.items()):
            filled = "█" * round(width * count / biggest)
            backlog.add_row(f"Tier {tier}", Text(f"{filled} {count:,}"))
        csat = Table(title="CSAT", title_justify="left", box=None, padding=(0, 1))
        csat.add_column("Score")
        csat.add_column("Answers")
        answers = sum(m.csat.values()) or 1
        for score in (5, 4, 3, 2, 1):
            n = m.csat.get(score, 0)
            csat.add_row("★" * score, Text(f"{'█' * round(width * n / answers)} {n}"))
        average = m.csat_average
        csat.caption = f"average {average:.2f} / 5" if average else "no answers yet"
        # Side by side where there is room; one under the other at 80 columns.
        if wide:
            grid.add_row(compliance, times)
            grid.add_row(backlog, csat)
        else:
            for table in (compliance, times, backlog, csat):
                grid.add_row(table)
        self.query_one("#metrics-body", Static).update(grid)
        self.query_one(StatusLine).say(f"computed at {m.until:%H:%M:%S} UTC")

    def action_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.load()

    def action_refresh(self) -> None:
        self.load()
