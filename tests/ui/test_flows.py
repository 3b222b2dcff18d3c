"""Whole flows through the app with Pilot, checked against the real store."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from helpdesk_tui.domain.model import Escalation, Status
from helpdesk_tui.store.base import SortKey
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen, ConflictScreen, PromptScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from helpdesk_tui.ui.widgets.title_bar import TitleBar
from tests.ui.conftest import ME, AppFactory
from tests.ui.support import choose, running, settle, without_live_updates


def queue(app: HelpdeskApp) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen)
    return screen


async def open_view(pilot: Pilot[None], title: str) -> None:
    await pilot.press("v")
    await settle(pilot)
    await choose(pilot, title)


async def all_open(pilot: Pilot[None], app: HelpdeskApp) -> QueueScreen:
    """The queue on the "All open" view, read."""
    await settle(pilot)
    await open_view(pilot, "All open")
    return queue(app)


async def test_triage_new_ticket_to_a_sent_reply(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_view(pilot, "Unassigned")
        table = app.screen.query_one(TicketTable)
        ticket = table.current
        assert ticket is not None and ticket.assignee is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.key == ticket.key
        await pilot.press("t")  # take
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"We are on it: restarting the gateway now.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = store.get(ticket.key)
        assert stored.assignee == ME
        assert stored.status is Status.OPEN
        assert stored.first_response_at is not None
        last = store.comments(ticket.key)[-1]
        assert last.body == "We are on it: restarting the gateway now." and last.is_public
        # The draft is gone once sent.
        assert app.screen.drafts.pending(ticket.key) == []  # type: ignore[attr-defined]


async def test_escalate_with_a_reason(make_app: AppFactory, store: SqlRepository) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket = queue(app).table.current  # my open tickets: mine to escalate
        assert ticket is not None and ticket.assignee == ME
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        target = 3 if ticket.tier < 3 else 2
        await choose(pilot, f"Tier {target}")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")  # empty reason: refused, the dialog stays
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"database corruption needs tier 3", "enter")
        await settle(pilot)
        stored = store.get(ticket.key)
        assert stored.tier == target and stored.escalation is Escalation.AWAITING_TIER
        tier_changes = [h for h in store.history(ticket.key) if h.field == "tier"]
        assert tier_changes[-1].reason == "database corruption needs tier 3"


async def test_bulk_assign_selected_tickets(make_app: AppFactory, store: SqlRepository) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_view(pilot, "Unassigned")
        table = app.screen.query_one(TicketTable)
        await pilot.press("space", "space", "space")
        chosen = set(table.marked)
        assert len(chosen) == 3
        await pilot.press("a")
        await settle(pilot)
        await choose(pilot, "dmitri")
        await pilot.press("y")  # three tickets: confirm
        await settle(pilot)
        for key in chosen:
            assert store.get(key).assignee == "dmitri"
        assert not table.marked


async def test_search_shows_what_the_store_finds(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        await pilot.press("slash", *"replenishment", "enter")
        await settle(pilot)
        screen = queue(app)
        expected = app.service.count(screen.current_query())
        assert screen.search_text == "replenishment"
        assert screen.table.total == expected > 0
        shown = [t.key for t in screen.table.visible_tickets()]
        found = [t.key for t in app.service.query(screen.current_query().page(0, 100)).tickets]
        assert shown and shown == found[: len(shown)]


async def test_a_search_counts_to_its_own_cap_and_says_so(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.store import base

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await all_open(pilot, app)
        everything = app.service.count(replace(screen.current_query(), text="the"))
        assert everything > 3
        monkeypatch.setattr(base, "SEARCH_COUNT_CAP", 3)
        await pilot.press("slash", *"the", "enter")
        await settle(pilot)
        title = str(screen.query_one(TitleBar).render())
        assert "3+ tickets" in title, title
        # As past COUNT_CAP, the list holds the rows it counted (the best, in a ranked
        # search): the agent adds a word rather than scrolls on.
        shown = [t.key for t in screen.table.visible_tickets()]
        found = app.service.query(screen.current_query().page(0, 3)).tickets
        assert shown == [t.key for t in found]
        # The view without the search counts to the list's cap, exactly here.
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        assert "+ tickets" not in str(screen.query_one(TitleBar).render())


async def test_the_title_and_status_line_count_one_ticket_in_the_singular(
    make_app: AppFactory,
) -> None:
    async with running(make_app) as (app, pilot):
        screen = await all_open(pilot, app)
        words = [t.subject.split()[0] for t in screen.table.visible_tickets()]
        one = next(
            w for w in words if app.service.count(replace(screen.current_query(), text=w)) == 1
        )
        await pilot.press("slash", *one, "enter")
        await settle(pilot)
        title = str(screen.query_one(TitleBar).render())
        assert " · 1 ticket · " in title, title
        assert str(screen.status.render()).strip().startswith("1 ticket"), screen.status.render()
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        assert f" · {screen.table.total} tickets · " in str(screen.query_one(TitleBar).render())


async def test_an_empty_search_or_filter_says_why_the_list_is_empty_and_how_out(
    make_app: AppFactory,
) -> None:
    async with running(make_app, (80, 24)) as (app, pilot):
        screen = await all_open(pilot, app)
        table = screen.table
        await pilot.press("slash", *"zzqqxx", "enter")
        await settle(pilot)
        assert table.total == 0
        said = table.render_line(1).text.strip()
        assert said == "No ticket in All open matches “zzqqxx” · esc clears the search", said
        await pilot.press("escape")
        await settle(pilot)
        assert table.total > 0 and screen.search_text == ""
        await pilot.press("f", *"org:NoSuchOrganization", "enter")
        await settle(pilot)
        assert table.render_line(1).text.strip() == (
            "No ticket in All open matches the filter · esc clears it"
        )
        await pilot.press("slash", *"zzqqxx", "enter")
        await settle(pilot)
        # At 80 columns the line is cut to the table's width, never wrapped or spilled.
        line = table.render_line(1)
        assert line.cell_length == table.size.width
        assert line.text.startswith(" No ticket in All open matches the search and the filter")
        await pilot.press("escape")
        await settle(pilot)
        assert table.total > 0 and (screen.search_text, screen.filter_text) == ("", "")


async def test_a_search_sorts_by_relevance_and_lets_it_go_with_the_words(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await all_open(pilot, app)
        # No search: `o` cycles the list's sorts only (nothing to rank by).
        seen = set()
        for _ in range(8):
            await pilot.press("o")
            seen.add(screen.current_query().sort)
        assert SortKey.RELEVANCE not in seen
        await pilot.press("slash", *"replenishment", "enter")
        await settle(pilot)
        for _ in range(8):
            if screen.current_query().sort is SortKey.RELEVANCE:
                break
            await pilot.press("o")
        await settle(pilot)
        query = screen.current_query()
        assert query.sort is SortKey.RELEVANCE
        assert "by relevance" in str(screen.query_one(TitleBar).render())
        shown = [t.key for t in screen.table.visible_tickets()]
        found = [t.key for t in app.service.query(query.page(0, 100)).tickets]
        assert shown and shown == found[: len(shown)]
        # The words gone, the view's own sort is back: relevance needs words.
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        assert screen.search_text == ""
        assert screen.current_query().sort is not SortKey.RELEVANCE
        assert "by relevance" not in str(screen.query_one(TitleBar).render())


async def test_conflict_shows_their_change_and_retries(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket = queue(app).table.current
        assert ticket is not None
        await pilot.press("enter")
        await settle(pilot)
        # Another agent changes the ticket behind our back.
        await without_live_updates(pilot)
        other = store.get(ticket.key)
        app.service.update(ticket.key, other.version, category="changed-by-colleague")
        await pilot.press("p")
        await settle(pilot)
        await choose(pilot, "P4")
        assert isinstance(app.screen, ConflictScreen)
        assert "category" in app.screen.error.changed_fields
        await pilot.press("r")
        await settle(pilot)
        stored = store.get(ticket.key)
        assert stored.priority.short == "P4" and stored.category == "changed-by-colleague"


async def test_reply_draft_survives_a_killed_app(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    key = ""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        current = queue(app).table.current
        assert current is not None
        key = current.key
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"half a sentence")
        # The connection drops here: the app ends without sending.
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        again.open_ticket(key)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert again.screen.query_one("#body").text == "half a sentence"  # type: ignore[attr-defined]
    assert store.comments(key)[-1].body != "half a sentence"


async def test_bulk_status_cancel_asks_first_and_needs_reason(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_view(pilot, "Unassigned")
        ticket = queue(app).table.current
        assert ticket is not None
        await pilot.press("s")
        await settle(pilot)
        await choose(pilot, "cancelled")
        await pilot.press(*"duplicate of an earlier ticket", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.destructive
        await pilot.press("n")  # the confirmation says no: nothing changes
        await settle(pilot)
        assert store.get(ticket.key).status is ticket.status
        await pilot.press("s")
        await settle(pilot)
        await choose(pilot, "cancelled")
        await pilot.press(*"duplicate of an earlier ticket", "enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        stored = store.get(ticket.key)
        assert stored.status is Status.CANCELLED
        assert [h.reason for h in store.history(ticket.key) if h.field == "status"] == [
            "duplicate of an earlier ticket"
        ]


async def _ticket_read_held_back(
    app: HelpdeskApp, pilot: Pilot[None], release: threading.Event, fails: bool = False
) -> TicketScreen:
    """Open the ticket under the cursor with its read held until `release` (then failing
    if `fails`), as over a slow link: the ticket screen is up, its ticket not yet read."""
    await settle(pilot)
    key = queue(app).table.current.key  # type: ignore[union-attr]
    real = app.service.get

    def slow(wanted: str) -> Any:
        release.wait(10)
        if fails:
            raise OSError("the link dropped")
        return real(wanted)

    app.service.get = slow  # type: ignore[method-assign]
    app.open_ticket(key)
    for _ in range(100):
        await pilot.pause(0.02)
        if isinstance(app.screen, TicketScreen):
            break
    screen = app.screen
    assert isinstance(screen, TicketScreen) and screen.ticket is None
    return screen


@pytest.mark.parametrize(
    ("keys", "opens"),
    [
        ("r", "ComposeScreen"),
        ("n", "ComposeScreen"),
        ("Y", "Copy to the clipboard"),
        ("s", "Status"),
        ("p", "Priority"),
        ("e", "Escalate to"),
        ("E", "EditTicketScreen"),
        ("m", "Merge"),
        ("L", "Link"),
        # Keys typed ahead run in order: s opens its picker, p goes to that picker.
        ("s p", "Status"),
    ],
)
async def test_an_action_asked_for_before_the_ticket_is_read_runs_once_it_is(
    make_app: AppFactory, keys: str, opens: str
) -> None:
    # Over a slow link the agent types Enter then a key before the ticket has been read:
    # the key is kept and its action runs when the ticket is shown, not dropped.
    app = make_app()
    release = threading.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _ticket_read_held_back(app, pilot, release)
        await pilot.press(*keys.split())
        await pilot.pause()
        assert app.screen is screen  # nothing to act on yet
        release.set()
        await settle(pilot)
        shown = app.screen
        title = getattr(shown, "title_text", "")
        assert type(shown).__name__ == opens or title.startswith(opens), (shown, title)


async def test_a_key_typed_ahead_of_a_read_that_fails_is_dropped(
    make_app: AppFactory,
) -> None:
    # The read fails: what the key was for is not on screen, so a later successful read
    # (R) must not spring the old key on the agent.
    app = make_app()
    release = threading.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _ticket_read_held_back(app, pilot, release, fails=True)
        await pilot.press("s")
        release.set()
        await settle(pilot)
        assert app.screen is screen and screen.ticket is None
        app.service.get = type(app.service).get.__get__(app.service)  # type: ignore[method-assign]
        await pilot.press("R")
        await settle(pilot)
        assert app.screen is screen and screen.ticket is not None
