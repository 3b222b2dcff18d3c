"""Every screen as the agent sees it, at 80×24 (the smallest we support) and 120×40.

The clock is frozen (tests/conftest.py) and the demo store is seeded, so countdowns,
dates and rows are the same on every run; cursors do not blink (make_app). Each
screen's steps run in `run_before` and wait for the store workers, so the picture is
taken with the data on screen, never a "…" placeholder or a spinner.

Update after a deliberate UI change with `pytest tests/ui/test_snapshots.py
--snapshot-update`, then look at every changed SVG under tests/ui/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.domain.model import Priority
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.attachment import AttachmentScreen
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import (
    ChoiceScreen,
    ConfirmScreen,
    ConflictScreen,
    PromptScreen,
)
from helpdesk_tui.ui.screens.escalation import EscalationScreen
from helpdesk_tui.ui.screens.handover import HandoverScreen
from helpdesk_tui.ui.screens.help import HelpScreen
from helpdesk_tui.ui.screens.macro_picker import MacroPicker
from helpdesk_tui.ui.screens.metrics import MetricsScreen
from helpdesk_tui.ui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.ui.screens.outage import OutageScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.shell_note import ShellNoteScreen
from helpdesk_tui.ui.screens.sla_board import SlaBoardScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.customer import CustomerTable
from helpdesk_tui.ui.widgets.links import LinksTable
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, expect_screen, press, settle, without_live_updates

Steps = Callable[[Pilot[None]], Awaitable[None]]

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def queue(pilot: Pilot[None]) -> None:
    await settle(pilot)
    expect_screen(pilot, QueueScreen)
    table = pilot.app.screen.query_one(TicketTable)
    assert table.total > 0 and table.current is not None, "My open is empty: nothing to see"


async def queue_filter(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "f")
    await pilot.press(*"priority:p1,p2 tier:3")
    await settle(pilot)
    focused = pilot.app.focused
    assert isinstance(focused, Input) and focused.id == "filter", focused


async def views(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "v")
    expect_screen(pilot, ChoiceScreen)


async def goto_prompt(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "colon")
    expect_screen(pilot, PromptScreen)


async def bulk_confirm(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "space", "space", "p")
    await choose(pilot, "P4")
    expect_screen(pilot, ConfirmScreen)


async def ticket(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "enter")
    expect_screen(pilot, TicketScreen)
    assert pilot.app.screen.ticket is not None  # type: ignore[attr-defined]


async def ticket_history(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await press(pilot, "2")


async def ticket_details(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await press(pilot, "3")


async def ticket_customer(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await press(pilot, "5")
    table = pilot.app.screen.query_one(CustomerTable)
    for _ in range(100):  # read in a worker of its own
        if table.row_count > 2:
            break
        await pilot.pause(0.05)
    assert table.row_count > 2, "the demo ticket's requester and organization have no others"
    await settle(pilot)


async def ticket_links(pilot: Pilot[None]) -> None:
    """The first ticket of the queue as a problem with an incident, and related to one."""
    await queue(pilot)
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    current = app.screen.query_one(TicketTable).current
    assert current is not None
    others = [t.key for t in app.service.query(Query(limit=3)).tickets if t.key != current.key]
    app.service.link(current.key, "problem-of", others[0])
    app.service.link(current.key, "relates-to", others[1])
    await press(pilot, "enter")
    expect_screen(pilot, TicketScreen)
    await press(pilot, "6")
    table = app.screen.query_one(LinksTable)
    for _ in range(100):  # read in a worker of its own
        if len(table.links) == 2:
            break
        await pilot.pause(0.05)
    assert len(table.links) == 2
    await settle(pilot)


async def outage(pilot: Pilot[None]) -> None:
    await ticket_links(pilot)
    await press(pilot, "O")
    expect_screen(pilot, OutageScreen)
    await pilot.press(*"The certificate is renewed.")
    await settle(pilot)


async def composer(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await press(pilot, "r")
    expect_screen(pilot, ComposeScreen)


DF = (
    "printf 'Filesystem      Size  Used Avail Use%% Mounted on\\n"
    "/dev/vda1        50G   47G  3.0G  94%% /var\\n'; exit 1"
)


async def shell_note(pilot: Pilot[None]) -> None:
    """`!`: a command run, its output shown as the note will hold it, not added yet."""
    await ticket(pilot)
    await press(pilot, "exclamation_mark")
    expect_screen(pilot, ShellNoteScreen)
    screen = pilot.app.screen
    assert isinstance(screen, ShellNoteScreen)
    await pilot.press(*DF, "enter")
    await settle(pilot)  # the command runs in a thread worker: settled, it is done
    assert screen.run is not None and screen.run.returncode == 1


async def macro_picker(pilot: Pilot[None]) -> None:
    await composer(pilot)
    await press(pilot, "ctrl+t")
    expect_screen(pilot, MacroPicker)
    await pilot.press(*"reset")
    await settle(pilot)


async def escalations(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "f3")
    expect_screen(pilot, EscalationScreen)


async def escalations_tier(pilot: Pilot[None]) -> None:
    await escalations(pilot)
    await press(pilot, "tab")
    table = pilot.app.screen.query_one(TicketTable)
    assert table.total > 0, "nothing waits for a tier in the demo store"


async def sla_board(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "f4")
    expect_screen(pilot, SlaBoardScreen)


async def metrics(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "f5")
    expect_screen(pilot, MetricsScreen)


async def handover(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "f7")
    expect_screen(pilot, HandoverScreen)


async def help_keys(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "question_mark")
    expect_screen(pilot, HelpScreen)


async def new_ticket(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "n")
    expect_screen(pilot, NewTicketScreen)


async def conflict(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    key = app.screen.key  # type: ignore[attr-defined]
    # A colleague changes the ticket behind our back; our priority change then conflicts.
    await without_live_updates(pilot)
    theirs = app.service.latest(key)
    app.service.update(key, theirs.version, category="changed-by-colleague")
    await press(pilot, "p")
    await choose(pilot, "P4")
    expect_screen(pilot, ConflictScreen)


GATEWAY_LOG = "".join(
    f"2026-03-04 08:{minute:02d}:07 ERROR gateway: upstream auth-{minute % 3} timed out "
    f"after 30s (attempt {minute % 5 + 1})\n"
    for minute in range(40)
)


async def attachment(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    key = app.screen.key  # type: ignore[attr-defined]
    log = app.settings.data_dir / "gateway.txt"
    log.write_text(GATEWAY_LOG)
    app.service.attach(key, app.service.get(key).version, log)
    await press(pilot, "R")  # read the ticket again: the note with the file is there
    await press(pilot, "f")
    expect_screen(pilot, AttachmentScreen)


async def palette(pilot: Pilot[None]) -> None:
    await queue(pilot)
    await press(pilot, "ctrl+p")
    expect_screen(pilot, CommandPalette)
    screen = pilot.app.screen
    screen.query_one(CommandInput).cursor_blink = False
    # The palette gathers its commands in a worker of its own: wait for the list.
    for _ in range(50):
        if screen.query_one(CommandList).option_count and not screen._show_busy:  # type: ignore[attr-defined]
            break
        await pilot.pause(0.05)
    assert screen.query_one(CommandList).option_count > 0
    await settle(pilot)


SCREENS: dict[str, Steps] = {
    "queue": queue,
    "queue-filter": queue_filter,
    "views": views,
    "goto-prompt": goto_prompt,
    "bulk-confirm": bulk_confirm,
    "ticket-conversation": ticket,
    "ticket-history": ticket_history,
    "ticket-details": ticket_details,
    "ticket-customer": ticket_customer,
    "ticket-links": ticket_links,
    "outage-update": outage,
    "reply-composer": composer,
    "macro-picker": macro_picker,
    "shell-note": shell_note,
    "escalations": escalations,
    "escalations-tier": escalations_tier,
    "sla-board": sla_board,
    "metrics": metrics,
    "handover": handover,
    "help": help_keys,
    "new-ticket": new_ticket,
    "conflict": conflict,
    "palette": palette,
    "attachment": attachment,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    screen: str, size: tuple[int, int], make_app: AppFactory, snap_compare: Callable[..., bool]
) -> None:
    failures: list[BaseException] = []

    async def run_before(pilot: Pilot[None]) -> None:
        try:
            await SCREENS[screen](pilot)
        except BaseException as exc:
            # Textual swallows the autopilot's error and the screenshot comes back empty:
            # keep the real reason to report it.
            failures.append(exc)
            raise

    try:
        matched = snap_compare(make_app(), terminal_size=size, run_before=run_before)
    except AssertionError:
        if failures:
            raise failures[0] from None
        raise
    assert matched


@pytest.mark.parametrize("size", SIZES)
def test_queue_on_call_with_a_pinned_p1(
    size: tuple[int, int], make_app: AppFactory, snap_compare: Callable[..., bool]
) -> None:
    """On-call mode: a new P1 pinned above the queue, with its marker and key."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, HelpdeskApp)
        app.service.create(
            TicketDraft("Card payments declined at every till", priority=Priority.CRITICAL)
        )
        await press(pilot, "r")
        await queue(pilot)

    assert snap_compare(make_app(oncall=True), terminal_size=size, run_before=run_before)
