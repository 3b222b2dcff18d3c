"""Every screen's footer keeps `? Help` and `^q Quit` whole at every width, and never
shows a key cut mid-word; on-call alerts wait on the status line, not in toasts."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.widgets.footer import PINNED_ACTIONS, HelpdeskFooter, key_width
from tests.ui.conftest import AppFactory
from tests.ui.support import open_ticket, settle


def _footer_line(pilot: Pilot[None], below: int = 0) -> str:
    """The footer's line as drawn, of the screen on top or `below` screens down."""
    screen = pilot.app.screen_stack[-1 - below]
    footer = screen.query_one(HelpdeskFooter)
    return screen._compositor.render_strips()[footer.region.y].text


def _check_footer(pilot: Pilot[None], width: int) -> None:
    line = _footer_line(pilot)
    assert len(line.rstrip()) <= width
    assert "? Help" in line and "^q Quit" in line, line
    footer = pilot.app.screen.query_one(HelpdeskFooter)
    shown = [key for key in footer.query("FooterKey") if key.display]
    for key in shown:
        label = f"{key.key_display} {key.description}".strip()
        assert label in line, (label, line)  # whole, never cut
    flow = [k for k in shown if k.action not in PINNED_ACTIONS]
    pinned = [k for k in shown if k.action in PINNED_ACTIONS]
    assert sum(map(key_width, flow + pinned)) <= width


