"""Rough edges found in a user trial at 80x24: bulk tags split on commas, metrics that
stop at the period ending now, refusals said once and before a dialog, the status
picker in the lifecycle's order, a no-op said as one, and no `space Select` where space
selects nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from helpdesk_tui.domain.model import Escalation, Priority, Status, Ticket
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.store.base import Query, SortKey
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.labels import keyed
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen
from helpdesk_tui.ui.screens.escalation import DecideScreen, EscalationScreen
from helpdesk_tui.ui.screens.metrics import MetricsScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.sla_board import SlaBoardScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.status_line import StatusLine
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.conftest import FROZEN
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, expect_screen, open_ticket, press, settle


@contextmanager
def said(app: HelpdeskApp) -> Iterator[list[str]]:
    """Every toast's message (titled "title: message") while the block runs."""
    told: list[str] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        title = options.get("title", "")
        told.append(f"{title}: {message}" if title else message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    try:
        yield told
    finally:
        app.notify = notify  # type: ignore[method-assign]


def first(store: SqlRepository, query: Query) -> Ticket:
    page = store.query(replace(query, sort=SortKey.KEY, limit=1))
    assert page.tickets, query
    return page.tickets[0]


def queue_screen(app: HelpdeskApp) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen)
    return screen


# 1 ---------------------------------------------------------------- bulk tags


async def test_bulk_tags_split_on_commas_as_the_edit_form_does(make_app: AppFactory) -> None:
    """`+outage,vpn` made one tag "outage,vpn"; the edit form (E) reads it as two."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = queue_screen(app).query_one(TicketTable)
        one, two = table.visible_tickets()[:2]
        await press(pilot, "space", "space", "number_sign")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen) and "comma-separated" in prompt.title_text
        await pilot.press(*"+outage,vpn")
        await press(pilot, "enter", "y")
        for ticket in (one, two):
            tags = app.service.get(ticket.key).tags
            assert "outage" in tags and "vpn" in tags and "outage,vpn" not in tags
        # A sign before a group applies to each of its tags.
        await press(pilot, "home", "space", "space", "number_sign")
        await pilot.press(*"-outage, vpn")
        await press(pilot, "enter", "y")
        for ticket in (one, two):
            assert app.service.get(ticket.key).tags == ticket.tags


# 2 ---------------------------------------------------------------- metrics


async def test_later_stops_at_the_period_that_ends_now(make_app: AppFactory) -> None:
    """With a clock that moves, "the last 30 days" read a moment ago ended just before
    now, and `]` stepped to the 30 days ahead ("0 created")."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ticks = iter(range(10**6))

        def moving() -> datetime:
            return FROZEN + timedelta(seconds=next(ticks))

        app.service.clock = moving
        await press(pilot, "f5")
        expect_screen(pilot, MetricsScreen)
        screen = app.screen
        assert isinstance(screen, MetricsScreen) and screen.period is not None
        latest = screen.period
        await press(pilot, "right_square_bracket")
        assert screen.period == latest
        assert "latest period" in screen.query_one(StatusLine).text
        # Back one, forward one: the period that ended when the screen read it; no further.
        await press(pilot, "left_square_bracket", "right_square_bracket")
        back = screen.period
        assert back.until == latest.until and back.until <= app.service.clock()
        await press(pilot, "right_square_bracket")
        assert screen.period == back
        assert screen.shown is not None and screen.shown.period.until <= app.service.clock()
        # A week under way is still shown; the next one is not.
        await press(pilot, "w", "right_square_bracket", "right_square_bracket")
        assert screen.period == Period.week(FROZEN, "2026-W10")


# 3 ---------------------------------------------------------------- wording


def test_a_message_that_names_its_ticket_is_not_led_by_the_key_again() -> None:
    assert keyed("HD-98", "HD-98 is held by gustavo") == "HD-98 is held by gustavo"
    assert keyed("HD-98", "only a lead assigns") == "HD-98: only a lead assigns"
    assert keyed("HD-9", "HD-98 is held by gustavo") == "HD-9: HD-98 is held by gustavo"


