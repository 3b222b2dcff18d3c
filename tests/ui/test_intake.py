"""Taking a call into a ticket (n): every field the seeds ask a caller for, the phone's
taker as its assignee, and triage's suggestion as it is typed."""

from __future__ import annotations

import re

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from helpdesk_tui.domain.model import Priority, Ticket, TicketType
from helpdesk_tui.domain.triage import ACCEPTED_TAG
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui.conftest import AppFactory
from tests.ui.support import press, settle


async def open_form(pilot: Pilot[None], app: HelpdeskApp) -> NewTicketScreen:
    await settle(pilot)
    await press(pilot, "n")
    form = app.screen
    assert isinstance(form, NewTicketScreen)
    await settle(pilot)  # the agents, for the assignee
    return form


async def suggested(pilot: Pilot[None], form: NewTicketScreen) -> None:
    """Until the form shows a suggestion: asked once typing pauses, in a worker."""
    for _ in range(60):
        await pilot.pause(0.05)
        if form.suggestion is not None:
            break
    await settle(pilot)


async def create(pilot: Pilot[None], app: HelpdeskApp) -> Ticket:
    """ctrl+s, and the ticket it made (the form gives way to the ticket's screen)."""
    await press(pilot, "ctrl+s")
    opened = app.screen
    assert isinstance(opened, TicketScreen)
    return app.service.get(opened.key)


def value(form: NewTicketScreen, selector: str) -> object:
    return form.query_one(selector, Select).value


async def test_a_call_is_the_takers_and_every_field_is_kept(make_app: AppFactory) -> None:
    app = make_app("alex")
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        # A phone call (the default channel) is assigned to whoever takes it...
        assert value(form, "#assignee") == "alex"
        form.query_one("#channel", Select).value = "email"
        await settle(pilot)
        assert value(form, "#assignee") == Select.NULL  # ...an e-mail is nobody's yet
        form.query_one("#channel", Select).value = "phone"
        await settle(pilot)
        assert value(form, "#assignee") == "alex"
        for selector, text in {
            "#subject": "Checkout rejects every card",
            "#impact": "no sales in the web shop",
            "#affected": "40",
            "#integration": "Payments gateway",
            "#tags": "checkout, cards ,",
        }.items():
            form.query_one(selector, Input).value = text
        stored = await create(pilot, app)
        assert (stored.impact, stored.affected_users, stored.integration) == (
            "no sales in the web shop",
            40,
            "Payments gateway",
        )
        assert stored.tags == ("checkout", "cards") and stored.assignee == "alex"


async def test_bad_affected_users_are_said_and_nothing_is_written(make_app: AppFactory) -> None:
    app = make_app("alex")
    async with app.run_test(size=(80, 24)) as pilot:
        before = app.service.count(Query())
        form = await open_form(pilot, app)
        form.query_one("#subject", Input).value = "Laptop will not boot"
        form.query_one("#affected", Input).value = "a few"
        await press(pilot, "ctrl+s")
        assert app.screen is form
        said = str(form.query_one("#form-error", Static).render())
        assert said == "Affected users: a whole number, or empty"
        assert app.service.count(Query()) == before


async def test_the_suggestion_follows_the_typing_and_ctrl_t_applies_it(
    make_app: AppFactory,
) -> None:
    app = make_app("alex")
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        # Nothing typed: nothing to apply, and nothing changes.
        await press(pilot, "ctrl+t")
        assert (value(form, "#priority"), value(form, "#tier")) == ("medium", "1")
        await pilot.press(*"Complete outage: nobody can log in")
        await suggested(pilot, form)
        found = form.suggestion
        assert found is not None and found.priority is Priority.CRITICAL
        shown = str(form.query_one("#draft-suggestion", Static).render())
        assert shown.startswith(f"Suggested: {found.label}")
        # The reason under it quotes what was typed.
        why = shown.splitlines()[1]
        quoted = re.findall(r'"([^"]+)"', why)
        assert why == found.reason and quoted
        assert all(q in "complete outage: nobody can log in" for q in quoted)
        await press(pilot, "ctrl+t")
        assert value(form, "#priority") == found.priority.value
        assert value(form, "#type") == found.type.value == TicketType.INCIDENT.value
        assert value(form, "#tier") == str(found.tier)
        # Changed by hand after ctrl+t: the agent's call, not the suggestion accepted.
        form.query_one("#priority", Select).value = "high"
        await settle(pilot)
        stored = await create(pilot, app)
        assert stored.priority is Priority.HIGH and ACCEPTED_TAG not in stored.tags


