"""One meaning of "time left" on every screen and in the command line (issue 14, 1).

Tickets on the default policy's business clock (09:00-18:00 UTC, Monday to Friday,
Christmas Eve and Day off) and on its 24/7 clock, running and paused, seen on
Wednesday 2026-12-23 16:30: Thursday and Friday are holidays, then a weekend. Each
ticket must read the same on the queue, the ticket screen, F3, F4, F5, `ticket list`,
`ticket show --json` and the report, and every list sorted by SLA must read in the
order of its SLA column. F4 is sorted most urgent first (line 2 of the issue): breached,
then at risk, then running, each by priority, then by due time; within a class it
still reads in the order of its column where priorities tie.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from helpdesk_tui.cli.main import main
from helpdesk_tui.domain.model import (
    Agent,
    Escalation,
    PauseInterval,
    Priority,
    Role,
    Status,
    Ticket,
)
from helpdesk_tui.domain.sla import TargetKind, evaluate, list_clock
from helpdesk_tui.domain.sla.urgency import urgency_key
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service.checks import with_sla_columns
from helpdesk_tui.service.views import SAVED_VIEWS
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.escalation import EscalationScreen
from helpdesk_tui.ui.screens.metrics import MetricsScreen
from helpdesk_tui.ui.screens.sla_board import SlaBoardScreen
from helpdesk_tui.ui.widgets.countdown import Countdown, WorkingTime
from helpdesk_tui.ui.widgets.ticket_table import TicketTable, layout
from tests.ui.support import expect_screen, open_ticket, press, settle

NOW = datetime(2026, 12, 23, 16, 30, tzinfo=UTC)
ME = "alex"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def at(text: str) -> datetime:
    """ "2026-12-21 17:00", or in December 2026 "21 17:00", or today "17:05"."""
    full = {16: text, 8: f"2026-12-{text}", 5: f"2026-12-23 {text}"}[len(text)]
    return datetime.fromisoformat(full).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    ticket: Ticket
    cell: str
    """What every list shows for it, worked out by hand from the calendar."""
    paused: bool = False


def _case(key: str, priority: str, created: str, cell: str, **fields: object) -> Case:
    ticket = Ticket(
        key=key,
        subject=f"time left {key}",
        priority=Priority(priority),
        status=fields.pop("status", Status.OPEN),  # type: ignore[arg-type]
        assignee=ME,
        created_at=at(created),
        updated_at=at(created),
        escalation=Escalation.AWAITING_LEAD,  # so F3's lead list shows them all
        escalation_reason="check the figures",
        **fields,  # type: ignore[arg-type]
    )
    return Case(ticket, cell, ticket.status is Status.PENDING)


def cases() -> list[Case]:
    pending = Status.PENDING
    return [
        # Business clock, 4 h to a first response from Wednesday 15:00: 3 h today, then
        # two holidays and a weekend; due Monday 10:00, named, not counted down.
        _case("HD-1", "medium", "2026-12-23 15:00", "Mon 10:00"),
        # 24/7, 15 minutes to a first response.
        _case("HD-2", "critical", "2026-12-23 16:20", "5m00s"),
        # 24/7, answered at 12:05: the hourly update was due 13:05 (resolution 16:00).
        _case(
            "HD-3",
            "critical",
            "2026-12-23 12:00",
            "-3h25m",
            first_response_at=at("2026-12-23 12:05"),
            last_public_update_at=at("2026-12-23 12:05"),
        ),
        # Business clock, due Tuesday 12:00: 1 day 4½ hours ago on the clock (13½
        # working hours: the old cell read "-13h30m").
        _case("HD-4", "medium", "2026-12-21 17:00", "-1d04h"),
        # Business clock, waiting on the customer since 11:00.
        _case(
            "HD-5",
            "medium",
            "2026-12-23 10:00",
            "paused",
            status=pending,
            first_response_at=at("2026-12-23 10:30"),
            pauses=(PauseInterval(at("2026-12-23 11:00"), None, pending),),
        ),
        # 24/7, its first response broken at 12:00, then put on pending at 13:00.
        _case(
            "HD-6",
            "high",
            "2026-12-23 08:00",
            "paused",
            status=pending,
            pauses=(PauseInterval(at("2026-12-23 13:00"), None, pending),),
        ),
        # Business clock, 1 business day (9 h) from 16:00: 2 h today, 7 h on Monday.
        _case("HD-7", "low", "2026-12-23 16:00", "Mon 16:00"),
        # 24/7 with a first response of 1 h in business hours: due 17:00.
        _case("HD-8", "high", "2026-12-23 16:00", "30m00s"),
        # 24/7, answered: resolution (8 h) due 17:20.
        _case("HD-9", "high", "2026-12-23 09:20", "50m00s", first_response_at=at("09:25")),
        # Business clock, 3 business days (27 h) to resolve from Tuesday 10:00: 8 h on
        # Tuesday, 9 h today, 9 h on Monday, 1 h on Tuesday 29th.
        _case("HD-10", "low", "2026-12-22 10:00", "Tue 10:00", first_response_at=at("22 10:30")),
        # Business clock, 27 h from 16:00: 2 h today, then Monday, Tuesday and 7 h on
        # Wednesday 30th: seven days away, so dated.
        _case("HD-11", "low", "2026-12-23 16:00", "12-30 16:00", first_response_at=at("16:05")),
    ]  # fmt: skip


@pytest.fixture
def data_dir(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HELPDESK_TUI_NOW", NOW.isoformat())
    policy = bootstrap.load_policy("default")
    repo = SqlRepository.open(isolated_env / "helpdesk.db", isolated_env / "attachments")
    try:
        repo.save_agent(Agent(ME, "Alex Rivera", "alex@helpdesk.example", 2, Role.LEAD, "Platform"))
        repo.bulk_import((with_sla_columns(c.ticket, policy), []) for c in cases())
    finally:
        repo.close()
    yield isolated_env


def make_app(data_dir: Path) -> HelpdeskApp:
    settings = Settings(data_dir=data_dir, agent=ME, cursor_blink=False)
    service = bootstrap.build_service(settings)
    assert service.clock() == NOW
    views = [SAVED_VIEWS["all_open"], *(v for k, v in SAVED_VIEWS.items() if k != "all_open")]
    return HelpdeskApp(service, settings, views, oncall=False)


# ------------------------------------------------------------------- reading screens


def table_cells(table: TicketTable) -> list[tuple[str, str]]:
    """(key, SLA cell) of each row, as the table draws them."""
    placed = {column.key: (x, w) for column, x, w in layout(table.size.width, table.columns)}
    assert "sla" in placed, f"no SLA column at width {table.size.width}"
    rows = []
    for y in range(1, min(table.total, table.size.height - 1) + 1):
        text = table.render_line(y).text
        (kx, kw), (sx, sw) = placed["key"], placed["sla"]
        rows.append((text[kx : kx + kw].strip(), text[sx : sx + sw].strip()))
    assert len(rows) == table.total, "every row must be on screen"
    return rows


def widget_text(widget: Widget) -> str:
    return "\n".join(strip.text for strip in widget.render_lines(widget.size.region))


def seconds_shown(cell: str) -> float:
    """The time left a reader takes from a cell: a countdown, or a due moment read
    against NOW; no time left (paused, met, done) comes last."""
    if cell in ("paused", "met", "done", "—"):
        return math.inf
    if cell[:3] in WEEKDAYS:
        ahead = (WEEKDAYS.index(cell[:3]) - NOW.weekday()) % 7
        hour, minute = map(int, cell[4:].split(":"))
        due = datetime.combine(NOW.date() + timedelta(days=ahead), datetime.min.time(), UTC)
        return (due.replace(hour=hour, minute=minute) - NOW).total_seconds()
    if len(cell) == 11 and cell[2] == "-":  # "12-30 17:00"
        due = datetime.strptime(f"{NOW.year}-{cell}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return (due - NOW).total_seconds()
    sign = -1 if cell.startswith("-") else 1
    total, number = 0, ""
    for char in cell.lstrip("-"):
        if char.isdigit():
            number += char
        else:
            total += int(number) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return float(sign * total)


def assert_reads_in_order(rows: list[tuple[str, str]], where: str) -> None:
    shown = [seconds_shown(cell) for _key, cell in rows]
    assert shown == sorted(shown), f"{where} is not in the order of its SLA column: {rows}"


def assert_same_figures(rows: list[tuple[str, str]], expected: dict[str, str], where: str) -> None:
    for key, cell in rows:
        assert cell == expected[key], f"{where}: {key} shows {cell!r}, not {expected[key]!r}"


# ------------------------------------------------------------------------- the test


async def test_every_surface_shows_the_same_time_left_in_the_order_it_sorts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_cases = cases()
    expected = {c.ticket.key: c.cell for c in all_cases}
    running = {c.ticket.key for c in all_cases if not c.paused}
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(TicketTable)
        rows = table_cells(queue)
        assert {key for key, _ in rows} == set(expected)
        assert_same_figures(rows, expected, "queue (All open, by SLA)")
        assert_reads_in_order(rows, "queue (All open, by SLA)")

        await press(pilot, "f4")
        expect_screen(pilot, SlaBoardScreen)
        board = table_cells(app.screen.query_one(TicketTable))
        assert {key for key, _ in board} == running  # the board lists running clocks
        assert_same_figures(board, expected, "F4")
        # Most urgent first, as domain/sla/urgency.py defines it, on the stored columns.
        policy = bootstrap.load_policy("default")
        stored = {c.ticket.key: with_sla_columns(c.ticket, policy) for c in all_cases}
        urgent_first = sorted(running, key=lambda key: urgency_key(stored[key], NOW))
        assert [key for key, _ in board] == urgent_first, board
        assert [key for key, _ in board][:2] == ["HD-3", "HD-4"]  # the two breached ones

        await press(pilot, "f3")
        expect_screen(pilot, EscalationScreen)
        waiting = table_cells(app.screen.query_one(TicketTable))
        assert {key for key, _ in waiting} == set(expected)
        assert_same_figures(waiting, expected, "F3")
        assert_reads_in_order(waiting, "F3")

        per_clock = await ticket_screens(pilot, app, all_cases)

        await press(pilot, "f5")
        expect_screen(pilot, MetricsScreen)
        await settle(pilot)
        breaches = widget_text(app.screen.query_one("#metrics-breaches", Static))
        open_breaches = [
            line.split() for line in breaches.splitlines() if line.rstrip().endswith(" open")
        ]
        shown_f5 = {
            (words[0], "resolution" if "resolution" in words else "first_response"): words[-2]
            for words in open_breaches
        }
        # Past due: HD-3's resolution (16:00), both of HD-4's (Tuesday 12:00 and
        # 17:00); HD-6's first response broke before its pause. F5 counts first
        # responses and resolutions only, so not HD-3's update.
        assert shown_f5 == {
            ("HD-3", "resolution"): "-30m00s",
            ("HD-4", "first_response"): "-1d04h",
            ("HD-4", "resolution"): "-23h30m",
            ("HD-6", "first_response"): "paused",
        }
        for (key, kind), cell in shown_f5.items():
            assert cell == per_clock[key, TargetKind(kind)], f"F5 {key} {kind}"

    cli_figures(capsys, expected, per_clock)


async def ticket_screens(
    pilot: Pilot[None], app: HelpdeskApp, all_cases: list[Case]
) -> dict[tuple[str, TargetKind], str]:
    """Open each ticket: the countdown of the clock it is listed by reads as its list
    cell, and the working time it has used and left is shown beside it."""
    per_clock: dict[tuple[str, TargetKind], str] = {}
    policy = app.service.policy
    for case in all_cases:
        key = case.ticket.key
        screen = await open_ticket(pilot, app, key)
        countdowns = {c.kind: c for c in screen.query(Countdown) if not isinstance(c, WorkingTime)}
        for kind, countdown in countdowns.items():
            assert kind is not None
            per_clock[key, kind] = countdown.shown()[0]
            assert widget_text(countdown).strip() == per_clock[key, kind]
        shown = list_clock(evaluate(screen.ticket, policy, NOW))  # type: ignore[arg-type]
        if case.paused:
            assert shown is None
            assert "paused" in {per_clock[key, kind] for kind in countdowns}, key
        else:
            assert shown is not None
            assert per_clock[key, shown.kind] == case.cell, key
        detail = widget_text(screen.query_one(WorkingTime)).strip()
        assert "working time" in detail, (key, detail)
        await press(pilot, "escape")
    detail_of = {
        "HD-1": "first response: due Mon 10:00 · 2h30m working time left of 4h",
        "HD-4": "first response: was due Tue 12:00 · 13h30m working time over 4h",
        "HD-6": "first response: paused, was due Wed 12:00 · 1h working time over 4h",
        "HD-11": "resolution: due 12-30 16:00 · 26h30m working time left of 27h",
    }
    for key, text in detail_of.items():
        screen = await open_ticket(pilot, app, key)
        # No agreement line: no organization has an agreement of its own here.
        assert widget_text(screen.query_one(WorkingTime)).strip() == text
        await press(pilot, "escape")
    return per_clock


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["--as", ME, *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def cli_figures(
    capsys: pytest.CaptureFixture[str],
    expected: dict[str, str],
    per_clock: dict[tuple[str, TargetKind], str],
) -> None:
    listed = run(capsys, "ticket", "list", "--view", "all_open").splitlines()[1:]
    # key, priority, status, tier, assignee, then the SLA cell (11 wide)
    rows = [(line.split()[0], line[38:49].strip()) for line in listed]
    assert_same_figures(rows, expected, "ticket list")
    assert_reads_in_order(rows, "ticket list")

    data = json.loads(run(capsys, "ticket", "list", "--view", "all_open", "--json"))
    json_rows = [(t["key"], t["time_left"]) for t in data["tickets"]]
    assert json_rows == rows
    for key in expected:
        shown = json.loads(run(capsys, "ticket", "show", key, "--json"))
        assert shown["time_left"] == expected[key], key
        for clock in shown["sla"]:
            kind = TargetKind(clock["target"])
            assert clock["time_left"] == per_clock[key, kind], (key, kind)
            if clock["time_left_seconds"] is not None:
                due = datetime.fromisoformat(clock["due_at"])
                assert clock["time_left_seconds"] == (due - NOW).total_seconds()
            assert "remaining_seconds" in clock  # the working time, kept for scripts
        counting = [c["time_left_seconds"] for c in shown["sla"] if c["time_left_seconds"]]
        if expected[key] == "paused":
            assert shown["time_left_seconds"] is None and not counting
        else:  # the clock due soonest, the one the lists sort the ticket by
            assert shown["time_left_seconds"] == min(counting)
        text = run(capsys, "ticket", "show", key)
        assert (
            any(
                line.startswith("  SLA ") and f": {expected[key]} (" in line
                for line in text.splitlines()
            )
            or expected[key] == "paused"
        ), text

    report = json.loads(run(capsys, "report", "--format", "json"))
    for breach in report["breaches"]["worst"]:
        if breach["still_running"]:
            kind = TargetKind(breach["target"])
            assert breach["time_left"] == per_clock[breach["key"], kind], breach
