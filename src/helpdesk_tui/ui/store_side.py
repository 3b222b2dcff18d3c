"""The app's side of the store: opening it at launch, listening to it, letting it go.

A launch's store opens in a helper process (launch/startup.py) while the app lays the
queue out; the app watches the helper's pipe from its event loop, takes the service the
answer makes, tells the screens, and once the first rows are drawn opens its own
connection for the change listener (ui/live.py).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from ..launch import collector
from ..launch.startup import PendingService
from ..service import HelpdeskService
from ..settings.i18n import _
from .activity import StoreActivity
from .jobs import call_store, show_activity
from .live import ChangeListener, StoreChanged
from .screens.base import LiveScreen
from .typeahead import KeysInOrder

SETTLE = 1.0
"""Seconds from the first rows drawn to the launch's one collection: past the keys an agent
presses as the queue appears, and the listener's opening of the store."""


class StoreSide(KeysInOrder):
    """An app over a store that is open (a service) or on its way (a PendingService)."""

    def __init__(self, service: HelpdeskService | PendingService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Known before the store is open: what the screens need to lay themselves out.
        self.policy = service.policy
        self.clock = service.clock
        self._service: HelpdeskService | None = None
        self._pending: PendingService | None = None
        if isinstance(service, PendingService):
            self._pending, self.username = service, service.username
        else:
            self._service, self.username = service, service.me.username
        self.startup_error: Exception | None = None
        """Why the store could not be opened at launch; run_app raises it after the app."""
        self.store_activity = StoreActivity()
        self.change_listener: ChangeListener | None = None
        self._awaiting: tuple[int, int, asyncio.AbstractEventLoop] | None = None
        """The pipe the loop watches for the launch helper's answer (with the store
        activity's call that says so, and the loop), until it comes."""

    def open_the_store(self) -> None:
        """Listen to an open store, or wait for the launch's (from on_mount)."""
        if self._service is not None:
            self._listen(self._service)
        elif self._pending is not None:
            # The queue is laid out meanwhile, and asks for its rows once it is told the
            # store is there (`_tell_screens`).
            self._await_store(self._pending)

    def _await_store(self, pending: PendingService) -> None:
        what = _("creating demo tickets") if pending.first_run_expected else _("opening")
        answer = pending.answer_fd()
        if answer is None:  # no helper: a worker opens the store
            call_store(self, pending.wait, self._store_ready, self._store_failed, what=what)
            return
        # The helper's answer is read by this loop, between the messages of the queue's
        # first layout: a worker thread waiting on the pipe waited as long again for the
        # interpreter, which that layout holds (22 ms of a 0.37 s launch).
        loop = asyncio.get_running_loop()
        self._awaiting = (answer, self.store_activity.begin(what), loop)
        loop.add_reader(answer, self._take_answer, pending)

    def _take_answer(self, pending: PendingService) -> None:
        """Stop watching the helper's pipe and take its answer: the service, or a failure
        that ends the app."""
        assert self._awaiting is not None
        answer, call, loop = self._awaiting
        self._awaiting = None
        loop.remove_reader(answer)
        if self.store_activity.end(call):
            show_activity(self)  # "waiting for the store" is over: not at the next poll
        try:
            service = pending.wait()
        except Exception as exc:
            self._store_failed(exc)
            return
        self._store_ready(service)

    def let_go_of_the_store(self) -> None:
        """Stop listening, and stop waiting for a store still opening (from on_unmount)."""
        if self.change_listener is not None:
            self.change_listener.stop()
        if self._service is not None:
            self._service.stop_learning()  # run() returns once every worker has ended
        if self._awaiting is not None:
            # Quit before the helper answered: the pipe's end, when the helper is
            # stopped just below, is no failure to report.
            answer, _call, loop = self._awaiting
            loop.remove_reader(answer)
            self._awaiting = None
        if self._pending is not None and self._service is None:
            # Quit while the launch still waits for the store: the waiting worker must
            # end, or the exit would wait for it.
            self._pending.abandon()

    @property
    def ready(self) -> bool:
        """Whether the store is open: until then screens show themselves without rows."""
        return self._service is not None

    @property
    def service(self) -> HelpdeskService:
        """The service; asked before the launch opened the store, this waits for it."""
        if self._service is None:
            assert self._pending is not None
            if self._awaiting is not None:  # asked before the loop saw the answer
                self._take_answer(self._pending)
            if self._service is None:  # raises what opening the store raised
                self._service = self._pending.wait()
                self.username = self._service.me.username
        return self._service

    def store_opening(self) -> bool:
        """Whether the launch is still opening the store, saying so: an action that needs
        it returns instead of holding the screen until the store answers."""
        if self._service is not None:
            return False
        self.notify(_("The store is still opening: try again in a moment."), timeout=3)
        return True

    def _store_ready(self, service: HelpdeskService) -> None:
        # The name the launch guessed (the config's, the OS user's) gives way to the one
        # the store signed in: a PostgreSQL login or an RT token says who this is.
        self._service, self.username = service, service.me.username
        if self._pending is not None and self._pending.first_run:
            self.notify(_("First run: a local store with demo tickets was created."))
        # Told now, not by a message: the queue, pushed a moment ago, may not be shown
        # yet, and reads on its first showing; a message behind that showing made it read
        # twice, the second time past the helper's rows.
        self._tell_screens(None)

    def _store_failed(self, exc: Exception) -> None:
        self.startup_error = exc
        self.exit(return_code=2)

    def on_ticket_table_loaded(self) -> None:
        # After a launch whose helper read the first rows: once they are drawn, open this
        # process's own connection (in the listener's thread), and listen from then on.
        if self.change_listener is None and self._service is not None:
            self.call_after_refresh(self._listen, self._service, catch_up=True)

    def _listen(self, service: HelpdeskService, catch_up: bool = False) -> None:
        if self.change_listener is None:
            self.set_timer(SETTLE, partial(collector.resume, freeze=True))
            self.change_listener = ChangeListener(
                self, service, self.store_activity, catch_up=catch_up
            )
            self.change_listener.start()

    def on_store_changed(self, message: StoreChanged) -> None:
        self._tell_screens(message.keys)

    def _tell_screens(self, keys: frozenset[str] | None) -> None:
        # Every live screen hears of it: the one on top re-reads now, the others on resume.
        # A change heard while the app shuts down finds screens losing their widgets.
        if not self.is_running:
            return
        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                screen.store_changed(keys)
