"""On-call mode pins the P1s nobody has acknowledged above the queue (issue 14,
acceptance line 2): in every view, until someone acknowledges one with `A` (or answers
it); `A` with nothing pinned, or on a ticket the agent may not change, writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_tui.domain.model import Agent, Priority, Status, Ticket
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.pinned import PinnedTickets
from tests.conftest import FROZEN
from tests.ui.conftest import ME, AppFactory
from tests.ui.support import press, settle, without_live_updates


def _service(store: SqlRepository, who: str = ME) -> HelpdeskService:
    return HelpdeskService(
        store, bootstrap.load_policy("default"), lambda: FROZEN, store.get_agent(who)
    )


def _acknowledge_all(store: SqlRepository) -> None:
    service = _service(store)
    for ticket in service.awaiting_acknowledgement():
        if ticket.status is Status.NEW:
            service.set_status(ticket.key, ticket.version, Status.OPEN)
        else:
            service.reply(ticket.key, ticket.version, "Acknowledged.")


def _new_p1(store: SqlRepository, subject: str, tier: int = 2) -> Ticket:
    return _service(store).create(TicketDraft(subject, priority=Priority.CRITICAL, tier=tier))


def _pinned_text(screen: QueueScreen) -> str:
    strip = screen.query_one(PinnedTickets)
    return "\n".join(s.text for s in strip.render_lines(strip.size.region)) if strip.display else ""


async def test_a_new_p1_stays_pinned_in_every_view_until_acknowledged(
    make_app: AppFactory, store: SqlRepository
) -> None:
    _acknowledge_all(store)
    p1 = _new_p1(store, "Checkout down [bold]for everyone[/bold]")
    app = make_app(oncall=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        shown = _pinned_text(queue)
        assert f"▲ {p1.key} P1 new, not acknowledged" in shown
        assert "[bold]" in shown  # the customer's words, not markup
        assert "A acknowledges the first" in shown
        for _ in range(3):  # other views: still pinned
            await press(pilot, "right_square_bracket")
            assert p1.key in _pinned_text(queue)
        await press(pilot, "A")
        assert isinstance(app.screen, TicketScreen)
        stored = store.get(p1.key)
        assert stored.status is Status.OPEN and stored.version == p1.version + 1
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)
        assert _pinned_text(app.screen) == ""


async def test_acknowledge_with_nothing_pinned_or_without_the_right_writes_nothing(
    make_app: AppFactory, store: SqlRepository
) -> None:
    _acknowledge_all(store)
    store.save_agent(Agent("tina", "Tina Tier", "tina@helpdesk.example", 1))
    app = make_app(oncall=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        token = store.change_token()
        await press(pilot, "A")
        assert store.change_token() == token
        assert any("No P1 waits" in str(n.message) for n in app._notifications)
    p1 = _new_p1(store, "Data corruption on the ledger", tier=3)
    app = make_app("tina", oncall=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert p1.key in _pinned_text(app.screen)  # tier 1 sees it waiting...
        token = store.change_token()
        await press(pilot, "A")
        assert store.change_token() == token  # ...and may not acknowledge a tier-3 ticket
        assert store.get(p1.key).status is Status.NEW
        assert any("tier 3" in str(n.message) for n in app._notifications)
        assert isinstance(app.screen, QueueScreen)
        assert p1.key in _pinned_text(app.screen)


async def test_off_call_nothing_is_pinned(make_app: AppFactory, store: SqlRepository) -> None:
    p1 = _new_p1(store, "Checkout down")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert _pinned_text(app.screen) == ""
        await press(pilot, "A")
        assert store.get(p1.key).status is Status.NEW


async def test_the_pinned_p1s_are_read_when_the_store_changes_not_per_view(
    make_app: AppFactory, store: SqlRepository
) -> None:
    # Two reads (RT: two searches) at every view, filter or sort change were wasted: the
    # pinned P1s are the store's, whichever view is shown.
    _acknowledge_all(store)
    p1 = _new_p1(store, "Payments down")
    app = make_app(oncall=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await without_live_updates(pilot)  # the reads counted are the keys' own
        service = app.service
        reads: list[int] = []
        original = service.awaiting_acknowledgement

        def counted(limit: int = 50) -> list[Ticket]:
            reads.append(limit)
            return original(limit)

        service.awaiting_acknowledgement = counted  # type: ignore[method-assign]
        for key in ("right_square_bracket", "right_square_bracket", "o", "O"):
            await press(pilot, key)
        assert reads == []
        queue = app.screen
        assert isinstance(queue, QueueScreen) and p1.key in _pinned_text(queue)
        await press(pilot, "r")  # a refresh reads them again
        assert len(reads) == 1
        _service(store).set_status(p1.key, p1.version, Status.OPEN)  # a colleague's
        await press(pilot, "r")
        assert len(reads) == 2 and _pinned_text(queue) == ""
        # A change heard reads them once the rows are drawn, even when the agent sorts
        # before those rows arrive: the sort's read does not drop the pinned one.
        queue.live_changed(None)
        queue.action_sort()
        await settle(pilot)
        assert len(reads) == 3 and not queue.pinned_due


async def test_the_pinned_strip_repaints_only_when_its_text_changes(
    make_app: AppFactory, store: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ticked every second: an update lays the screen out again, and the queue's scroll
    # bar was written with it, 4.6 KB a second on an idle queue over SSH.
    _acknowledge_all(store)
    _new_p1(store, "Checkout down")
    app = make_app(oncall=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        strip = queue.query_one(PinnedTickets)
        before = _pinned_text(queue)
        updates: list[object] = []
        update = strip.update

        def counted(content: object = "", **options: object) -> None:
            updates.append(content)
            update(content, **options)  # type: ignore[arg-type]

        monkeypatch.setattr(strip, "update", counted)
        for _ in range(3):
            queue.tick_pinned()  # the clock is frozen: the same text
        assert updates == []
        strip.show(strip.tickets, queue.helpdesk.policy, FROZEN + timedelta(hours=3))
        await pilot.pause()
        assert len(updates) == 1  # its countdown moved
        assert _pinned_text(queue) != before