@pytest.mark.parametrize("width", [60, 80, 120])
async def test_every_screen_keeps_help_and_quit_in_its_footer(
    make_app: AppFactory, width: int
) -> None:
    app = make_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        _check_footer(pilot, width)  # the queue
        await open_ticket(pilot, app, "HD-1")
        _check_footer(pilot, width)
        for key in ("f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            _check_footer(pilot, width)


async def test_a_toast_replaces_the_one_before_and_covers_four_rows_at_most(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for n in range(4):
            app.notify(f"HD-{n}: a very long message " * 6, title="Done")
        await settle(pilot)
        shown = [toast for toast in app.screen.query("Toast") if toast.region.height]
        assert len(shown) == 1
        assert "HD-3" in str(shown[0].render()) and shown[0].region.height <= 4


TITLES = [
    "Waiting for a lead's review   (tab: tier escalations · d: accept / reassign / decline)",
    "My open · 1,204 tickets · by sla_due ↓ · 3 breached · 12 due ≤30m  [alexandra]",
    "SLA board · 58 running clocks · 3 breached · 4 due within 30 min · most urgent first",
]


@pytest.mark.parametrize("width", [20, 40, 60, 80])
@pytest.mark.parametrize("title", TITLES)
def test_a_title_shortens_by_whole_parts(title: str, width: int) -> None:
    from rich.text import Text

    from helpdesk_tui.ui.widgets.title_bar import fit_title

    shown = fit_title(Text(title), width).plain
    assert len(shown) <= width
    if shown == title:
        return
    assert shown.endswith(("…", "…)"))
    kept = shown.removesuffix(")").removesuffix(" …")
    assert title.startswith(kept)
    following = title[len(kept) :]
    # Cut before a separator, or (a first part too long alone) at a space: never mid-word.
    assert following.startswith((" · ", "  ", " ")), (kept, following)
    assert shown.count("(") == shown.count(")")


def test_a_title_that_fits_is_left_alone_and_an_empty_width_changes_nothing() -> None:
    from rich.text import Text

    from helpdesk_tui.ui.widgets.title_bar import fit_title

    assert fit_title(Text("Queue · 3 tickets"), 80).plain == "Queue · 3 tickets"
    assert fit_title(Text("Queue · 3 tickets"), 0).plain == "Queue · 3 tickets"
    assert fit_title(Text(""), 10).plain == ""


async def test_lesser_news_goes_to_the_status_line_while_a_warning_is_up(
    make_app: AppFactory,
) -> None:
    from helpdesk_tui.ui.widgets.status_line import StatusLine

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("Theme x was not found", severity="warning")
        app.notify("HD-3: priority P2")  # information: the warning stays
        await settle(pilot)
        shown = [toast for toast in app.screen.query("Toast") if toast.region.height]
        assert len(shown) == 1 and "not found" in str(shown[0].render())
        assert app.screen.query_one(StatusLine).text == "HD-3: priority P2"
        app.notify("store: gone", title="Not done", severity="error")  # outranks it
        await settle(pilot)
        shown = [toast for toast in app.screen.query("Toast") if toast.region.height]
        assert len(shown) == 1 and "gone" in str(shown[0].render())


async def test_footer_keys_are_styled_once_not_restyled_as_they_mount(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key born compact and then bound wide restyled itself twice against the whole
    stylesheet, for every key of every footer the screens compose (tens at each launch,
    and again whenever a screen's keys change)."""
    restyled: list[str] = []
    update_styles = HelpdeskApp.update_styles

    def counting(self: HelpdeskApp, node: Any = None, animate: bool = True) -> None:
        if isinstance(node, FooterKey):
            restyled.append(node.action)
        update_styles(self, node, animate=animate)

    monkeypatch.setattr(HelpdeskApp, "update_styles", counting)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, app, "HD-1")
        keys = app.screen.query_one(HelpdeskFooter).query(FooterKey)
        assert len(keys) >= 8 and not any(key.has_class("-compact") for key in keys)
    assert restyled == []


async def test_the_filter_bar_says_how_to_apply_and_leave_it(make_app: AppFactory) -> None:
    # The bar types the keys the queue's footer named ("f Filter" typed an f there): its
    # own footer says what enter and escape do.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "f Filter" in _footer_line(pilot)
        await pilot.press("f")
        await settle(pilot)
        line = _footer_line(pilot)
        assert "⏎ Apply" in line and "esc Cancel" in line and "f Filter" not in line, line
        assert "f1 Help" in line and "^q Quit" in line  # ? types a question mark here
        await pilot.press(*"p1", "escape")
        await settle(pilot)
        bar = app.screen.query_one("#filter")
        assert not bar.display and app.focused is not None and app.focused.id == "tickets"
        assert "f Filter" in _footer_line(pilot) and "Apply" not in _footer_line(pilot)
        await pilot.press("slash", *"printer", "enter")
        await settle(pilot)
        assert getattr(app.screen, "search_text", None) == "printer"
        assert "Apply" not in _footer_line(pilot)


async def test_a_footer_composes_again_only_when_its_keys_change(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's footer composed all its keys again at every change of its screen's
    bindings (a focus moving, a screen resuming, the store opening): the queue's footer
    11 times in a launch's first 150 ms."""
    composed: list[str] = []
    compose = HelpdeskFooter.compose

    def counting(self: HelpdeskFooter) -> Any:
        if self._bindings_ready:
            composed.append(type(self.screen).__name__)
        return compose(self)

    monkeypatch.setattr(HelpdeskFooter, "compose", counting)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        launched = len(composed)
        assert set(composed) == {"QueueScreen"} and launched <= 2  # keys, then their state
        for _ in range(3):  # the screen says its keys may have changed; they have not
            app.screen.refresh_bindings()
            await settle(pilot)
        await pilot.press("v", "escape")  # a dialog over the queue, closed: the same keys
        await settle(pilot)
        assert len(composed) == launched and "f Filter" in _footer_line(pilot)
        await pilot.press("f")  # the bar's keys are other keys
        await settle(pilot)
        assert len(composed) == launched + 1 and "⏎ Apply" in _footer_line(pilot)


async def test_a_dialog_hides_the_keys_of_the_screen_below_it(make_app: AppFactory) -> None:
    # Drawn below a dialog, the screen's keys ("r Reply", "s Status") would name keys that
    # do nothing there; the app's pinned keys stay, and the screen's come back with it.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, app, "HD-1")
        assert "r Reply" in _footer_line(pilot)
        await pilot.press("r")
        await settle(pilot)
        line = _footer_line(pilot, below=1)
        assert "r Reply" not in line and "esc Back" not in line, line
        assert "^q Quit" in line and "^p Commands" in line, line
        await pilot.press("escape")
        await settle(pilot)
        assert "r Reply" in _footer_line(pilot) and "esc Back" in _footer_line(pilot)
