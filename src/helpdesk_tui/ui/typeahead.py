"""Keys typed ahead go where the agent meant them: one key at a time.

Textual sends each key to the widget focused when the key arrives. Over a slow link a
terminal delivers several keys at once ("/printer⏎" in one read), and the keys after
"/" reach the queue before the search box it opens has the focus: "p" opened the
priority picker and "⏎" chose a priority on the selected ticket. Keys are therefore
handed on one at a time: the next waits until the previous one has gone all the way
up its widgets to the app (a marker sent after it, which bubbles the same way, says
so), the calls it scheduled (a focus change) have run, and a screen it opened has
focused its field. A key never waits longer than `LONGEST_WAIT` (or `LONGEST_HOLD`
behind an action that waits for its ticket to be read, `hold_keys`), so nothing a
screen does can hold the keyboard.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

LONGEST_WAIT = 1.0
"""Seconds a key waits for the one before it at most."""
LONGEST_HOLD = 5.0
"""Seconds keys wait at most behind a key whose action waits for the store (hold_keys)."""
_FOCUS_WAIT = 3.0
"""Seconds a key waits at most for the screen the key before it opened to focus its field:
on a busy machine a dialog took over a second to mount, and the first key typed into it
was lost (it waits only while such a screen is still unfocused)."""
_FOCUS_POLL = 0.01


class KeyHandled(Message):
    """Sent behind a key along its way: when it reaches the app, so has the key."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number


class KeysInOrder(App[None]):
    """An app that hands keys on one at a time (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._held: deque[events.Key] = deque()
        self._in_flight = 0
        """The number of the key on its way, 0 when none is."""
        self._numbered = 0
        self._holding = 0
        """The number of the key whose action holds the keys after it (hold_keys)."""
        self._screen_before: Screen[Any] | None = None
        self._give_up: Timer | None = None
        self._watching_screens = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._in_flight:
                self._held.append(event)
            else:
                await self._hand_on(event)
            return
        await super().on_event(event)

    async def _hand_on(self, key: events.Key) -> None:
        self._numbered += 1
        number = self._in_flight = self._numbered
        target = self.focused or self.screen
        self._screen_before = self.screen
        if not self._watching_screens:
            self._watching_screens = True
            self.screen_change_signal.subscribe(self, self._screen_changed)
        await super().on_event(key)
        self._give_up = self.set_timer(LONGEST_WAIT, partial(self._next_key, number))
        if not target.post_message(KeyHandled(number)):
            self.call_later(self._next_key, number)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        # A key that closed its screen may lose its marker with the screen's widgets (a
        # message is dropped by a widget being removed): a second one, sent through the
        # screen now shown, arrives after that screen has taken the focus back.
        popped = self._screen_before is not None and self._screen_before not in self.screen_stack
        if self._in_flight and popped:
            screen.post_message(KeyHandled(self._in_flight))

    def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        # After what the key's action scheduled (Widget.focus is a call_later).
        self.call_later(self._after_key, message.number)

    def hold_keys(self) -> None:
        """The key on its way asked for what comes later (an action waiting for its
        ticket to be read): the keys typed after it wait for `release_keys`, so that
        they reach the screen that action opens, at most LONGEST_HOLD seconds."""
        if not self._in_flight:
            return
        self._holding = self._in_flight
        if self._give_up is not None:
            self._give_up.stop()
        self._give_up = self.set_timer(LONGEST_HOLD, partial(self._next_key, self._in_flight))

    def release_keys(self) -> None:
        """The held action has run: the keys after it go on, to the screen it opened."""
        number, self._holding = self._holding, 0
        if number and number == self._in_flight:
            self.call_later(self._after_key, number)

    async def _after_key(self, number: int, waited: float = 0.0) -> None:
        if number != self._in_flight or number == self._holding:
            return
        if waited < _FOCUS_WAIT and self._opened_a_screen_still_unfocused():
            # Its field takes the keys typed after the key that opened it.
            self.set_timer(_FOCUS_POLL, partial(self._after_key, number, waited + _FOCUS_POLL))
            return
        await self._next_key(number)

    def _opened_a_screen_still_unfocused(self) -> bool:
        screen = self.screen
        # A screen not mounted yet has no fields to count: it is waited for too (else the
        # key after the one that opened a dialog went nowhere when the dialog was slow).
        return (
            screen is not self._screen_before
            and screen.focused is None
            and (not screen.is_mounted or any(w.focusable for w in screen.focus_chain))
        )

    async def _next_key(self, number: int) -> None:
        if number != self._in_flight:
            return
        if self._give_up is not None:
            self._give_up.stop()
            self._give_up = None
        self._in_flight = self._holding = 0
        if self._held:
            await self._hand_on(self._held.popleft())


def hold_keys(app: App[Any]) -> None:
    """`KeysInOrder.hold_keys` where the app orders its keys; an app that does not (one
    a test builds around a single screen) hands them on as they come, nothing to hold."""
    if isinstance(app, KeysInOrder):
        app.hold_keys()


def release_keys(app: App[Any]) -> None:
    """`KeysInOrder.release_keys`, for any app (see `hold_keys`)."""
    if isinstance(app, KeysInOrder):
        app.release_keys()
