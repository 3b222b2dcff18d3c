"""On-call alerts: every few seconds (the app's timer), one cheap query for new P1s and
one for the agent's own clocks at risk or breached, each alert shown once as a toast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.app import App

from ..domain import sla
from ..domain.model import ACTIVE_STATUSES, Priority
from ..domain.text import safe_line
from ..service import HelpdeskService
from ..settings.i18n import _
from ..settings.i18n import label as tr
from ..store.base import Query
from .context import app_context
from .jobs import call_store

ONCALL_TOASTS = 3
"""Alerts shown one by one in a check; more than that are summed up in one toast."""


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
    return alerts


class OnCallAlerts:
    """The alerts already shown, and when the last check was, for the app's timer."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._alerted: set[str] = set()
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
        # A few alerts are shown one by one; a flood (a morning of breaches) is one
        # toast, not a screen full of them.
        shown, rest = fresh[:ONCALL_TOASTS], fresh[ONCALL_TOASTS:]
        for ident, text in shown:
            urgent = ident.startswith(("new:", "breached:"))
            app.notify(
                text, title=_("On call"), severity="error" if urgent else "warning", timeout=15
            )
        if rest:
            app.notify(
                _("{count} more: see the SLA board (F4)").format(count=len(rest)),
                title=_("On call"),
                severity="error",
                timeout=15,
            )
        if fresh and context.settings.bell:
            app.bell()
