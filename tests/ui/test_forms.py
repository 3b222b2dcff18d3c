"""Every form and dialog of the app, submitted with Pilot against the real SQLite store:
once with every optional field empty, once with every field filled, and once with bad
input. The app must still run after each, the store must hold what was asked, and bad
input must get one clear message and write nothing to the ticket (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from helpdesk_tui.domain.model import Channel, Environment, Escalation, Priority, Status, TicketType
from helpdesk_tui.service import Delivery
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.base import MailDirection, MailState, Query, mail_queue
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.commands import ticket_key
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import ConflictScreen, PromptScreen
from helpdesk_tui.ui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.conversation import Conversation
from helpdesk_tui.ui.widgets.inputs import field_value
from helpdesk_tui.ui.widgets.status_line import StatusLine
from tests.conftest import FROZEN
from tests.ui.conftest import AppFactory
from tests.ui.support import (
    choose,
    decide,
    open_ticket,
    press,
    settle,
    wait_for_screen,
    without_live_updates,
)

MINE = "HD-23"
"""Open, assigned to alex (the lead the app runs as), tier 2, no escalation."""
HANAS = "HD-33"
"""Open, held by hana (tier 3): what a tier-1 agent may not touch."""
AWAITING = "HD-1"
"""Open, unassigned, waiting for tier 2 to accept it."""
RESOLVED = "HD-9"
"""Resolved, alex's, no satisfaction score yet."""
MAIL_ON = MailSettings(sender="Support <support@helpdesk.example>", smtp_host="smtp.example")


class Toasts:
    """Every notification the app shows (they expire on screen; the list keeps them)."""

    def __init__(self, app: HelpdeskApp) -> None:
        self.said: list[str] = []
        notify = app.notify

        def recording(message: str, **options: Any) -> None:
            self.said.append(message)
            notify(message, **options)

        app.notify = recording  # type: ignore[method-assign]

    def new(self) -> list[str]:
        """What was said since the last call."""
        said, self.said = self.said, []
        return said


def alive(app: HelpdeskApp) -> None:
    assert app._exception is None, app._exception
    assert app.return_code is None and app.is_running


class Frozen:
    """A ticket as the store holds it now: `unchanged()` after bad input."""

    def __init__(self, store: SqlRepository, key: str) -> None:
        self.store, self.key = store, key
        self.ticket = store.get(key)
        self.comments = store.comments(key)

    def unchanged(self) -> None:
        assert self.store.get(self.key) == self.ticket
        assert self.store.comments(self.key) == self.comments


def one_message(toasts: Toasts, *words: str) -> str:
    said = toasts.new()
    assert len(said) == 1, said
    for word in words:
        assert word in said[0], said
    return said[0]


