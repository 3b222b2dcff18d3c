"""Metrics: the weekly SLA review on one screen, for any period chosen by keys.

The figures are `metrics.compute`'s, the same as `helpdesk-tui report`: SLA compliance
by priority and tier, a weekly trend, the backlog by tier and age, first response and
resolution times, the most overdue breaches, per agent, CSAT. They are computed in a
worker (a big store takes seconds); switching period cancels a computation under way.
One column of sections at 80 columns, two side by side from 110.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from ...domain.model import TIER_NAMES, TIERS, Priority
from ...domain.periods import Period, PeriodKind
from ...domain.text import safe_line
from ...reporting import charts, metrics
from ...reporting.metrics import AGE_BUCKETS, Compliance, Metrics, SlaFigures, format_duration
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ..context import HelpdeskContext, app_context
from ..jobs import call_store
from ..labels import period_name, period_title
from ..widgets.countdown import clock_text
from ..widgets.footer import HelpdeskFooter
from ..widgets.status_line import StatusLine
from ..widgets.title_bar import TitleBar

ROLLING_DAYS = (7, 30, 90)
"""What `p` cycles through: the last 7, 30 or 90 days."""
WIDE = 112
"""From this many columns the sections sit two by two: the wide tables (compliance,
breaches, agents) on the left, the narrow ones (trend, backlog, times, CSAT) beside."""
BAR = 10
GOOD, FAIR = 0.9, 0.75
"""Compliance at or above GOOD shows as success, at or above FAIR as a warning."""
SECTIONS = ("sla", "trend", "tiers", "backlog", "breaches", "times", "agents", "csat")


class MetricsScreen(Screen[None]):
    CSS_PATH = "metrics.tcss"

    COMPONENT_CLASSES = {
        "metrics--good",
        "metrics--fair",
        "metrics--poor",
        "metrics--bar",
        "metrics--track",
        "metrics--muted",
        "metrics--heading",
    }

    BINDINGS = [
        Binding("escape", "app.go('queue')", _("Queue"), id="metrics.back"),
        Binding("p", "period", _("Period"), id="metrics.period"),
        Binding("w", "week", _("Week"), id="metrics.week"),
        Binding("m", "month", _("Month"), id="metrics.month", show=False),
        Binding(
            "left_square_bracket",
            "shift(-1)",
            _("Earlier"),
            id="metrics.earlier",
            key_display="[",
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "shift(1)",
            _("Later"),
            id="metrics.later",
            key_display="]",
            show=False,
        ),
        Binding("r,ctrl+r", "refresh", _("Refresh"), id="metrics.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.period: Period | None = None
        self.shown: Metrics | None = None

    @property
    def helpdesk(self) -> HelpdeskContext:
        return app_context(self)

    def compose(self) -> ComposeResult:
        yield TitleBar(_("Metrics"), id="metrics-title")
        yield Static(Text(_("computing…")), id="metrics-summary")
        with VerticalScroll(id="metrics-body"):
            for name in SECTIONS:
                yield Static(id=f"metrics-{name}", classes="metrics-section")
        yield StatusLine()
        yield HelpdeskFooter()

    def on_mount(self) -> None:
        self.period = Period.rolling(self.helpdesk.service.clock(), 30)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._repaint())
        self.query_one("#metrics-body").focus()
        self.load()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        service, period = self.helpdesk.service, self.period
        assert period is not None
        now = service.clock()
        if period.kind is PeriodKind.ROLLING and period.name:
            # "Last 30 days" means up to now: each refresh moves it with the clock.
            period = self.period = Period.rolling(now, period.days)
        self.query_one(TitleBar).show(
            Text(_("Metrics · {period}").format(period=period_title(period)))
        )
        # While it runs the status line says so (and, past a moment, how long the store
        # has been at it); the finished line stays the same for the same figures.
        self.query_one(StatusLine).say(_("computing {period}…").format(period=period_name(period)))

        def job() -> Metrics:
            worker = get_current_worker()
            # A newer period supersedes this one: stop reading pages for it.
            return metrics.compute(service, period, should_stop=lambda: worker.is_cancelled)

        def done(result: Metrics) -> None:
            self.shown = result
            self._repaint()
            self.query_one(StatusLine).say(
                _("computed at {time} UTC · p/w/m period · [ ] earlier/later").format(
                    time=f"{result.computed_at:%H:%M:%S}"
                )
            )

        call_store(self, job, done, group="metrics", exclusive=True, what=_("metrics"))

    def on_resize(self) -> None:
        self._repaint()

    # ------------------------------------------------------------------ actions

    def action_period(self) -> None:
        now = self.helpdesk.service.clock()
        current = self.period
        days = 30
        if current is not None and current.kind is PeriodKind.ROLLING:
            nxt = ROLLING_DAYS.index(current.days) + 1 if current.days in ROLLING_DAYS else 0
            days = ROLLING_DAYS[nxt % len(ROLLING_DAYS)]
        elif current is not None:
            days = ROLLING_DAYS[0]
        self.period = Period.rolling(now, days)
        self.load()

    def action_week(self) -> None:
        self.period = Period.week(self.helpdesk.service.clock())
        self.load()

    def action_month(self) -> None:
        self.period = Period.month(self.helpdesk.service.clock())
        self.load()

    def action_shift(self, steps: int) -> None:
        if self.period is None:
            return
        moved = self.period.shifted(steps)
        if _past_now(moved, self.helpdesk.service.clock()):
            said = _("this is the latest period: the next has not started yet")
            self.query_one(StatusLine).say(said)
            # A toast too: the on-call line outranks the status line's message.
            self.notify(said, timeout=3)
            return
        self.period = moved
        self.load()

    def action_refresh(self) -> None:
        self.load()

    # ---------------------------------------------------------------- rendering

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"metrics--{name}", partial=True)

    def _repaint(self) -> None:
        m = self.shown
        if m is None or not self.is_mounted:
            return
        self.query_one("#metrics-body").set_class(self.size.width >= WIDE, "-wide")
        self.query_one("#metrics-summary", Static).update(self._summary(m))
        for name, renderable in (
            ("sla", self._sla_by_priority(m)),
            ("trend", self._trend(m)),
            ("backlog", self._backlog(m)),
            ("tiers", self._sla_by_tier(m)),
            ("times", self._times(m)),
            ("breaches", self._breaches(m)),
            ("agents", self._agents(m)),
            ("csat", self._csat(m)),
        ):
            self.query_one(f"#metrics-{name}", Static).update(_headed(renderable))

    def _grade(self, share: float | None) -> Style:
        if share is None:
            return self._style("muted")
        return self._style("good" if share >= GOOD else "fair" if share >= FAIR else "poor")

    def _share(self, share: float | None) -> Text:
        return Text("—" if share is None else f"{share:.1%}", style=self._grade(share))

    def _rate(self, c: Compliance) -> Text:
        if c.share is None:
            running = _("{count} running").format(count=c.running) if c.running else _("no data")
            return Text(f"{'':<{BAR}} {running}", style=self._style("muted"))
        text = Text(charts.bar(c.share, BAR, track=False), style=self._grade(c.share))
        text.append(charts.UNICODE.empty * (BAR - len(text)), style=self._style("track"))
        text.append(f" {c.share:6.1%}", style=self._grade(c.share))
        text.append(f" {c.met}/{c.decided}", style=self._style("muted"))
        return text

    def _table(self, title: str, *columns: str, header: bool = True) -> Table:
        table = Table(
            title=Text(title, style=self._style("heading")),
            title_justify="left",
            box=None,
            padding=(0, 1),
            show_edge=False,
            show_header=header,
        )
        for index, column in enumerate(columns):
            table.add_column(Text(column), justify="left" if index == 0 else "right")
        return table

    def _summary(self, m: Metrics) -> Text:
        overall = m.sla.overall
        text = Text(_("{count:,} created · SLA met ").format(count=m.created))
        text.append_text(self._share(overall.share))
        breaches = ngettext("{count:,} breach", "{count:,} breaches", overall.breached)
        text.append(" · " + breaches.format(count=overall.breached) + _(" · CSAT "))
        if m.csat_average is None:
            text.append("—", style=self._style("muted"))
        else:
            text.append(f"{m.csat_average:.2f} ({m.csat_answers})")
        text.append(_(" · backlog now {count:,}").format(count=m.backlog_total))
        return text

    def _compliance(self, title: str, rows: Iterable[tuple[str, SlaFigures]]) -> Table:
        table = self._table(title, "", _("first response"), _("resolution"))
        for column in table.columns[1:]:
            column.justify = "left"
        for label, figures in rows:
            table.add_row(
                Text(label), self._rate(figures.first_response), self._rate(figures.resolution)
            )
        return table

    def _sla_by_priority(self, m: Metrics) -> RenderableType:
        return self._compliance(
            _("SLA compliance by priority"),
            ((f"{p.short} {tr(p.label)}", m.by_priority[p]) for p in Priority),
        )

    def _sla_by_tier(self, m: Metrics) -> RenderableType:
        return self._compliance(
            _("SLA compliance by tier"), ((tr(TIER_NAMES[t]), m.by_tier[t]) for t in TIERS)
        )

    def _trend(self, m: Metrics) -> RenderableType:
        weeks = m.weeks
        table = self._table(
            _("Weekly trend · {count} weeks to {date}").format(
                count=len(weeks), date=f"{weeks[-1].until:%Y-%m-%d}"
            ),
            "",
            "",
            "",
            header=False,
        )
        for column in table.columns:
            column.justify = "left"
        created = [w.created for w in weeks]
        table.add_row(
            Text(_("created")),
            Text(charts.sparkline(created), style=self._style("bar")),
            Text(
                _("last {last:,} · max {max:,}").format(last=created[-1], max=max(created)),
                style=self._style("muted"),
            ),
        )
        met = Text()
        for week in weeks:
            share = week.sla.overall.share
            met.append(charts.sparkline([share], low=0.0, high=1.0), style=self._grade(share))
        last = weeks[-1].sla.overall.share
        shown = "—" if last is None else f"{last:.0%}"
        table.add_row(Text(_("SLA met")), met, Text(_("last {share}").format(share=shown)))
        breaches = [w.sla.overall.breached for w in weeks]
        table.add_row(
            Text(_("breaches")),
            Text(charts.sparkline(breaches), style=self._style("poor")),
            Text(
                _("last {last:,} · max {max:,}").format(last=breaches[-1], max=max(breaches)),
                style=self._style("muted"),
            ),
        )
        return table

    def _backlog(self, m: Metrics) -> RenderableType:
        table = self._table(
            _("Backlog now · {count:,} open").format(count=m.backlog_total),
            _("age"),
            _("all"),
            *(tr(TIER_NAMES[t]) for t in TIERS),
        )
        table.columns[1].justify = "left"
        by_age = m.backlog_by_age()
        biggest = max(by_age.values(), default=0) or 1
        for bucket in AGE_BUCKETS:
            n = by_age[bucket.label]
            bar = Text(charts.bar(n / biggest, 8, track=False).ljust(8), style=self._style("bar"))
            bar.append(f" {n:,}", style=self.rich_style)
            table.add_row(
                Text(tr(bucket.label)),
                bar,
                *(Text(f"{m.backlog.get(t, {}).get(bucket.label, 0):,}") for t in TIERS),
            )
        return table

    def _times(self, m: Metrics) -> RenderableType:
        table = self._table(_("Times from creation"), "", _("median"), _("p90"), _("tickets"))
        for label, durations in (
            (_("first response"), m.first_response_times),
            (_("resolution"), m.resolution_times),
        ):
            table.add_row(
                Text(label),
                Text(format_duration(durations.median)),
                Text(format_duration(durations.p90)),
                Text(f"{len(durations):,}"),
            )
        return table

    def _breaches(self, m: Metrics) -> RenderableType:
        overall = m.sla
        table = self._table(
            _("Breaches · {count:,} (first response {first:,}, resolution {resolution:,})").format(
                count=overall.overall.breached,
                first=overall.first_response.breached,
                resolution=overall.resolution.breached,
            ),
            _("most overdue"),
            "",
            "",
            _("target"),
            # The same sign as every SLA cell: past due is negative.
            _("time left"),
        )
        for column in table.columns[1:4]:
            column.justify = "left"
        for b in m.worst:
            # Keys and names come from the store: plain Text, never markup.
            table.add_row(
                Text(safe_line(b.key)),
                Text(f"{b.priority.short} T{b.tier}"),
                Text(safe_line(b.assignee or "—"), overflow="ellipsis", no_wrap=True),
                Text(tr(b.kind.label), no_wrap=True),
                Text(
                    # Still open: the time left every SLA cell shows ("-1d21h").
                    clock_text(b.clock, m.computed_at).text + _(" open")
                    if b.running
                    else "-" + format_duration(b.overdue) + _(" late"),
                    style=self._style("poor"),
                ),
            )
        if not m.worst:
            table.add_row(Text(_("none"), style=self._style("muted")))
        return table

    def _agents(self, m: Metrics) -> RenderableType:
        table = self._table(
            _("Per agent"),
            _("agent"),
            _("tickets"),
            _("resolved"),
            _("1st resp"),
            _("resol."),
            _("CSAT"),
        )
        table.columns[0].max_width = 18
        for a in m.agents_by_load():
            name = Text(
                _("(unassigned)") if a.agent is None else safe_line(a.agent),
                style=self._style("muted") if a.agent is None else "",
                overflow="ellipsis",
                no_wrap=True,
            )
            csat = a.csat_average
            table.add_row(
                name,
                Text(f"{a.tickets:,}"),
                Text(f"{a.resolved:,}"),
                self._share(a.sla.first_response.share),
                self._share(a.sla.resolution.share),
                Text("—" if csat is None else f"{csat:.1f} ({sum(a.csat.values())})"),
            )
        if not m.agents:
            table.add_row(Text(_("no tickets in this period"), style=self._style("muted")))
        return table

    def _csat(self, m: Metrics) -> RenderableType:
        if m.csat_average is None:
            title = _("CSAT · no answers in this period")
        else:
            satisfied = m.csat_satisfied or 0.0
            answers = ngettext("{count:,} answer", "{count:,} answers", m.csat_answers)
            title = _("CSAT · {average}/5 · {satisfied} satisfied · {answers}").format(
                average=f"{m.csat_average:.2f}",
                satisfied=f"{satisfied:.0%}",
                answers=answers.format(count=m.csat_answers),
            )
        table = self._table(title, "", "")
        table.columns[1].justify = "left"
        biggest = max(m.csat.values(), default=0) or 1
        for score in (5, 4, 3, 2, 1):
            n = m.csat.get(score, 0)
            bar = Text(charts.bar(n / biggest, BAR, track=False), style=self._style("bar"))
            bar.append(f" {n:,}", style=self.rich_style)
            table.add_row(Text("★" * score + "☆" * (5 - score)), bar)
        return table


def _past_now(period: Period, now: datetime) -> bool:
    """Whether `period` lies past the latest one of its kind. A week or a month may be
    the one under way; a rolling or a chosen span ends now at the latest. Checking only
    that it had started let `]` step from "the last 30 days" (read a moment ago, so
    ending just before now) to the 30 days ahead: "0 created"."""
    if period.kind in (PeriodKind.WEEK, PeriodKind.MONTH):
        return period.since >= now
    return period.until > now


def _headed(renderable: RenderableType) -> RenderableType:
    """A table's title as a line of its own above it: a title longer than a narrow
    table is cut with "…" rather than wrapped to the table's width."""
    if not isinstance(renderable, Table) or renderable.title is None:
        return renderable
    title = renderable.title
    renderable.title = None
    heading = title if isinstance(title, Text) else Text(str(title))
    heading.no_wrap = True
    heading.overflow = "ellipsis"
    return Group(heading, renderable)
