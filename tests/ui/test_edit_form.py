"""The edit form (E on a ticket): empty, filled and bad input, read back from the store."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from helpdesk_tui.domain.model import Environment
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen, ConflictScreen
from helpdesk_tui.ui.screens.edit_ticket import EditTicketScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press, settle


async def open_form(pilot: Pilot[None], app: HelpdeskApp, key: str) -> EditTicketScreen:
    await support.open_ticket(pilot, app, key)
    await press(pilot, "E")
    form = app.screen
    assert isinstance(form, EditTicketScreen)
    return form


def fill(form: EditTicketScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#edit-{name}", Input).value = value


async def test_the_edit_form_with_nothing_changed_writes_nothing(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Printer jams", organization="Acme"))
        await open_form(pilot, app, ticket.key)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TicketScreen)
        assert app.service.get(ticket.key).version == ticket.version


async def test_the_edit_form_saves_every_field_it_shows(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Printer jams", tags=("hw",)))
        form = await open_form(pilot, app, ticket.key)
        fill(
            form,
            requester_name="Ada  Lovelace",
            requester_email="ada@example.com",
            organization="Acme Retail",
            team="Platform",
            impact="cannot print invoices",
            affected_users="12",
            integration="CUPS",
            language="sv",
            tags="hw, printers",
            contacts='"Svensson, Bo" <bo@example.com>, cy@example.com',
        )
        form.query_one("#edit-environment", Select).value = "uat"
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        saved = app.service.get(ticket.key)
        assert (
            saved.requester_name,
            saved.requester_email,
            saved.organization,
            saved.team,
            saved.impact,
            saved.affected_users,
            saved.integration,
            saved.language,
            saved.tags,
            saved.contacts,
            saved.environment,
        ) == (
            "Ada Lovelace",
            "ada@example.com",
            "Acme Retail",
            "Platform",
            "cannot print invoices",
            12,
            "CUPS",
            "sv",
            ("hw", "printers"),
            ('"Svensson, Bo" <bo@example.com>', "cy@example.com"),
            Environment.UAT,
        )
        changed = {e.field for e in app.service.history(ticket.key)}
        assert {"organization", "affected_users", "tags", "environment"} <= changed
        # Emptied: a field that may be empty is cleared.
        form = await open_form(pilot, app, ticket.key)
        fill(form, organization="", affected_users="")
        await press(pilot, "ctrl+s")
        await settle(pilot)
        cleared = app.service.get(ticket.key)
        assert (cleared.organization, cleared.affected_users) == (None, None)


async def test_bad_input_is_said_in_the_form_and_nothing_is_written(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Printer jams"))
        for values, said in (
            ({"affected_users": "a dozen"}, "Affected users: a whole number"),
            ({"requester_email": "not an address"}, "is not an address"),
            ({"subject": "   "}, "subject cannot be empty"),
            ({"team": "x" * 5000}, "longer than"),
            ({"contacts": "Bo <bo at example>"}, "is not an e-mail address"),
        ):
            form = await open_form(pilot, app, ticket.key)
            fill(form, **values)
            await press(pilot, "ctrl+s")
            await settle(pilot)
            assert app.screen is form, values
            error = str(form.query_one("#form-error", Static).render())
            assert said in error and "\n" not in error, (values, error)
            assert app.service.get(ticket.key).version == ticket.version
            await press(pilot, "escape")  # the form holds edits: asked before they go
            assert isinstance(app.screen, ConfirmScreen), values
            await press(pilot, "y")
            assert isinstance(app.screen, TicketScreen)


async def test_a_colleagues_change_meanwhile_is_taken_in_and_mine_saved_on_retry(
    make_app: AppFactory,
) -> None:
    """A user trial: ctrl+s after a colleague's change said "changed since you opened
    it" on every ctrl+s, forever. Retry saves my edits on their version; theirs stay."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Printer jams", category="hardware"))
        form = await open_form(pilot, app, ticket.key)
        await support.without_live_updates(pilot)
        fill(form, organization="Acme Retail", impact="cannot print invoices")
        # Meanwhile a colleague: another category, and the impact I am also changing.
        app.service.update(ticket.key, ticket.version, category="printers", impact="minor")
        await press(pilot, "ctrl+s")
        await support.wait_for_screen(pilot, ConflictScreen)
        conflict = app.screen
        assert isinstance(conflict, ConflictScreen)
        assert set(conflict.error.changed_fields) >= {"category", "impact"}
        assert "organization" in conflict.mine and "impact (replaces theirs)" in conflict.mine
        await press(pilot, "r")
        await support.wait_for_screen(pilot, TicketScreen)
        saved = app.service.get(ticket.key)
        assert (saved.organization, saved.impact, saved.category) == (
            "Acme Retail",
            "cannot print invoices",
            "printers",  # theirs, not put back to what the form was opened with
        )
        assert saved.version == ticket.version + 2


async def test_discard_at_a_conflict_shows_their_version_in_the_form(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Printer jams"))
        form = await open_form(pilot, app, ticket.key)
        await support.without_live_updates(pilot)
        fill(form, team="Platform")
        theirs = app.service.update(ticket.key, ticket.version, category="printers")
        await press(pilot, "ctrl+s")
        await support.wait_for_screen(pilot, ConflictScreen)
        await press(pilot, "d")
        assert app.screen is form
        assert form.query_one("#edit-category", Input).value == "printers"
        assert form.query_one("#edit-team", Input).value == ""
        said = str(form.query_one("#form-error", Static).render())
        assert "dropped" in said and f"v{theirs.version}" in said
        assert app.service.get(ticket.key).version == theirs.version  # nothing written
        # From there an edit saves on their version at once.
        fill(form, team="Engineering")
        await press(pilot, "ctrl+s")
        await support.wait_for_screen(pilot, TicketScreen)
        saved = app.service.get(ticket.key)
        assert (saved.team, saved.category) == ("Engineering", "printers")
