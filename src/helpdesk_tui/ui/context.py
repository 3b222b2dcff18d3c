"""What the screens, widgets and workers ask of the app, without importing it.

ui/app.py builds the screens; a screen that imported the app back closed an import
circle through every module of ui/. They reach it through `app_context(node)` instead:
the app as the small `HelpdeskContext` it satisfies (app.py has mypy check that it does).
The app's own keys live here too, so the help screen can list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from textual.binding import Binding, BindingType

from ..settings.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from textual.dom import DOMNode

    from ..domain.sla import Policy
    from ..service import HelpdeskService
    from ..service.views import View
    from ..settings.config import Settings
    from .activity import StoreActivity

APP_BINDINGS: list[BindingType] = [
    Binding("question_mark,f1", "help", _("Help"), id="app.help"),
    Binding("ctrl+q", "quit", _("Quit"), id="app.quit", priority=True),
    Binding("ctrl+p", "command_palette", _("Commands"), id="app.palette", show=False),
    Binding("f2", "go('queue')", _("Queue"), id="app.queue", show=False),
    Binding("f3", "go('escalations')", _("Escalations"), id="app.escalations", show=False),
    Binding("f4", "go('sla')", _("SLA board"), id="app.sla_board", show=False),
    Binding("f5", "go('metrics')", _("Metrics"), id="app.metrics", show=False),
    Binding("f7", "go('handover')", _("Shift handover"), id="app.handover", show=False),
    Binding("colon", "goto_ticket", _("Go to ticket"), id="app.goto", show=False),
    Binding("f6", "oncall_alerts", _("On-call alerts"), id="app.alerts", show=False),
    Binding("at", "mentions", _("Mentions"), id="app.mentions", show=False),
]
"""The keys that work on every screen (HelpdeskApp.BINDINGS)."""


class HelpdeskContext(Protocol):
    """The app as the screens know it: the service and what is known before it opens."""

    settings: Settings
    views: list[View]
    policy: Policy
    clock: Callable[[], datetime]
    username: str
    store_activity: StoreActivity

    @property
    def ready(self) -> bool:
        """Whether the store is open: until then screens show themselves without rows."""
        ...

    @property
    def service(self) -> HelpdeskService:
        """The service; asked before the launch opened the store, this waits for it."""
        ...

    def store_opening(self) -> bool:
        """Whether the launch is still opening the store, saying so to the agent."""
        ...

    def open_ticket(self, key: str) -> None: ...

    @property
    def oncall(self) -> bool:
        """On-call mode: alerts on the status line, unacknowledged P1s pinned."""
        ...

    def oncall_line(self) -> tuple[str, bool] | None:
        """The on-call alerts waiting to be listed, as one line, and whether one is
        urgent; None when none waits (ui/alerts.py)."""
        ...

    def show_error(self, exc: Exception) -> None: ...


def app_context(node: DOMNode) -> HelpdeskContext:
    """The app `node` runs in, as a HelpdeskContext."""
    return cast("HelpdeskContext", node.app)
