"""What an agent reads on screen says things in the UI's own words: the sort by its
name, the search term kept in the title at 80 columns, keys as typed in help, a dialog's
own keys in its footer, and a Details tab that scrolls and wraps like the rest."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.screens.help import HelpScreen
from helpdesk_tui.ui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.ui.widgets.footer import HelpdeskFooter
from helpdesk_tui.ui.widgets.title_bar import TitleBar
from tests.ui.conftest import ME, AppFactory
from tests.ui.support import expect_screen, open_ticket, press, settle
from tests.ui.test_flows import queue


def _title(pilot: Pilot[None]) -> str:
    """The queue's title as drawn (after the title bar shortened it to fit)."""
    return queue(pilot.app).query_one(TitleBar)._shown.plain


def _screen_lines(pilot: Pilot[None]) -> list[str]:
    """Every row of the terminal as drawn, the screens under a dialog included."""
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


async def test_the_queue_title_names_the_sort_in_words(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        title = _title(pilot)
        assert "by SLA due" in title and "sla_due" not in title, title
        await press(pilot, "o")  # the next sort: urgency
        assert "by urgency" in _title(pilot), _title(pilot)


async def test_the_search_term_stays_in_the_title_at_80_columns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash", *"printer offline", "enter")
        title = _title(pilot)
        assert title.startswith("My open · ") and "search: printer offline" in title, title
        assert len(title) <= 80
        # A term too long for the line keeps both its ends, cut in the middle.
        await press(pilot, "slash", "ctrl+u", *"invoice totals wrong after the March migration")
        await press(pilot, "enter")
        title = _title(pilot)
        assert "search: invoice totals…March migration" in title, title


async def test_help_shows_keys_as_they_are_typed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        expect_screen(pilot, HelpScreen)
        table = app.screen.query(Static)[1].content
        keys = [str(cell) for cell in table.columns[0]._cells]  # type: ignore[attr-defined]
        assert "? / f1" in keys and ":" in keys and "@" in keys and "/" in keys, keys
        assert "!" in keys and "]" in keys and "#" in keys, keys
        raw = ("mark", "slash", "colon", "square", "number sign", "_")
        assert not [k for k in keys if any(name in k for name in raw)], keys
        assert "ctrl+q" in keys and "escape / backspace" in keys  # named keys keep names


async def test_the_new_ticket_dialog_shows_only_its_own_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        expect_screen(pilot, NewTicketScreen)
        footer = app.screen.query_one(HelpdeskFooter)
        shown = {key.action for key in footer.query(FooterKey) if key.display}
        assert shown == {"create", "apply_suggestion", "cancel"}, shown
        bottom = _screen_lines(pilot)[-1]
        assert "^s Create" in bottom and "esc Cancel" in bottom, bottom
        assert "Views" not in bottom and "Select" not in bottom, bottom


async def test_the_filter_box_footer_offers_no_key_it_types(make_app: AppFactory) -> None:
    """With the filter box open, "/" types a slash: the footer no longer offers
    "/ Search" (Textual finds no character for the key name "slash")."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        assert app.focused is not None and app.focused.id == "filter"
        footer = queue(app).query_one(HelpdeskFooter)
        shown = [key.key_display for key in footer.query(FooterKey) if key.display]
        assert "/" not in shown and "?" not in shown, shown
        await press(pilot, "slash")
        assert app.focused.id == "filter" and queue(app).query_one("#filter").value == "/"  # type: ignore[attr-defined]


async def test_the_details_tab_scrolls_with_j_and_k(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, app, "HD-1")
        await press(pilot, "3")
        details = app.focused
        assert details is not None and details.parent is screen.query_one("#details")
        assert details.max_scroll_y > 2
        await press(pilot, "j", "j")
        assert details.scroll_y == 2
        await press(pilot, "k")
        assert details.scroll_y == 1
        await press(pilot, "down")
        assert details.scroll_y == 2


async def test_a_wide_emoji_value_wraps_whole_in_details(
    make_app: AppFactory, store: SqlRepository
) -> None:
    fire = "🔥" * 50  # 100 cells, no space to wrap at
    category = "Printer 🖨️ on floor 3 jams every morning " + "🚚" * 40
    ticket = store.create(
        Ticket(key="", subject="Emoji", impact=fire, category=category, version=0), ME
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, app, ticket.key)
        await press(pilot, "3")
        view = screen.query_one("#details-view", Static)
        lines = [strip.text.rstrip() for strip in view.render_lines(view.size.region)]
        text = "\n".join(lines)
        assert "…" not in text, text
        assert text.count("🔥") == 50 and text.count("🚚") == 40, text
        assert "🖨️" in text
        # Continued lines start under the value column, not under the labels.
        start = lines[0].index(ticket.key)
        for line in lines:
            if "🔥" in line or "🚚" in line:
                assert not line[:start].strip() or line.startswith(("Impact", "Category"))
