"""Escalation on screen (issue 14, acceptance line 3), with Pilot on the real SQLite demo
store: F3 lists why each ticket was escalated, the decision dialog shows the reason and
takes a comment (empty, filled, too long), `t` on a waiting ticket accepts it, an agent
who escalates hears what became of the ticket, and History reads as sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from helpdesk_tui.domain.model import MAX_BODY, CommentKind, Escalation
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.escalation import DecideScreen, EscalationScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable, fit_words
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, decide, open_ticket, press, settle
from tests.ui.test_forms import AWAITING, Frozen, Toasts, alive, one_message

REASON = "needs platform-level analysis beyond my tier"
"""Why the demo's tier-1 agent alice escalated HD-1 and HD-24 to tier 2."""


@pytest.fixture
def started(make_app: AppFactory) -> Any:
    """`async with started(agent) as (app, pilot, toasts)`: the app at 120x40, settled."""

    @asynccontextmanager
    async def run(agent: str = "alex") -> AsyncIterator[tuple[HelpdeskApp, Any, Toasts]]:
        app = make_app(agent)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            toasts = Toasts(app)
            yield app, pilot, toasts
            alive(app)

    return run


def history_texts(app: Any) -> list[str]:
    """The History tab's What column, each entry's wrapped lines joined again."""
    table = app.screen.query_one("#history-table", DataTable)
    rows = [table.get_row_at(i) for i in range(table.row_count)]
    return [" ".join(str(row[1]).split()) for row in rows]


async def test_f3_lists_who_escalated_and_why_at_80_columns(started: Any) -> None:
    async with started("dmitri") as (app, pilot, _toasts):
        await pilot.resize_terminal(80, 24)
        await press(pilot, "f3")
        screen = app.screen
        assert isinstance(screen, EscalationScreen)
        table = screen.query_one(TicketTable)
        header = table.render_line(0).text
        assert "By" in header and "Reason" in header and "Subject" in header
        rows = {t.key: table.render_line(i + 1).text for i, t in enumerate(table.visible_tickets())}
        assert set(rows) == {"HD-1", "HD-24"}  # the two waiting for tier 2
        line = rows["HD-1"]
        assert len(line) == 80 and " alice " in line
        shown = line[line.index("needs") :].split("…")[0]
        assert REASON.startswith(shown)  # the reason, cut between two words
        assert REASON[len(shown)] == " " and "…" in line


async def test_decide_shows_the_reason_and_an_empty_comment_adds_no_note(
    started: Any, store: SqlRepository
) -> None:
    notes = len(store.comments(AWAITING))
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, AWAITING)
        toasts.new()
        await press(pilot, "d")
        dialog = app.screen
        assert isinstance(dialog, DecideScreen)
        about = str(dialog.query_one("#decide-about", Static).render())
        assert "Escalated from tier 1 to tier 2 by alice" in about
        assert f"Reason: {REASON}" in " ".join(about.split())
        await decide(pilot, "Accept")
        one_message(toasts, "accepted, yours now")
        stored = store.get(AWAITING)
        assert (stored.assignee, stored.escalation) == ("alex", Escalation.NONE)
        assert len(store.comments(AWAITING)) == notes
        await press(pilot, "2")
        assert history_texts(app)[-1] == "Escalation accepted by alex"


async def test_a_decision_comment_is_a_note_and_shown_in_history(
    started: Any, store: SqlRepository
) -> None:
    async with started() as (app, pilot, _toasts):
        await open_ticket(pilot, app, AWAITING)
        await press(pilot, "d")
        await decide(pilot, "Accept", "taking it, logs next")
        note = store.comments(AWAITING)[-1]
        assert (note.kind, note.author, note.body) == (
            CommentKind.NOTE,
            "alex",
            "taking it, logs next",
        )
        await press(pilot, "2")
        texts = history_texts(app)
        assert texts[-1] == "Escalation accepted by alex: taking it, logs next"
        assert f"Escalated from tier 1 to tier 2 by alice: {REASON}" in " ".join(texts)
        for raw in ("escalated_from_tier", "awaiting_tier", "escalation_reason", "decision:"):
            assert all(raw not in text for text in texts), raw


async def test_a_comment_over_the_limit_is_one_line_and_nothing_is_written(
    started: Any, store: SqlRepository
) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, AWAITING)
        frozen = Frozen(store, AWAITING)
        toasts.new()
        await press(pilot, "d")
        dialog = app.screen
        assert isinstance(dialog, DecideScreen)
        await pilot.press("enter")  # Accept: on to the comment
        dialog.query_one("#decide-comment", Input).value = "x" * (MAX_BODY + 1)
        await press(pilot, "enter")
        assert app.screen is dialog  # still open, to fix the comment
        error = str(dialog.query_one("#decide-error", Static).render())
        assert error == f"the decision's comment is longer than {MAX_BODY} characters"
        await press(pilot, "escape")
        frozen.unchanged()
        assert toasts.new() == []


async def test_taking_a_waiting_ticket_accepts_it(started: Any, store: SqlRepository) -> None:
    async with started("dmitri") as (app, pilot, toasts):
        await open_ticket(pilot, app, AWAITING)
        toasts.new()
        await press(pilot, "t")
        one_message(toasts, "escalation accepted, yours now")
        stored = store.get(AWAITING)
        assert (stored.assignee, stored.escalation) == ("dmitri", Escalation.NONE)
        assert "waiting for" not in str(app.screen.query_one("#ticket-summary", Static).render())
        await press(pilot, "2")
        assert history_texts(app)[-1] == "Escalation accepted by dmitri"


async def test_a_tier_2_agent_escalating_hands_it_on_and_watches(
    started: Any, store: SqlRepository
) -> None:
    async with started("dmitri") as (app, pilot, toasts):
        await open_ticket(pilot, app, AWAITING)
        await press(pilot, "t")  # dmitri's now, at tier 2
        toasts.new()
        await press(pilot, "e")
        await choose(pilot, "Tier 3")
        await pilot.press(*"needs log analysis")
        await press(pilot, "enter")
        one_message(toasts, "handed to tier 3", "you are watching it")
        stored = store.get(AWAITING)
        assert (stored.tier, stored.assignee) == (3, None)
        assert stored.escalation is Escalation.AWAITING_TIER and "dmitri" in stored.watchers
        await press(pilot, "2")
        assert history_texts(app)[-1] == (
            "Escalated from tier 2 to tier 3 by dmitri: needs log analysis"
            " · Assignee: dmitri → nobody · Watchers: + dmitri"
        )


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("needs log analysis", 20, "needs log analysis  "),  # fits: whole, padded
        (REASON, 21, "needs platform-level…"),  # cut where a word ends
        (REASON, 24, "needs platform-level…   "),  # not inside "analysis"
        ("averyveryverylongword and more", 10, "averyvery…"),  # one word: cut inside it
        ("日本語のテキスト です", 9, "日本語の…"),  # by terminal cells
        ("", 3, "   "),
    ],
)
def test_free_text_is_cut_between_words(text: str, width: int, shown: str) -> None:
    assert fit_words(text, width) == shown