async def test_text_with_no_signal_says_no_suggestion_and_ctrl_t_changes_nothing(
    make_app: AppFactory,
) -> None:
    app = make_app("alex")
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press(*"Hej tack")
        line = form.query_one("#draft-suggestion", Static)
        for _ in range(60):  # asked once typing pauses, in a worker
            await pilot.pause(0.05)
            if str(line.render()):
                break
        await settle(pilot)
        assert str(line.render()) == "No suggestion" and form.suggestion is None
        await press(pilot, "ctrl+t")
        assert (value(form, "#priority"), value(form, "#type")) == ("medium", "incident")


async def test_a_suggested_tier_above_the_assignee_s_leaves_the_ticket_unassigned(
    make_app: AppFactory,
) -> None:
    app = make_app("alice")  # the demo's tier-1 agent
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#assignee", Select).value = "alice"
        form.query_one("#subject", Input).focus()
        await pilot.press(*"Systemet ligger nere, hela foretaget star still")
        await suggested(pilot, form)
        assert form.suggestion is not None and form.suggestion.tier == 3
        await press(pilot, "ctrl+t")
        assert value(form, "#tier") == "3" and value(form, "#assignee") == Select.NULL
        assert any("alice may not hold it" in n.message for n in app._notifications)
        await press(pilot, "ctrl+s")
        await settle(pilot)
        made = app.service.query(Query(text="Systemet", limit=5)).tickets
        assert [(t.tier, t.assignee) for t in made] == [(3, None)]
        # Created as suggested: triaged, so the ticket does not offer it again.
        assert ACCEPTED_TAG in made[0].tags
        assert app.service.triage(made[0].key).why_not == "a suggestion was accepted"


def in_sight(form: NewTicketScreen, selector: str) -> bool:
    """Whether the widget is on screen: inside the form's visible part."""
    widget = form.query_one(selector)
    region = widget.region
    return bool(widget.display) and region.height > 0 and form.region.contains_region(region)


async def test_an_error_at_80x24_is_in_sight_on_its_field_and_goes_once_corrected(
    make_app: AppFactory,
) -> None:
    """A user trial: ctrl+s on an empty form said "subject cannot be empty" at the end
    of the scrolled form, out of sight, and the line stayed once the subject was typed."""
    app = make_app("alex")
    async with app.run_test(size=(80, 24)) as pilot:
        before = app.service.count(Query())
        form = await open_form(pilot, app)
        assert not form.query_one("#form-error").display  # nothing said yet
        # Empty, from the description at the bottom of the form.
        await press(pilot, "shift+tab")
        assert app.focused is form.query_one("#description")
        await press(pilot, "ctrl+s")
        assert app.screen is form and app.service.count(Query()) == before
        assert "subject cannot be empty" in str(form.query_one("#form-error", Static).render())
        assert in_sight(form, "#form-error")
        assert app.focused is form.query_one("#subject") and in_sight(form, "#subject")
        await pilot.press(*"Laptop")
        await settle(pilot)
        assert not in_sight(form, "#form-error")
        # Bad: the affected users are focused; a correction clears the line.
        form.query_one("#affected", Input).value = "a few"
        # Its Changed message is handled first, as it is when typed: handled after the
        # ctrl+s, it read as the correction and took the error away.
        await settle(pilot)
        form.query_one("#description").focus()
        await press(pilot, "ctrl+s")
        assert app.focused is form.query_one("#affected") and in_sight(form, "#form-error")
        await pilot.press("ctrl+u", *"3")
        await settle(pilot)
        assert not in_sight(form, "#form-error")
        # Filled: created.
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TicketScreen)
        assert app.service.get(app.screen.key).affected_users == 3
