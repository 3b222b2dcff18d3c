"""The footer of every screen: the screen's keys from the left, and help, quit and the
command palette pinned to the right.

Textual's footer lays the keys out in order and cuts what does not fit, so at 80 columns
a screen with many keys lost `? Help` and `^q Quit` (the app's keys come last): the two
keys a newcomer needs to find the others and to get out. Here they never scroll away;
the screen's own keys get the rest of the width.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

# FooterKey is not exported by textual.widgets; the version is pinned (8.2.8).
from textual.widgets._footer import FooterKey

PINNED_ACTIONS = ("help", "quit", "command_palette")
"""The app's keys shown at the right end of every footer, in this order."""


class HelpdeskFooter(Footer):
    DEFAULT_CSS = """
    HelpdeskFooter > .footer--pinned {
        dock: right;
        width: auto;
        height: 1;
        background: $footer-background;
    }
    HelpdeskFooter > .footer--pinned > FooterKey {
        width: auto;
    }
    HelpdeskFooter.-covered > FooterKey {
        visibility: hidden;
    }
    """

    def __init__(self) -> None:
        super().__init__(show_command_palette=False)
        self._drawn: tuple[object, ...] | None = None
        """What the keys on show were composed from (`_shown`)."""
        self._recompose_due = False

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, current: Screen[object]) -> None:
        # A dialog over this footer's screen takes the keys: the screen's own keys, still
        # drawn below the dialog, would name keys that do nothing there. The app's pinned
        # keys stay.
        self.set_class(current is not self.screen, "-covered")

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Textual's footer composes all its keys again on every change of the screen's
        # bindings, one after another: a focus moving, a screen resuming, a store that
        # became ready each say so, and a launch composed the queue's footer 11 times in
        # its first 150 ms, as much work as drawing its rows. Here the changes of one
        # refresh make one look, and keys that read the same are left as they are.
        self._bindings_ready = True
        if not screen.app.app_focus or self._recompose_due:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_due = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_due = False
        if self.is_attached and self._shown() != self._drawn:
            await self.recompose()

    def _shown(self) -> tuple[object, ...]:
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, enabled, tip)
            for _node, binding, enabled, tip in self.screen.active_bindings.values()
        )

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._drawn = self._shown()
        pinned: dict[str, FooterKey] = {}
        bindings = self.screen.active_bindings
        for _key, binding, enabled, tooltip in bindings.values():
            if binding.action in PINNED_ACTIONS and binding.action not in pinned:
                key = FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip or binding.description,
                )
                pinned[binding.action] = self._born_bound(key.data_bind(compact=Footer.compact))
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # The app's pinned keys come in the flow too (help and quit are shown):
                # leave them out there, they are drawn at the right end.
                if widget.action in PINNED_ACTIONS:
                    continue
                self._born_bound(widget)
            yield widget
        with Horizontal(classes="footer--pinned"):
            for action in PINNED_ACTIONS:
                if action in pinned:
                    yield pinned[action]
        self.call_after_refresh(self._fit)

    def _born_bound(self, key: FooterKey) -> FooterKey:
        """`key` made with the footer's `compact` already, as its data binding would set
        it. A FooterKey is born compact and its binding then makes it wide: two restyles of
        each key against the whole stylesheet, and every footer composes again whenever
        its screen's keys change (248 restyles from launch to an open ticket)."""
        key.set_reactive(FooterKey.compact, self.compact)
        return key

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Show the screen's keys that fit whole before the pinned ones, in order, and
        none after the first that does not: a key is never cut mid-word."""
        keys = [key for key in self.query(FooterKey) if key.action not in PINNED_ACTIONS]
        pinned = [key for key in self.query(FooterKey) if key.action in PINNED_ACTIONS]
        room = self.size.width - sum(key_width(key) for key in pinned)
        for key in keys:
            room -= key_width(key)
            key.display = room >= 0


def key_width(key: FooterKey) -> int:
    """The cells a key takes in the footer (FooterKey.render, not compact)."""
    if not key.description:
        return cell_len(key.key_display)
    return cell_len(key.key_display) + 2 + cell_len(key.description) + 1
