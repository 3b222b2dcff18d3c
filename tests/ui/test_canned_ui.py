"""The composer's canned replies, time spent and @names (issue 17, lines 1, 3, 4): ctrl+t
picks a macro whose text goes in and whose changes go with the reply in one write; the
time field takes 15m; a note's unknown @name is flagged before anything is sent."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static, TextArea

from helpdesk_tui.domain.model import CommentKind, Status
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.macro_picker import MacroPicker, fuzzy_rank
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press


def test_fuzzy_rank_prefers_a_substring_and_keeps_letters_in_order() -> None:
    assert fuzzy_rank("", "password-reset") == 0
    assert fuzzy_rank("reset", "password-reset Password reset link sent") == 9
    assert fuzzy_rank("pwr", "password-reset") is not None
    assert fuzzy_rank("rwp", "password-reset") is None


async def test_a_canned_reply_goes_in_and_its_changes_go_with_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(
            TicketDraft("Cannot log in", requester_name="Eve Ng", requester_email="eve@x.org")
        )
        ticket = app.service.take(ticket.key, ticket.version)
        screen = await support.open_ticket(pilot, app, ticket.key)
        await press(pilot, "r")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        # Empty: escape from the picker inserts nothing.
        await press(pilot, "ctrl+t")
        assert isinstance(app.screen, MacroPicker)
        await press(pilot, "escape")
        assert app.screen is composer and composer.query_one(TextArea).text == ""
        # A filter that matches nothing chooses nothing.
        await press(pilot, "ctrl+t")
        await pilot.press(*"zzzz")
        await press(pilot, "enter")
        assert isinstance(app.screen, MacroPicker)
        assert app.screen.query_one(OptionList).get_option_at_index(0).disabled
        app.screen.query_one(Input).value = "reset"
        await press(pilot, "enter")
        assert app.screen is composer
        body = composer.query_one(TextArea).text
        assert "Eve Ng" in body and "$requester_name" not in body
        assert "status=pending" in str(composer.query_one("#compose-error", Static).render())
        # Bad time spent is said; filled, the reply, its changes and its time in one write.
        composer.query_one("#compose-time", Input).value = "ten minutes"
        await press(pilot, "ctrl+s")
        assert app.screen is composer
        assert app.service.get(ticket.key).version == ticket.version
        composer.query_one("#compose-time", Input).value = "15m"
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        saved = app.service.get(ticket.key)
        assert saved.version == ticket.version + 1
        assert saved.status is Status.PENDING and "password" in saved.tags
        last = app.service.conversation(ticket.key)[-1]
        assert (last.kind, last.minutes) == (CommentKind.REPLY, 15)


async def test_a_note_completes_names_and_flags_unknown_ones(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Ledger totals wrong"))
        await support.open_ticket(pilot, app, ticket.key)
        await press(pilot, "n")
        composer = app.screen
        assert isinstance(composer, ComposeScreen) and composer.agents
        other = next(name for name in composer.agents if name != app.service.me.username)
        area = composer.query_one(TextArea)
        area.insert(f"please check, @{other[:2]}")
        await pilot.pause()
        hint = str(composer.query_one("#compose-mentions", Static).render())
        assert f"@{other}" in hint
        await press(pilot, "ctrl+o")
        first = next(name for name in composer.agents if name.startswith(other[:2]))
        assert area.text.endswith(f"@{first} ")  # the first name it matches
        area.insert("and @nobody-here")
        await press(pilot, "ctrl+s")
        assert app.screen is composer  # flagged, not sent
        said = str(composer.query_one("#compose-error", Static).render())
        assert "not an agent: @nobody-here" in said
        assert app.service.conversation(ticket.key) == []


def test_the_picker_counts_the_macro_files_it_could_not_use_in_words() -> None:
    assert MacroPicker({}, {})._problems_line() == ""
    one = MacroPicker({}, {"a.toml": "a.toml: line 3: expected '='"})
    assert one._problems_line() == "1 macro file not used: a.toml: line 3: expected '='"
    two = MacroPicker({}, {"a.toml": "a.toml: unreadable", "b.toml": "b.toml: empty"})
    assert two._problems_line() == "2 macro files not used: a.toml: unreadable"