async def test_a_bulk_refusal_names_the_ticket_once(
    make_app: AppFactory, store: SqlRepository
) -> None:
    held = first(store, Query(statuses=frozenset({Status.OPEN}), assignees=frozenset({"gustavo"})))
    app = make_app("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        await press(pilot, "v")
        await choose(pilot, "All open")
        await press(pilot, "f", *"assignee:gustavo status:open", "enter")
        row = [t.key for t in screen.table.visible_tickets()].index(held.key)
        await press(pilot, *["down"] * row)
        assert screen.table.current is not None and screen.table.current.key == held.key
        with said(app) as told:
            await press(pilot, "p")
            other = next(p for p in Priority if p is not held.priority)
            await choose(pilot, other.short)
            await settle(pilot)
        refusals = [t for t in told if "refused" in t]
        assert refusals == [f"0 done, 1 refused: {held.key} is held by gustavo"], told


async def test_closing_asks_close_not_closed(make_app: AppFactory, store: SqlRepository) -> None:
    resolved = first(store, Query(statuses=frozenset({Status.RESOLVED})))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, app, resolved.key)
        await press(pilot, "s")
        await choose(pilot, "closed")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.question == f"Close {resolved.key}? This is final."


# 4 ---------------------------------------------------------------- status picker


async def test_the_status_picker_follows_the_lifecycle_and_never_starts_on_cancel(
    make_app: AppFactory, store: SqlRepository
) -> None:
    opened = first(store, Query(statuses=frozenset({Status.OPEN})))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, app, opened.key)
        await press(pilot, "s")
        picker = app.screen
        assert isinstance(picker, ChoiceScreen)
        values = [value for _label, value in picker.options]
        assert values == ["pending", "on_hold", "resolved", "cancelled"]
        assert picker.query_one(OptionList).highlighted == values.index("pending")


# 5 ---------------------------------------------------------------- no-op


async def test_a_priority_the_ticket_has_already_is_said_as_such(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ticket = queue_screen(app).table.current
        assert ticket is not None
        version = app.service.get(ticket.key).version
        with said(app) as told:
            await press(pilot, "p")
            await choose(pilot, ticket.priority.short)
        assert f"{ticket.key} already has priority {ticket.priority.short}" in told, told
        assert not any("set on" in t for t in told), told
        assert app.service.get(ticket.key).version == version
        # On the ticket's own screen too: no "priority P1" toast for a write not made.
        await open_ticket(pilot, app, ticket.key)
        with said(app) as told:
            await press(pilot, "p")
            await choose(pilot, ticket.priority.short)
        assert told == [f"{ticket.key} already has priority {ticket.priority.short}"]


# 6 ---------------------------------------------------------------- footer


def footer_actions(app: HelpdeskApp) -> list[str]:
    return [key.action for key in app.screen.query(FooterKey)]


async def test_space_select_is_offered_only_where_it_selects(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "toggle_mark" in footer_actions(app)
        for key, kind in (("f3", EscalationScreen), ("f4", SlaBoardScreen)):
            await press(pilot, key)
            expect_screen(pilot, kind)
            assert "toggle_mark" not in footer_actions(app), kind
            table = app.screen.query_one(TicketTable)
            await press(pilot, "space")
            assert table.marked == set()


# 7 ---------------------------------------------------------------- refused up front


async def test_an_agent_is_refused_assign_before_the_picker(
    make_app: AppFactory, store: SqlRepository
) -> None:
    ticket = first(store, Query(statuses=frozenset({Status.OPEN}), tiers=frozenset({1})))
    app = make_app("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with said(app) as told:
            await press(pilot, "a")  # the queue's bulk assign, on the row under the cursor
        assert not isinstance(app.screen, ChoiceScreen)
        assert told == ["Not done: only a lead assigns tickets to others; use take"]
        await open_ticket(pilot, app, ticket.key)
        with said(app) as told:
            await press(pilot, "a")
        assert isinstance(app.screen, TicketScreen)
        assert told == ["Not done: only a lead assigns tickets to others; use take"]


async def test_an_agent_is_refused_a_lead_review_before_the_dialog(
    make_app: AppFactory, store: SqlRepository
) -> None:
    ticket = first(store, Query(statuses=frozenset({Status.OPEN})))
    lead = make_app()
    lead.service.request_review(ticket.key, ticket.version, "a second look")
    assert lead.service.get(ticket.key).escalation is Escalation.AWAITING_LEAD
    app = make_app("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f3")
        screen = app.screen
        assert isinstance(screen, EscalationScreen)
        if not screen.lead_reviews:
            await press(pilot, "tab")
        table = screen.query_one(TicketTable)
        assert table.current is not None and table.current.key == ticket.key
        with said(app) as told:
            await press(pilot, "d")
        assert not isinstance(app.screen, DecideScreen)
        assert told == ["Not done: only a lead decides a review"]
        await open_ticket(pilot, app, ticket.key)
        with said(app) as told:
            await press(pilot, "d")
        assert isinstance(app.screen, TicketScreen)
        assert told == ["Not done: only a lead decides a review"]
