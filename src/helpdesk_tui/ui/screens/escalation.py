"""Escalations: tickets waiting for a tier to accept them, and for a lead's review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from ...domain.escalation import ReviewDecision
from ...domain.model import ACTIVE_STATUSES, Escalation, Role, Ticket
from ...settings.i18n import _
from ...store.base import ConflictError, Page, Query, SortKey
from ..context import app_context
from ..jobs import call_store
from ..widgets.status_line import StatusLine
from ..widgets.ticket_table import TicketTable
from ..widgets.title_bar import TitleBar
from .base import LiveScreen
from .dialogs import ChoiceScreen, PromptScreen, agent_options, on_answer


def decide_flow(owner: Screen[Any], ticket: Ticket, after: Callable[[], None]) -> None:
    """Ask accept / reassign / decline (with a reason) and record the decision."""
    app, context = owner.app, app_context(owner)
    service = context.service
    key = ticket.key
    waiting = (
        _("a lead's review")
        if ticket.escalation is Escalation.AWAITING_LEAD
        else _("tier {tier}").format(tier=ticket.tier)
    )
    options = [
        (_("Accept: I take it"), ReviewDecision.ACCEPT.value),
        (_("Reassign to an agent…"), ReviewDecision.REASSIGN.value),
        (_("Decline, with a reason…"), ReviewDecision.DECLINE.value),
    ]

    def record(decision: ReviewDecision, reason: str | None, assignee: str | None) -> None:
        def job() -> Ticket:
            fresh = service.latest(key)
            return service.decide(key, fresh.version, decision, reason, assignee)

        def done(updated: Ticket) -> None:
            app.notify(_("{key}: {decision} recorded").format(key=key, decision=decision.value))
            after()

        def failed(exc: Exception) -> None:
            if isinstance(exc, ConflictError):
                app.notify(
                    _("{key} changed meanwhile; look again").format(key=key), severity="warning"
                )
                after()
            else:
                context.show_error(exc)

        call_store(owner, job, done, failed, what=_("decision on {key}").format(key=key))

    def chosen(value: str | None) -> None:
        if value is None:
            return
        decision = ReviewDecision(value)
        if decision is ReviewDecision.ACCEPT:
            record(decision, None, None)
        elif decision is ReviewDecision.DECLINE:
            owner.app.push_screen(
                PromptScreen(_("Why decline {key}?").format(key=key), required=True),
                on_answer(lambda reason: record(decision, reason, None)),
            )
        else:

            def show(agents: list[Any]) -> None:
                owner.app.push_screen(
                    ChoiceScreen(_("Reassign to"), agent_options(agents, min_tier=ticket.tier)),
                    on_answer(lambda who: record(decision, None, who)),
                )

            call_store(owner, service.agents, show, what=_("agents"))

    owner.app.push_screen(
        ChoiceScreen(_("{key} waits for {waiting}").format(key=key, waiting=waiting), options),
        chosen,
    )


class EscalationScreen(LiveScreen):
    BINDINGS = [
        Binding("escape", "app.go('queue')", _("Queue"), id="escalations.back"),
        Binding("d", "decide", _("Decide"), id="escalations.decide"),
        Binding("tab", "switch", _("Tier / lead"), id="escalations.switch"),
        Binding("r,ctrl+r", "refresh", _("Refresh"), show=False, id="escalations.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lead_reviews = False

    def compose(self) -> ComposeResult:
        yield TitleBar(id="escalation-title")
        service = self.helpdesk.service
        yield TicketTable(service.policy, service.clock, id="escalated")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        me = self.helpdesk.service.me
        # A lead starts where decisions wait for them; an agent where their tier's do.
        self.lead_reviews = me.role is not Role.AGENT
        self.load()
        self.query_one(TicketTable).focus()
        self.every(1.0, self.query_one(TicketTable).tick)

    def load(self) -> None:
        service = self.helpdesk.service
        me = service.me
        if self.lead_reviews:
            # Any status: a review also covers a resolved ticket whose outcome is disputed.
            query = Query(escalations=frozenset({Escalation.AWAITING_LEAD}), sort=SortKey.SLA_DUE)
            title = _("Waiting for a lead's review")
        else:
            tiers = frozenset({me.tier}) if me.role is Role.AGENT else frozenset()
            query = Query(
                statuses=ACTIVE_STATUSES,
                tiers=tiers,
                escalations=frozenset({Escalation.AWAITING_TIER}),
                sort=SortKey.SLA_DUE,
            )
            title = (
                _("Waiting for tier {tier}").format(tier=me.tier)
                if tiers
                else _("Waiting for a tier")
            )

        def fetch(offset: int, limit: int) -> Page:
            return service.query(query.page(offset, limit))

        self.query_one(TicketTable).load(fetch, keep_cursor=True)
        other = _("tier escalations") if self.lead_reviews else _("lead reviews")
        self.query_one(TitleBar).show(
            Text(
                _("{title}   (tab: {other} · d: accept / reassign / decline · enter: open)").format(
                    title=title, other=other
                )
            )
        )

    def on_ticket_table_loaded(self, message: TicketTable.Loaded) -> None:
        status = self.query_one(StatusLine)
        if message.error:
            status.say(_("store: {error}").format(error=message.error), error=True)
        else:
            status.say(_("{count} waiting").format(count=message.total))

    def on_ticket_table_opened(self, message: TicketTable.Opened) -> None:
        self.helpdesk.open_ticket(message.ticket.key)

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.load()

    def action_switch(self) -> None:
        self.lead_reviews = not self.lead_reviews
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_decide(self) -> None:
        ticket = self.query_one(TicketTable).current
        if ticket is not None:
            decide_flow(self, ticket, self.load)
