"""What the app says must be seen: a refused filter, and a toast's last line at 80x24
(both were missed in a user trial)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.widgets.title_bar import TitleBar
from tests.ui.conftest import AppFactory
from tests.ui.support import press, settle


async def test_a_refused_filter_is_said_in_a_toast_and_the_box_keeps_it(
    make_app: AppFactory,
) -> None:
    """The refusal went to the status line, where the on-call line outranks it: Enter
    seemed to do nothing, and the title still showed the old filter."""
    app = make_app(oncall=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said: list[tuple[str, str]] = []
        notify = app.notify

        def recording(message: str, **options: Any) -> None:
            said.append((message, options.get("severity", "information")))
            notify(message, **options)

        app.notify = recording  # type: ignore[method-assign]
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        # Filled: applied, named in the title.
        await press(pilot, "f", *"priority:p1", "enter")
        assert screen.filter_text == "priority:p1"
        # Bad: said as an error, the box open with the text to correct.
        await press(pilot, "f", "ctrl+u", *"priority:p9", "enter")
        assert [s for s in said if s[1] == "error"] == [
            (
                "Filter not applied: unknown priority 'p9' (choose from critical, high, "
                "medium, low)",
                "error",
            )
        ]
        bar = screen.query_one("#filter", Input)
        assert bar.display and bar.value == "priority:p9" and app.focused is bar
        assert screen.filter_text == "priority:p1"
        assert "p9" not in str(screen.query_one(TitleBar).render())
        # Empty: the filter goes.
        await press(pilot, "ctrl+u", "enter")
        assert screen.filter_text == ""


async def test_a_toast_shows_all_its_lines_above_the_footer_at_80x24(
    make_app: AppFactory,
) -> None:
    """The rack of toasts was sized for a toast two columns wider than it was laid out
    (the rack's scrollbar gutter): a message that wrapped only there had its last line
    under the footer. And a title with a two-line message was cut to two rows."""
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for message, title, last_words in (
            ("Tier 2: alexandra may not hold it, so nobody is assigned", "", "assigned"),
            (
                "unknown priority 'p9' (choose from critical, high, medium, low)",
                "Not done",
                "medium,",
            ),
        ):
            app.notify(message, title=title)
            await settle(pilot)
            await pilot.pause(0.3)  # the toast's own layout
            shown = app.export_screenshot()
            assert last_words in shown, message
