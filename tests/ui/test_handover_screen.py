"""The shift handover screen (F7) on the demo store, clock frozen: its lines are the
service's handover, enter opens a ticket, `c` copies the text version (only with
`[terminal] clipboard` on), and an agent with nothing to hand over is told so."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import OptionList

from helpdesk_tui.domain.model import Agent
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.reporting import handover as rendering
from helpdesk_tui.settings.config import Settings, TerminalSettings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.handover import HandoverScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.status_line import StatusLine
from tests.ui.conftest import AppFactory
from tests.ui.support import expect_screen, press, settle, wait_for_screen


def _prompts(screen: HandoverScreen) -> list[str]:
    lines = screen.query_one(OptionList)
    return [str(lines.get_option_at_index(i).prompt) for i in range(lines.option_count)]


async def test_f7_lists_the_handover_and_enter_opens_a_ticket(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f7")
        expect_screen(pilot, HandoverScreen)
        screen = app.screen
        assert isinstance(screen, HandoverScreen) and screen.handover is not None
        found = screen.handover
        prompts = _prompts(screen)
        assert prompts[0].startswith("Touched since 02:30 (")
        # Every line the service gave is on screen, under its section's heading.
        shown = [p.split("  ")[0] for p in prompts if p.startswith("HD-")]
        expected = [
            line.ticket.key
            for section in (found.touched, found.waiting, found.breaching)
            for line in section.lines
        ]
        assert shown == expected and shown
        # One key column through every section, whatever each key's length.
        lines = [p for p in prompts if p.startswith("HD-")]
        assert len({len(key) for key in shown}) > 1  # keys of different lengths to align
        assert len({re.search(r" P[1-4] ", line).start() for line in lines}) == 1, lines
        first = found.touched.lines[0] if found.touched.lines else found.waiting.lines[0]
        await press(pilot, "enter")
        await wait_for_screen(pilot, TicketScreen)
        ticket_screen = app.screen
        assert isinstance(ticket_screen, TicketScreen)
        assert ticket_screen.key == first.ticket.key
        await press(pilot, "escape")
        expect_screen(pilot, HandoverScreen)


async def test_c_copies_the_text_version_only_with_the_clipboard_on(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "f7")
        screen = app.screen
        assert isinstance(screen, HandoverScreen) and screen.handover is not None
        await press(pilot, "c")
        assert app.clipboard == rendering.render(screen.handover, "text")
        assert app.clipboard.startswith("Handover: Alex Rivera (alex) · ")
    off = make_app(terminal=TerminalSettings(clipboard=False))
    async with off.run_test(size=(80, 24)) as pilot:
        await press(pilot, "f7", "c")
        assert off.clipboard == ""


async def test_nothing_to_hand_over_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    repo = SqlRepository.open(folder / "helpdesk.db", folder / "attachments")
    repo.save_agent(Agent("zed", "Zed Quiet", tier=3))
    repo.close()
    settings = Settings(data_dir=folder, agent="zed", cursor_blink=False)
    app = HelpdeskApp(bootstrap.build_service(settings), settings, bootstrap.views(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "f7")
        screen = app.screen
        assert isinstance(screen, HandoverScreen) and screen.handover is not None
        assert screen.query_one(StatusLine).text.startswith("Nothing to hand over")
        prompts = _prompts(screen)
        assert [p.strip() for p in prompts[1::2]] == ["nothing"] * 3
        assert prompts[0] == "Touched since 02:30 (0)"
        await press(pilot, "enter")  # nothing to open: the headings are not choosable
        expect_screen(pilot, HandoverScreen)
