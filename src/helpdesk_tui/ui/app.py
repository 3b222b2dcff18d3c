"""HelpdeskApp: screens, bindings, themes, the command palette, the on-call timer."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import ActiveBinding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from ..domain.text import safe_line
from ..launch import collector
from ..launch.startup import PendingService
from ..service import HelpdeskService
from ..service.views import View
from ..settings.config import Settings
from ..settings.i18n import _
from ..store.base import NotFound
from .alerts import OnCallAlerts, show_mentions
from .commands import TicketCommands, ticket_key
from .context import APP_BINDINGS
from .jobs import call_store
from .store_side import StoreSide
from .themes import choose_theme, load_themes
from .widgets.status_line import StatusLine

if TYPE_CHECKING:
    from .context import HelpdeskContext

_SEVERITY_RANK = {"information": 0, "warning": 1, "error": 2}

ONCALL_EVERY = 10.0
"""Seconds between on-call checks: one cheap query for new P1s, one for my clocks."""

LAUNCH_GRACE = 5.0
"""Seconds after which the launch counts as over even if no rows were drawn: a store that
keeps the app waiting must not keep the cycle collector off (launch/collector.py)."""


class HelpdeskApp(StoreSide):
    TITLE = "helpdesk-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {TicketCommands}

    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        service: HelpdeskService | PendingService,
        settings: Settings,
        views: list[View],
        *,
        oncall: bool = True,
    ) -> None:
        # NO_COLOR means no colour codes at all. Textual's own reading is shades of grey,
        # unless the app draws in the terminal's ANSI colours: then it drops colour.
        super().__init__(
            service, ansi_color=True if os.environ.get("NO_COLOR") is not None else None
        )
        self.settings = settings
        self.views = views
        self._oncall_enabled = oncall
        self._loudest_toast: tuple[int, float] = (0, 0.0)
        """The severity of the toast on screen and until when (time.monotonic)."""
        self._oncall = OnCallAlerts(self)
        self._theme_ready = False
        self.cursor_blink = settings.cursor_blink

    def copy_to_clipboard(self, text: str) -> None:
        # Every copy (`Y`, ctrl+c on a selection) comes here: with [terminal] clipboard
        # off, the app still remembers it but writes no OSC 52 to the terminal.
        if self.settings.terminal.clipboard:
            super().copy_to_clipboard(text)
        else:
            self._clipboard = text

    # ----------------------------------------------------------------- start

    def on_mount(self) -> None:
        if self.no_color:
            self.add_class("-no-color")
        for theme in load_themes():
            self.register_theme(theme)
        choice = choose_theme(
            self._state().get("theme"), self.settings.theme, set(self.available_themes)
        )
        if choice.name is not None:
            self.theme = choice.name
        if choice.missing is not None:
            # Said, not passed over: a theme that is not there looks like a setting ignored.
            self.notify(
                _(
                    "Theme {name} was not found; showing {theme}. ctrl+p, type theme, to pick one."
                ).format(name=safe_line(choice.missing)[:40], theme=self.theme),
                severity="warning",
                timeout=30,
            )
        self._theme_ready = True
        self.set_keymap(self.settings.keymap)
        from .screens.queue import QueueScreen

        self.push_screen(QueueScreen())
        # The launch is over once the first rows are drawn (`_listen`), or after a while.
        self.set_timer(LAUNCH_GRACE, partial(collector.resume, freeze=True))
        if self._oncall_enabled:
            self._oncall.last_check = self.clock()
            self.set_interval(ONCALL_EVERY, self._oncall.check)
        self.open_the_store()

    def on_unmount(self) -> None:
        self.let_go_of_the_store()

    def watch_theme(self, theme: str) -> None:
        # The choice survives restarts; the first assignment in on_mount is not a choice.
        if self._theme_ready:
            self._save_state(theme=theme)

    # -------------------------------------------------------------- state file

    @property
    def _state_path(self) -> Path:
        return self.settings.state_dir / "ui.json"

    def _state(self) -> dict[str, Any]:
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_state(self, **changes: Any) -> None:
        state = {**self._state(), **changes}
        try:
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state), encoding="utf-8")
            tmp.replace(self._state_path)
        except OSError as exc:
            self.notify(
                _("could not remember the theme: {error}").format(error=exc.strerror),
                severity="warning",
            )

    # ------------------------------------------------------------- navigation

    def action_go(self, where: str) -> None:
        from .screens.escalation import EscalationScreen
        from .screens.handover import HandoverScreen
        from .screens.metrics import MetricsScreen
        from .screens.queue import QueueScreen
        from .screens.sla_board import SlaBoardScreen

        kinds: dict[str, type[Screen[Any]]] = {
            "queue": QueueScreen,
            "escalations": EscalationScreen,
            "sla": SlaBoardScreen,
            "metrics": MetricsScreen,
            "handover": HandoverScreen,
        }
        kind = kinds[where]
        if isinstance(self.screen, kind) or (kind is not QueueScreen and self.store_opening()):
            return
        # Keep one queue at the bottom of the stack; other top-level screens replace
        # each other so the stack never grows without bound.
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if kind is QueueScreen:
            return
        self.push_screen(kind())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_goto_ticket(self) -> None:
        from .screens.dialogs import PromptScreen

        def chosen(text: str | None) -> None:
            if text:
                self.goto_ticket(text)

        prefix = self._service.key_prefix if self._service is not None else "HD"
        self.push_screen(
            PromptScreen(_("Go to ticket"), placeholder=f"{prefix}-1042 · 1042"), chosen
        )

    def goto_ticket(self, text: str) -> None:
        """Open the ticket `text` names (a key, or a bare number with the store's prefix)
        once the store has found it; an unknown key is said, and no screen opens."""
        if self.store_opening():
            return
        service = self.service
        key = ticket_key(text, service.key_prefix)
        if key is None:
            self.notify(
                _("{text} is not a ticket key (like {prefix}-1042, or just 1042)").format(
                    text=safe_line(text)[:40], prefix=service.key_prefix
                ),
                severity="warning",
            )
            return

        def failed(exc: Exception) -> None:
            if isinstance(exc, NotFound):
                self.notify(_("There is no ticket {key}.").format(key=key), severity="warning")
            else:
                self.show_error(exc)

        call_store(
            self,
            lambda: service.get(key),
            lambda ticket: self.open_ticket(ticket.key),
            failed,
            what=_("looking for {key}").format(key=key),
        )

    def open_ticket(self, key: str) -> None:
        from .screens.ticket import TicketScreen

        if not self.store_opening():
            self.push_screen(TicketScreen(key))

    @property
    def oncall(self) -> bool:
        return self._oncall_enabled

    def oncall_line(self) -> tuple[str, bool] | None:
        return self._oncall.line() if self._oncall_enabled else None

    def action_oncall_alerts(self) -> None:
        """List the waiting on-call alerts; choosing one opens its ticket."""
        from .screens.dialogs import ChoiceScreen

        alerts = self._oncall.take()
        if not alerts:
            self.notify(_("No on-call alert is waiting."))
            return
        options = [(text, key) for key, text in alerts]

        def chosen(key: str | None) -> None:
            if key is not None:
                self.open_ticket(key)

        self.push_screen(ChoiceScreen(_("On-call alerts"), options), chosen)

    def action_mentions(self) -> None:
        """The notes that called me in (@name), newest first; choosing one opens it."""
        show_mentions(self, self.service, self.open_ticket)

    def action_help_quit(self) -> None:
        # Textual's own ctrl+c hint is markup ("Press [b]ctrl+q[/b]…"), and every toast
        # of ours is plain text (see notify): the brackets showed. The words, plainly.
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press {key} to quit the app").format(key=key),
                    title=_("Do you want to quit?"),
                )
                return

    def show_error(self, exc: Exception) -> None:
        self.notify(safe_line(str(exc)), title=_("Not done"), severity="error", timeout=8)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        # Toasts quote subjects, typed paths and store errors. Textual reads a toast's
        # message as markup, and Widget.notify passes markup=True explicitly: a subject
        # holding "[/]" crashed the app (MarkupError) and "[@click=app.quit]" became a
        # live action. No toast of ours uses markup, so every one is plain text.
        # One toast at a time (app.tcss keeps it to four rows): a pile of them hid half
        # the list at 80x24. On-call alerts wait on the status line instead (alerts.py).
        # A warning or an error is not pushed away by lesser news: that goes to the
        # status line while the toast is up.
        # (Textual adds a notification a message later: the loudest is tracked here.)
        rank, now = _SEVERITY_RANK[severity], time.monotonic()
        louder_rank, louder_until = self._loudest_toast
        if louder_rank > rank and now < louder_until:
            lines = list(self.screen.query(StatusLine))
            if lines:
                lines[0].say(f"{title}: {message}" if title else message)
                return
        lasts = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        self._loudest_toast = (rank, now + lasts)
        self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # ---------------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        commands = [
            *super().get_system_commands(screen),
            SystemCommand(
                _("Queue"), _("The ticket queue and its views"), lambda: self.action_go("queue")
            ),
            SystemCommand(
                _("Escalations"),
                _("Tickets waiting for a tier or a lead"),
                lambda: self.action_go("escalations"),
            ),
            SystemCommand(
                _("SLA board"),
                _("Every running clock, most urgent first"),
                lambda: self.action_go("sla"),
            ),
            SystemCommand(
                _("Metrics"),
                _("SLA compliance, response times, backlog, CSAT"),
                lambda: self.action_go("metrics"),
            ),
            SystemCommand(
                _("Go to ticket"), _("Open a ticket by its key"), self.action_goto_ticket
            ),
            SystemCommand(_("Help"), _("Every key, screen by screen"), self.action_help),
        ]
        for name in sorted(self.available_themes):
            if name.startswith("helpdesk-"):
                commands.append(
                    SystemCommand(
                        _("Theme: {name}").format(name=name.removeprefix("helpdesk-")),
                        _("Switch to the {name} theme (remembered)").format(name=name),
                        lambda name=name: setattr(self, "theme", name),
                    )
                )
        yield from commands
        # Every other action of the screen underneath, so the palette reaches all of them:
        # one command per action however many keys it has ("down,j" is one "Down"), and
        # none that repeats a command above (F3 "Escalations", ctrl+q "Quit").
        titles = {command.title for command in commands}
        actions: dict[tuple[int, str], tuple[ActiveBinding, list[str]]] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.description and binding.description not in titles:
                _first, keys = actions.setdefault((id(active.node), binding.action), (active, []))
                keys.append(binding.key_display or key)
        for active, keys in actions.values():
            binding = active.binding
            yield SystemCommand(
                binding.description,
                _("{action} (key: {keys})").format(
                    action=binding.description, keys=" / ".join(keys)
                ),
                lambda node=active.node, action=binding.action: self.run_action(action, node),
            )


def run_app(settings: Settings, views: list[View], pending: PendingService) -> int:
    """Run the app while `pending` opens the store; a failure to open it is raised after."""
    app = HelpdeskApp(pending, settings, views)
    try:
        app.run()
    finally:
        pending.close()
    if app.startup_error is not None:
        raise app.startup_error
    # Textual prints a crash and returns from run(); the exit status must still say so.
    return app.return_code or 0


if TYPE_CHECKING:

    def _is_a_context(app: HelpdeskApp) -> HelpdeskContext:
        return app  # mypy checks here that the app gives the screens all they ask of it