def dialog_error(app: HelpdeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.fixture
def started(make_app: AppFactory) -> Iterator[Any]:
    """Run a test body inside the app: `async with started(agent) as (app, pilot, toasts)`."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run(agent: str = "alex", **overrides: object) -> Any:
        app = make_app(agent, **overrides)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            toasts = Toasts(app)
            yield app, pilot, toasts
            alive(app)

    yield run


# -- new ticket ----------------------------------------------------------------------


def _count(app: HelpdeskApp) -> int:
    return int(app.service.count(Query()))


async def test_new_ticket_with_optional_fields_empty(started: Any) -> None:
    async with started() as (app, pilot, _toasts):
        before = _count(app)
        await press(pilot, "n")
        assert isinstance(app.screen, NewTicketScreen)
        # Environment is left unset: Select.NULL ended the app here (issue 12).
        assert field_value(app.screen.query_one("#environment")) == ""
        await pilot.press(*"Printer on floor 3 is jammed")
        await press(pilot, "ctrl+s")
        alive(app)
        assert _count(app) == before + 1
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket is not None
        stored = app.service.get(screen.key)
        assert stored.subject == "Printer on floor 3 is jammed"
        assert stored.environment is None and stored.category is None
        assert stored.requester_email == "" and stored.organization is None
        assert (stored.type, stored.priority, stored.tier) == (
            TicketType.INCIDENT,
            Priority.MEDIUM,
            1,
        )


async def test_shift_tab_from_the_subject_reaches_the_description(started: Any) -> None:
    """At 80x24 the form scrolls; tab and shift+tab go round the fields only, so a
    description typed after shift+tab is the ticket's description."""
    async with started() as (app, pilot, _toasts):
        await pilot.resize_terminal(80, 24)
        await press(pilot, "n")
        await pilot.press(*"Printer jams", "shift+tab")
        assert app.focused is not None and app.focused.id == "description"
        await pilot.press(*"Every job stops")
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        stored = app.service.get(screen.key)
        assert (stored.subject, stored.description) == ("Printer jams", "Every job stops")


async def test_new_ticket_with_every_field_filled(started: Any) -> None:
    async with started() as (app, pilot, _toasts):
        await press(pilot, "n")
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        await pilot.press(*"VPN drops every hour")
        # The selects are set through the widget (their overlay is Textual's own).
        chosen = {
            "#type": "access_request",
            "#priority": "high",
            "#tier": "2",
            "#channel": "email",
            "#environment": "uat",
        }
        for selector, value in chosen.items():
            screen.query_one(selector, Select).value = value
        for selector, text in {
            "#requester": "Ana Lima",
            "#email": "ana@lisboatexteis.example",
            "#org": "Lisboa Têxteis",
            "#category": "network",
        }.items():
            screen.query_one(selector).focus()
            await pilot.press(*text)
        screen.query_one("#description").focus()
        await pilot.press(*"Since Monday.")
        await press(pilot, "ctrl+s")
        alive(app)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        stored = app.service.get(ticket.key)
        assert stored.subject == "VPN drops every hour"
        assert stored.type is TicketType.ACCESS_REQUEST and stored.priority is Priority.HIGH
        assert stored.tier == 2 and stored.channel is Channel.EMAIL
        assert stored.environment is Environment.UAT
        assert stored.requester_name == "Ana Lima"
        assert stored.requester_email == "ana@lisboatexteis.example"
        assert stored.organization == "Lisboa Têxteis" and stored.category == "network"
        assert stored.description == "Since Monday."


@pytest.mark.parametrize(
    ("subject", "email", "said"),
    [("", "", "subject"), ("Laptop", "not an address", "not an address")],
    ids=["empty-subject", "bad-email"],
)
async def test_new_ticket_bad_input(started: Any, subject: str, email: str, said: str) -> None:
    async with started() as (app, pilot, toasts):
        before = _count(app)
        await press(pilot, "n")
        await pilot.press(*subject)
        app.screen.query_one("#email").focus()
        await pilot.press(*email)
        await press(pilot, "ctrl+s")
        alive(app)
        assert isinstance(app.screen, NewTicketScreen)  # the form stays, as typed
        assert said in dialog_error(app, "#form-error")
        assert toasts.new() == []  # the form says it; no toast on top
        assert _count(app) == before


# -- reply and note --------------------------------------------------------------------


async def _compose(pilot: Pilot[None], key: str, text: str) -> None:
    await press(pilot, key)
    assert isinstance(pilot.app.screen, ComposeScreen)
    await pilot.press(*text)
    await press(pilot, "ctrl+s")


def _headers(app: HelpdeskApp) -> list[str]:
    return [
        str(message.render()).split("\n", 1)[0]
        for message in app.screen.query_one(Conversation).query(".message")
    ]


async def test_reply_with_mail_off_says_nobody_was_mailed(
    started: Any, store: SqlRepository
) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        toasts.new()
        await _compose(pilot, "r", "Restarted the gateway.")
        alive(app)
        last = store.comments(MINE)[-1]
        assert last.body == "Restarted the gateway." and last.is_public
        said = one_message(toasts, MINE, "reply saved", "outgoing mail is off")
        assert "sent" not in said
        assert _headers(app)[-1].endswith("✉ mail off")


async def test_reply_with_mail_on_is_queued_then_shown_sent_or_failed(
    started: Any, store: SqlRepository
) -> None:
    async with started(mail=MAIL_ON) as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        toasts.new()
        await _compose(pilot, "r", "First answer.")
        one_message(toasts, "reply saved", "queued", "james.oconnor@umbrella-labs.example")
        await _compose(pilot, "r", "Second answer.")
        toasts.new()
        queue = mail_queue(store)
        assert queue is not None
        outgoing = [m for m in queue.mail_log(MINE) if m.direction is MailDirection.OUT]
        assert [(m.kind, m.body, m.state) for m in outgoing] == [
            ("reply", "First answer.", MailState.QUEUED),
            ("reply", "Second answer.", MailState.QUEUED),
        ]
        assert _headers(app)[-2:] == [h for h in _headers(app)[-2:] if h.endswith("mail queued")]
        # The delivery step (`mail send`) sends one and gives the other up.
        for entry in outgoing:
            queue.claim_mail(entry.id, FROZEN, FROZEN.replace(hour=11))
        queue.mail_sent(outgoing[0].id, FROZEN, "<1@helpdesk.example>", "[HD-23] re")
        queue.mail_failed(outgoing[1].id, FROZEN, "550 no such user", None)
        comments = store.comments(MINE)
        assert app.service.conversation_mail(MINE, comments)[-2:] == [
            Delivery.SENT,
            Delivery.FAILED,
        ]
        # Delivery does not move the ticket's version; the screen sees it all the same.
        await press(pilot, "R")
        headers = _headers(app)
        assert headers[-2].endswith("✉ mail sent") and headers[-1].endswith("✉ mail failed")
        # A note never goes out: no mail state on it.
        await _compose(pilot, "n", "Customer called back.")
        assert "✉" not in _headers(app)[-1]


@pytest.mark.parametrize(("key", "kind"), [("r", "reply"), ("n", "note")])
async def test_reply_and_note_bodies(
    started: Any, key: str, kind: str, store: SqlRepository
) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        frozen = Frozen(store, MINE)
        toasts.new()
        await press(pilot, key, "ctrl+s")  # bad: nothing typed
        alive(app)
        one_message(toasts, "Nothing to send")
        assert isinstance(app.screen, ComposeScreen)
        frozen.unchanged()
        await pilot.press(*f"A {kind} with every word.")
        await press(pilot, "ctrl+s")
        last = store.comments(MINE)[-1]
        assert last.body == f"A {kind} with every word." and last.is_public is (kind == "reply")


# -- ticket pickers ----------------------------------------------------------------------


async def test_status_without_and_with_a_reason(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        frozen = Frozen(store, MINE)
        toasts.new()
        # Bad: on hold needs a reason; an empty one is refused in the dialog.
        await press(pilot, "s")
        await choose(pilot, "on hold")
        await press(pilot, "enter")
        assert isinstance(app.screen, PromptScreen)
        assert "cannot be empty" in dialog_error(app, "#prompt-error")
        await press(pilot, "escape")
        frozen.unchanged()
        assert toasts.new() == []
        # No optional field: pending asks for no reason.
        await press(pilot, "s")
        await choose(pilot, "pending")
        assert store.get(MINE).status is Status.PENDING
        # Every field: on hold, with its reason.
        await press(pilot, "s")
        await choose(pilot, "on hold")
        await pilot.press(*"waiting for the vendor")
        await press(pilot, "enter")
        assert store.get(MINE).status is Status.ON_HOLD
        reasons = [h.reason for h in store.history(MINE) if h.field == "status"]
        assert reasons[-1] == "waiting for the vendor"


@pytest.mark.parametrize(
    ("key", "label", "field", "value"),
    [
        ("p", "P1", "priority", Priority.CRITICAL),
        ("y", "complaint", "type", TicketType.COMPLAINT),
    ],
    ids=["priority", "type"],
)
async def test_priority_and_type(
    started: Any, key: str, label: str, field: str, value: object, store: SqlRepository
) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        await press(pilot, key)
        await choose(pilot, label)
        assert getattr(store.get(MINE), field) is value
    # Bad: a tier-1 agent changing hana's ticket is refused, and told why.
    async with started("alice") as (app, pilot, toasts):
        await open_ticket(pilot, app, HANAS)
        frozen = Frozen(store, HANAS)
        toasts.new()
        await press(pilot, key)
        await choose(pilot, label)
        one_message(toasts, "held by hana")
        frozen.unchanged()


async def test_assign_to_an_agent_to_nobody_and_to_one_gone(
    started: Any, store: SqlRepository
) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        await press(pilot, "a")
        await choose(pilot, "dmitri")
        assert store.get(MINE).assignee == "dmitri"
        await press(pilot, "a")
        await choose(pilot, "nobody")  # the optional assignee left empty
        assert store.get(MINE).assignee is None
        # Bad: the agent chosen is deactivated while the picker is open.
        await press(pilot, "a")
        repo = store
        repo.save_agent(replace(repo.get_agent("elin"), active=False))
        frozen = Frozen(store, MINE)
        toasts.new()
        await choose(pilot, "elin")
        one_message(toasts, "elin is deactivated")
        frozen.unchanged()


async def test_take_and_a_take_refused(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, "HD-40")
        await press(pilot, "t")
        assert store.get("HD-40").assignee == "alex"
    async with started("alice") as (app, pilot, toasts):
        await open_ticket(pilot, app, "HD-18")
        frozen = Frozen(store, "HD-18")
        toasts.new()
        await press(pilot, "t")
        one_message(toasts, "tier 3 ticket")
        frozen.unchanged()


async def test_watch_on_off_and_a_watch_on_a_stale_ticket(
    started: Any, store: SqlRepository
) -> None:
    async with started() as (app, pilot, _toasts):
        await open_ticket(pilot, app, HANAS)
        await press(pilot, "w")
        assert "alex" in store.get(HANAS).watchers
        await press(pilot, "w")
        assert "alex" not in store.get(HANAS).watchers
        # Bad: somebody changed the ticket meanwhile; discarding writes nothing of mine.
        await without_live_updates(pilot)
        other = store.get(HANAS)
        app.service.update(HANAS, other.version, category="from-a-colleague")
        frozen = Frozen(store, HANAS)
        await press(pilot, "w")
        assert isinstance(app.screen, ConflictScreen)
        await press(pilot, "d")
        frozen.unchanged()


async def test_escalate_and_lead_review(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        frozen = Frozen(store, MINE)
        toasts.new()
        for key in ("e", "l"):  # bad: no reason
            await press(pilot, key)
            if key == "e":
                await choose(pilot, "Tier 3")
            await press(pilot, "enter")
            assert "cannot be empty" in dialog_error(app, "#prompt-error")
            await press(pilot, "escape")
        frozen.unchanged()
        assert toasts.new() == []
        await press(pilot, "e")
        await choose(pilot, "Tier 3")
        await pilot.press(*"needs the database team")
        await press(pilot, "enter")
        stored = store.get(MINE)
        assert stored.tier == 3 and stored.escalation is Escalation.AWAITING_TIER
        await press(pilot, "l")
        await pilot.press(*"customer disputes the fix")
        await press(pilot, "enter")
        stored = store.get(MINE)
        assert stored.escalation is Escalation.AWAITING_LEAD
        assert stored.escalation_reason == "customer disputes the fix"


async def test_escalate_refused_for_an_agent_not_holding_it(
    started: Any, store: SqlRepository
) -> None:
    async with started("alice") as (app, pilot, toasts):
        await open_ticket(pilot, app, HANAS)
        frozen = Frozen(store, HANAS)
        toasts.new()
        await press(pilot, "e")
        await choose(pilot, "Tier 1")
        await pilot.press(*"not mine")
        await press(pilot, "enter")
        one_message(toasts, "held by hana")
        frozen.unchanged()


async def test_decide_accept_reassign_decline(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, AWAITING)
        frozen = Frozen(store, AWAITING)
        toasts.new()
        # Bad: a decline needs a reason; a reassign to an agent gone meanwhile is refused.
        await press(pilot, "d")
        await decide(pilot, "Decline")
        assert "needs a reason" in dialog_error(app, "#decide-error")
        await press(pilot, "escape")
        await press(pilot, "d")
        await decide(pilot, "Reassign")
        repo = store
        repo.save_agent(replace(repo.get_agent("farah"), active=False))
        await choose(pilot, "farah")
        one_message(toasts, "farah is deactivated")
        frozen.unchanged()
        # Every field: reassigned to an agent, with a comment.
        await press(pilot, "d")
        await decide(pilot, "Reassign", "dmitri knows the ledger")
        await choose(pilot, "dmitri")
        stored = repo.get(AWAITING)
        assert stored.assignee == "dmitri" and stored.escalation is Escalation.NONE
        assert repo.comments(AWAITING)[-1].body == "dmitri knows the ledger"
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, "HD-24")
        await press(pilot, "d")
        await decide(pilot, "Accept")  # nothing optional to fill
        stored = store.get("HD-24")
        assert stored.assignee == "alex" and stored.escalation is Escalation.NONE
        await press(pilot, "l")
        await pilot.press(*"second opinion")
        await press(pilot, "enter", "d")
        await decide(pilot, "Decline", "the fix stands")
        history = store.history("HD-24")
        assert any(h.field == "decision:decline" and h.new == "the fix stands" for h in history)


async def test_attach_a_file_and_paths_that_are_not_one(
    started: Any, tmp_path: Path, store: SqlRepository
) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("12:00 restart\n")
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        frozen = Frozen(store, MINE)
        toasts.new()
        await press(pilot, "A", "enter")  # bad: no path
        assert "cannot be empty" in dialog_error(app, "#prompt-error")
        await pilot.press(*str(tmp_path / "missing.log"))
        await press(pilot, "enter")
        one_message(toasts, "no such file")
        frozen.unchanged()
        await press(pilot, "A")
        await pilot.press(*str(log))
        await press(pilot, "enter")
        files = store.comments(MINE)[-1].attachments
        assert [f.filename for f in files] == ["gateway.log"]


async def test_csat_without_and_with_a_comment(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        await open_ticket(pilot, app, MINE)
        frozen = Frozen(store, MINE)
        toasts.new()
        await press(pilot, "c")  # bad: the ticket is not resolved
        await choose(pilot, "5")
        await press(pilot, "enter")
        one_message(toasts, "CSAT is asked on resolution")
        frozen.unchanged()
        await open_ticket(pilot, app, RESOLVED)
        await press(pilot, "c")
        await choose(pilot, "3")
        prompt = app.screen.query_one(Input)
        assert prompt.placeholder == "empty: record 3/5 without a comment"
        await press(pilot, "escape")  # escape cancels the score with its comment
        assert store.get(RESOLVED).csat_score is None
        await press(pilot, "c")
        await choose(pilot, "4")
        await press(pilot, "enter")  # the comment is optional
        stored = store.get(RESOLVED)
        assert (stored.csat_score, stored.csat_comment) == (4, None)
        await press(pilot, "c")
        await choose(pilot, "2")
        await pilot.press(*"slow to answer")
        await press(pilot, "enter")
        stored = store.get(RESOLVED)
        assert (stored.csat_score, stored.csat_comment) == (2, "slow to answer")


async def test_conflict_retry_and_discard(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, _toasts):
        await without_live_updates(pilot)
        for answer, expected in (("d", Priority.MEDIUM), ("r", Priority.LOW)):
            await open_ticket(pilot, app, MINE)
            other = store.get(MINE)
            app.service.update(MINE, other.version, category=f"colleague-{answer}")
            await press(pilot, "p")
            await choose(pilot, "P4")
            await wait_for_screen(pilot, ConflictScreen)
            await press(pilot, answer)
            alive(app)
            stored = store.get(MINE)
            # Theirs is kept either way; mine only on retry.
            assert stored.category == f"colleague-{answer}" and stored.priority is expected
            await press(pilot, "escape")


# -- the queue -------------------------------------------------------------------------


def _queue(app: HelpdeskApp) -> QueueScreen:
    assert isinstance(app.screen, QueueScreen), app.screen
    return app.screen


async def test_bulk_assign_priority_status(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, _toasts):
        await press(pilot, "v")
        await choose(pilot, "Unassigned")
        screen = _queue(app)
        await press(pilot, "home", "space", "space")
        keys = sorted(screen.table.marked)
        assert len(keys) == 2
        await press(pilot, "a")
        await choose(pilot, "nobody")  # the optional assignee left empty
        await press(pilot, "y")
        assert all(store.get(k).assignee is None for k in keys)
        await press(pilot, "home", "space", "space")
        assert sorted(screen.table.marked) == keys
        await press(pilot, "p")
        await choose(pilot, "P4")
        await press(pilot, "y")
        assert all(store.get(k).priority is Priority.LOW for k in keys)
        # Bad: cancelling needs a reason.
        await press(pilot, "home", "space", "space", "s")
        frozen = [Frozen(store, k) for k in screen.table.marked]
        await choose(pilot, "cancelled")
        await press(pilot, "enter")
        assert "cannot be empty" in dialog_error(app, "#prompt-error")
        await press(pilot, "escape")
        for one in frozen:
            one.unchanged()
        screen.table.marked.clear()
        await press(pilot, "home", "space", "space")
        keys = sorted(screen.table.marked)  # the new priorities moved the rows
        assert len(keys) == 2
        await press(pilot, "s")
        await choose(pilot, "cancelled")
        await pilot.press(*"duplicates")
        await press(pilot, "enter", "y")
        assert all(store.get(k).status is Status.CANCELLED for k in keys)


async def test_bulk_assign_to_an_agent_gone_meanwhile(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, toasts):
        screen = _queue(app)
        ticket = screen.table.current
        assert ticket is not None
        frozen = Frozen(store, ticket.key)
        await press(pilot, "a")
        repo = store
        repo.save_agent(replace(repo.get_agent("julia"), active=False))
        toasts.new()
        await choose(pilot, "julia")
        one_message(toasts, "julia is deactivated")
        frozen.unchanged()


async def test_filter_and_search(started: Any, store: SqlRepository) -> None:
    async with started() as (app, pilot, _toasts):
        screen = _queue(app)
        token = store.change_token()
        await press(pilot, "f")
        await pilot.press(*"priority:p9")  # bad: no such priority
        await press(pilot, "enter")
        said = str(screen.query_one(StatusLine).render())
        assert "p9" in said and screen.filter_text == ""
        await press(pilot, "escape")  # empty: the filter is cleared
        assert screen.filter_text == ""
        await press(pilot, "f")
        await pilot.press(*"priority:p1,p2 tier:2")
        await press(pilot, "enter")
        assert screen.filter_text == "priority:p1,p2 tier:2"
        assert screen.table.total == app.service.count(screen.current_query())
        assert all(
            t.priority in (Priority.CRITICAL, Priority.HIGH) and t.tier == 2
            for t in screen.table.visible_tickets()
        )
        await press(pilot, "slash")
        await pilot.press(*"[/] [@click=app.quit]")  # markup is words to search for
        await press(pilot, "enter")
        alive(app)
        assert screen.search_text == "[/] [@click=app.quit]"
        await press(pilot, "slash", "ctrl+a", "ctrl+k", "enter")  # empty: no search
        assert screen.search_text == ""
        await press(pilot, "slash")
        await pilot.press(*"replenishment")
        await press(pilot, "enter")
        assert screen.table.total == app.service.count(screen.current_query())
        assert store.change_token() == token  # reading writes nothing


# -- go to ticket, the palette, ctrl+c ----------------------------------------------------


def test_ticket_key_reads_a_bare_number_with_the_store_prefix() -> None:
    assert ticket_key("97", "HD") == "HD-97"
    assert ticket_key(" hd-97 ", "HD") == "HD-97"
    assert ticket_key("042", "RT") == "RT-42"
    for nothing in ("", "0", "HD-", "97a", "²", "[b]x[/b]"):
        assert ticket_key(nothing, "HD") is None, nothing


async def test_go_to_ticket(started: Any) -> None:
    async with started() as (app, pilot, toasts):
        await press(pilot, "colon", "enter")  # empty: nothing happens
        assert isinstance(app.screen, QueueScreen) and toasts.new() == []
        for typed, said in (("97", "There is no ticket HD-97"), ("[b]x", "not a ticket key")):
            await press(pilot, "colon")
            await pilot.press(*typed)
            await press(pilot, "enter")
            alive(app)
            assert isinstance(app.screen, QueueScreen), app.screen  # no empty ticket screen
            one_message(toasts, said)
        for typed in ("23", "hd-23"):
            await press(pilot, "colon")
            await pilot.press(*typed)
            await press(pilot, "enter")
            assert isinstance(app.screen, TicketScreen) and app.screen.ticket is not None
            assert app.screen.key == MINE
            await press(pilot, "escape")


async def test_the_palette_finds_a_ticket_by_its_key(started: Any, store: SqlRepository) -> None:
    from textual.command import CommandList, CommandPalette

    async with started() as (app, pilot, _toasts):
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"hd-23")
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)
        commands = app.screen.query_one(CommandList)
        prompts = [
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        subject = store.get(MINE).subject
        assert any(p.startswith(f"{MINE}  {subject}") for p in prompts), prompts
        await press(pilot, "ctrl+a", "ctrl+k")
        await pilot.press(*"97")
        await settle(pilot)
        await pilot.pause(0.3)
        commands = app.screen.query_one(CommandList)
        prompts = [
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        assert not any(p.startswith("HD-97") for p in prompts), prompts
        await press(pilot, "ctrl+a", "ctrl+k")
        await pilot.press(*"23")
        await settle(pilot)
        await pilot.pause(0.3)
        await press(pilot, "enter")
        assert isinstance(app.screen, TicketScreen) and app.screen.key == MINE


async def test_ctrl_c_says_how_to_quit_in_plain_words(started: Any) -> None:
    async with started() as (app, pilot, toasts):
        await press(pilot, "ctrl+c")
        alive(app)
        said = one_message(toasts, "Press ctrl+q to quit the app")
        assert "[" not in said
