"""The metrics screen on the demo store (frozen clock): period keys, the same figures as
`report`, room at 80×24, and names from the store shown as text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from helpdesk_tui.domain.model import Agent, Ticket
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.reporting import metrics, report
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.screens.metrics import MetricsScreen
from helpdesk_tui.ui.widgets.status_line import StatusLine
from tests.conftest import FROZEN
from tests.ui.conftest import AppFactory
from tests.ui.support import expect_screen, press, settle


def _text(widget: Widget) -> str:
    return "\n".join(strip.text for strip in widget.render_lines(widget.size.region))


async def _open(pilot: Pilot[None]) -> MetricsScreen:
    await settle(pilot)
    await press(pilot, "f5")
    expect_screen(pilot, MetricsScreen)
    screen = pilot.app.screen
    assert isinstance(screen, MetricsScreen)
    return screen


def _title(screen: MetricsScreen) -> str:
    return _text(screen.query_one("#metrics-title", Static)).strip()


async def test_period_keys_choose_what_is_computed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.shown is not None and screen.shown.period == Period.rolling(FROZEN, 30)
        # The screen shows what `report` computes for the same period.
        expected = metrics.compute(app.service, screen.shown.period)
        assert report.to_json(screen.shown) == report.to_json(expected)
        summary = _text(screen.query_one("#metrics-summary", Static)).strip()
        assert summary.startswith(f"{expected.created} created · SLA met ")
        assert f"{expected.breaches} breaches" in summary

        await press(pilot, "w")
        assert screen.shown.period == Period.week(FROZEN)
        assert _title(screen) == "Metrics · week 2026-W09 (2026-02-23 → 2026-03-01)"
        await press(pilot, "left_square_bracket")
        assert _title(screen).startswith("Metrics · week 2026-W08 ")
        assert screen.shown.period == Period.week(FROZEN, "2026-W08")
        await press(pilot, "right_square_bracket", "right_square_bracket")
        assert screen.shown.period == Period.week(FROZEN, "2026-W10")  # this week, so far
        await press(pilot, "right_square_bracket")
        assert screen.shown.period == Period.week(FROZEN, "2026-W10")  # next week: not yet
        assert "not started yet" in screen.query_one(StatusLine).text

        await press(pilot, "m")
        assert _title(screen).startswith("Metrics · February 2026 ")
        await press(pilot, "p")
        assert screen.shown.period == Period.rolling(FROZEN, 7)
        await press(pilot, "p", "p")
        assert screen.shown.period == Period.rolling(FROZEN, 90)
        assert screen.shown.created > expected.created or expected.created == 0


async def test_keys_are_remapped_by_binding_id(make_app: AppFactory) -> None:
    app = make_app(keymap={"metrics.week": "x", "metrics.earlier": "comma"})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await press(pilot, "x", "comma")
        assert screen.shown is not None
        assert screen.shown.period == Period.week(FROZEN, "2026-W08")


async def test_every_section_is_reachable_at_80x24(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        body = screen.query_one("#metrics-body", VerticalScroll)
        assert app.focused is body  # keys scroll it without a mouse
        assert body.max_scroll_y > 0  # one column: more than a screenful
        await press(pilot, "end")
        assert body.scroll_y == body.max_scroll_y
        csat = screen.query_one("#metrics-csat", Static)
        assert csat.region.bottom <= body.region.bottom  # the last section is in view
        assert _text(csat).startswith("CSAT · ")
        # Narrow: one column; every section no wider than the screen.
        assert not body.has_class("-wide")
        for section in screen.query(".metrics-section"):
            assert section.region.width <= 80


async def test_wide_terminals_get_two_columns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        body = screen.query_one("#metrics-body", VerticalScroll)
        assert body.has_class("-wide")
        sla = screen.query_one("#metrics-sla", Static)
        trend = screen.query_one("#metrics-trend", Static)
        assert sla.region.y == trend.region.y and sla.region.right < trend.region.x
        # The compliance table fits its column: every priority on one line.
        lines = _text(sla).splitlines()
        assert [line.split()[0] for line in lines[2:6]] == ["P1", "P2", "P3", "P4"]


async def test_names_from_the_store_are_shown_as_text(make_app: AppFactory, data_dir: Path) -> None:
    hostile = "[bold red]boom[/] [@click=app.quit]x[/]"
    repo = SqlRepository.open(data_dir / "helpdesk.db", data_dir / "attachments")
    try:
        repo.save_agent(Agent(hostile, "Mallory", tier=3))
        repo.create(
            Ticket(key="", subject="s", assignee=hostile, created_at=FROZEN - timedelta(days=1)),
            actor="alex",
        )
    finally:
        repo.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        agents = screen.query_one("#metrics-agents", Static)
        text = _text(agents)
        # Shown as typed (cut to the column with "…"), not as bold red: no markup read.
        assert "[bold red]boom[…" in text, text
        for strip in agents.render_lines(agents.size.region):
            for segment in strip:
                if segment.style is not None:
                    assert not segment.style.link
                    assert "@click" not in segment.style.meta
