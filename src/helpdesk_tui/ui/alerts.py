"""On-call alerts: every few seconds (the app's timer), one cheap query for new P1s and
one for the agent's own clocks at risk or breached, each alert raised once.

Alerts wait on the status line of every screen ("On call (3) · f6 to list · HD-97 …")
until the agent lists them with f6, rather than as toasts: three toasts and
"N more" covered half the list at 80x24, and went away after 15 seconds whether anyone
had read them or not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.app import App

from ..domain import sla
from ..domain.model import ACTIVE_STATUSES, Priority
from ..domain.sla import actor_label
from ..domain.text import safe_line
from ..service import HelpdeskService
from ..service.mentions import Mention
from ..settings.i18n import _
from ..settings.i18n import label as tr
from ..store.base import Query, StoreError
from .context import app_context
from .jobs import call_store
from .terminal import notify_desktop
from .widgets.suggestion import key_hint


def collect_alerts(service: HelpdeskService, since: datetime, me: str) -> list[str]:
    """The alerts of now, each "<ident>|<text>": the ident says which alert it is, so a
    check shows only those no earlier check showed. A store read: run it in a worker."""
    now = service.clock()
    alerts: list[str] = []
    fresh = service.query(
        Query(
            statuses=ACTIVE_STATUSES,
            priorities=frozenset({Priority.CRITICAL}),
            created_after=since,
            limit=20,
        )
    )
    for ticket in fresh.tickets:
        text = _("New P1 {key}: {subject}").format(
            key=ticket.key, subject=safe_line(ticket.subject)
        )
        alerts.append(f"new:{ticket.key}|{text}")
    mine = service.query(
        Query(statuses=ACTIVE_STATUSES, assignees=frozenset({me}), due_before=None, limit=50)
    )
    for ticket in mine.tickets:
        for status in sla.evaluate(ticket, service.policy, now):
            if status.state is sla.ClockState.BREACHED and status.stopped_at is None:
                state, shown = "breached", _("breached")
            elif status.state is sla.ClockState.RUNNING and status.at_risk:
                state, shown = "at risk", _("at risk")
            else:
                continue
            text = _("{key} {clock} is {state}: {subject}").format(
                key=ticket.key,
                clock=tr(status.kind.label),
                state=shown,
                subject=safe_line(ticket.subject),
            )
            alerts.append(f"{state}:{ticket.key}:{status.kind.value}|{text}")
    return alerts + _mention_alerts(service, since)


def _mention_alerts(service: HelpdeskService, since: datetime) -> list[str]:
    """Notes that called me in since the last check; none where the store cannot say
    (RT: the mentioned agent watches the ticket, and RT mails its watchers)."""
    try:
        found = service.mentions_of_me(since, limit=20)
    except StoreError:
        return []
    return [f"mention:{m.ticket.key}:{m.entry.id}|{mention_line(m)}" for m in found]


def mention_line(mention: Mention) -> str:
    """ "@dmitri mentioned you on HD-7: Ledger totals wrong", as the agent named it."""
    return _("{who} mentioned you on {key}: {subject}").format(
        who=safe_line(actor_label(mention.entry.actor)),
        key=safe_line(mention.ticket.key),
        subject=safe_line(mention.ticket.subject),
    )


class OnCallAlerts:
    """The alerts already shown, and when the last check was, for the app's timer."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._alerted: set[str] = set()
        self.waiting: list[tuple[str, str]] = []
        """(ident, text) of the alerts raised and not yet listed, oldest first."""
        self.last_check: datetime | None = None

    def check(self) -> None:
        context = app_context(self._app)
        if not context.ready:
            return
        since = self.last_check or context.service.clock()
        me = context.service.me.username
        service = context.service
        call_store(
            self._app,
            lambda: collect_alerts(service, since, me),
            self._show,
            failed=lambda exc: None,
            group="oncall",
            exclusive=True,
        )

    def _show(self, alerts: list[str]) -> None:
        app, context = self._app, app_context(self._app)
        self.last_check = context.service.clock()
        fresh = [a.split("|", 1) for a in alerts if a.split("|", 1)[0] not in self._alerted]
        self._alerted.update(ident for ident, _text in fresh)
        self.waiting.extend((ident, text) for ident, text in fresh)
        if fresh and context.settings.bell:
            app.bell()
        if fresh:
            latest = fresh[-1][1]
            if len(fresh) > 1:
                latest = _("{count} alerts, the latest: {alert}").format(
                    count=len(fresh), alert=latest
                )
            notify_desktop(app, context.settings, "helpdesk-tui", latest)

    def line(self) -> tuple[str, bool] | None:
        """The status line's alert text and whether it is urgent (a new P1 or a breach);
        None when no alert waits."""
        if not self.waiting:
            return None
        # The count and the key first: a narrow terminal cuts the end of the line.
        text = _("On call ({count}) · {key} to list · {alert}").format(
            count=len(self.waiting),
            key=key_hint(self._app, "app.alerts", "f6"),
            alert=self.waiting[-1][1],
        )
        urgent = any(ident.startswith(("new:", "breached:")) for ident, _t in self.waiting)
        return text, urgent

    def take(self) -> list[tuple[str, str]]:
        """The waiting alerts as (ticket key, text), newest check last; none wait after."""
        taken = [(ident.split(":")[1], text) for ident, text in self.waiting]
        self.waiting.clear()
        return taken


def show_mentions(
    app: App[Any], service: HelpdeskService, open_ticket: Callable[[str], None]
) -> None:
    """The Mentions list (@): the notes that called me in, newest first; read in a
    worker, then a choice that opens the ticket."""
    from .screens.dialogs import ChoiceScreen

    def show(found: list[Mention]) -> None:
        if not found:
            app.notify(_("Nobody has mentioned you in a note."))
            return
        options = [(mention_line(m), m.ticket.key) for m in found]

        def chosen(key: str | None) -> None:
            if key is not None:
                open_ticket(key)

        app.push_screen(ChoiceScreen(_("Mentions"), options), chosen)

    call_store(
        app,
        lambda: service.mentions_of_me(limit=50),
        show,
        lambda exc: app.notify(safe_line(str(exc)), severity="warning"),
        what=_("mentions"),
    )
