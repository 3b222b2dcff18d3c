"""Escalations: tickets waiting for a tier to accept them, and for a lead's review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.access import Action
from ...domain.escalation import EscalationError, ReviewDecision, decision_comment
from ...domain.history import quoted
from ...domain.model import ACTIVE_STATUSES, Escalation, Role, Ticket
from ...domain.sla import actor_label
from ...domain.text import safe_line
from ...settings.i18n import N_, _
from ...settings.i18n import label as tr
from ...store.base import ConflictError, Page, Query, SortKey
from ..access import refused
from ..context import app_context
from ..jobs import call_store
from ..widgets.footer import HelpdeskFooter
from ..widgets.inputs import LineInput
from ..widgets.status_line import StatusLine
from ..widgets.ticket_table import ESCALATION_COLUMNS, TicketTable
from ..widgets.title_bar import TitleBar
from .base import LiveScreen
from .dialogs import ChoiceScreen, agent_options, on_answer
from .ticket_view import waiting_for


class DecideScreen(ModalScreen[tuple[str, str] | None]):
    """The decision on one escalation: who sent it, why, accept / reassign / decline,
    and a comment (kept as an internal note; a decline's comment is its reason).

    Enter on a choice moves to the comment, enter there records; escape cancels. It
    answers (decision, comment); a reassignment asks for the agent afterwards."""

    BINDINGS = [Binding("escape", "dismiss(None)", _("Cancel"), id="dialog.cancel")]

    DEFAULT_CSS = """
    DecideScreen #decide-about { max-height: 7; }
    DecideScreen #decide-comment-label { padding: 1 0 0 0; }
    """

    OPTIONS = (
        (N_("Accept: I take it"), ReviewDecision.ACCEPT),
        (N_("Reassign to an agent…"), ReviewDecision.REASSIGN),
        (N_("Decline: back to whoever sent it"), ReviewDecision.DECLINE),
    )

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose(self) -> ComposeResult:
        ticket = self.ticket
        with Vertical(classes="dialog"):
            yield Label(
                Text(
                    _("{key} waits for {waiting}").format(
                        key=safe_line(ticket.key), waiting=waiting_for(ticket) or "—"
                    )
                ),
                classes="dialog-title",
            )
            yield Static(escalation_about(ticket), id="decide-about")
            yield OptionList(*[Option(Text(tr(text))) for text, _d in self.OPTIONS])
            yield Label(
                Text(_("Comment (kept as an internal note; a decline needs one):")),
                id="decide-comment-label",
            )
            yield LineInput(placeholder=_("optional"), id="decide-comment")
            yield Static(Text(""), id="decide-error", classes="dialog-error")
            yield Static(
                Text(_("↑↓ choose · enter: to the comment · enter there: record · esc cancel")),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_key(self, event: events.Key) -> None:
        options = self.query_one(OptionList)
        if not options.has_focus:
            return  # j and k are letters of the comment
        if event.key == "j":
            options.action_cursor_down()
        elif event.key == "k":
            options.action_cursor_up()

    @property
    def decision(self) -> ReviewDecision:
        return self.OPTIONS[self.query_one(OptionList).highlighted or 0][1]

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self._error("")
        self.query_one("#decide-comment", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        decision = self.decision
        try:
            comment = decision_comment(event.value) or ""
        except EscalationError as exc:
            self._error(str(exc))
            return
        if decision is ReviewDecision.DECLINE and not comment:
            self._error(_("A decline needs a reason: write it as the comment."))
            return
        self.dismiss((decision.value, comment))

    def _error(self, text: str) -> None:
        self.query_one("#decide-error", Static).update(Text(safe_line(text)))


def escalation_about(ticket: Ticket) -> Text:
    """Who sent the ticket where, when, and why (the reason as they wrote it, cut)."""
    who = safe_line(actor_label(ticket.escalated_by or "?", _))
    when = f"{ticket.escalated_at:%Y-%m-%d %H:%M} UTC" if ticket.escalated_at else "—"
    if ticket.escalation is Escalation.AWAITING_LEAD:
        line = _("Sent for a lead's review by {agent}, {when}")
    else:
        line = _("Escalated from tier {old} to tier {new} by {agent}, {when}")
    text = Text(
        line.format(old=ticket.escalated_from_tier or "?", new=ticket.tier, agent=who, when=when)
        + "\n"
    )
    text.append(_("Reason: "), style="bold")
    text.append(quoted(ticket.escalation_reason, 400) or "—")
    return text


def decide_flow(owner: Screen[Any], ticket: Ticket, after: Callable[[], None]) -> None:
    """Show the decision dialog, then record it (asking whom, for a reassignment)."""
    app, context = owner.app, app_context(owner)
    service = context.service
    key = ticket.key
    # The least the dialog may record (the service's rule for `decide`): a lead's review
    # is a lead's to decide; a tier's escalation, to accept, is its tier's. Refused, it
    # is said now rather than after the decision and its comment were written.
    least = (
        Action.DECIDE_REVIEW
        if ticket.escalation is Escalation.AWAITING_LEAD
        else Action.ACCEPT_ESCALATION
    )
    if refused(owner, least, ticket):
        return

    def record(decision: ReviewDecision, comment: str | None, assignee: str | None) -> None:
        reason = comment if decision is ReviewDecision.DECLINE else None

        def job() -> Ticket:
            fresh = service.latest(key)
            return service.decide(key, fresh.version, decision, reason, assignee, comment)

        def done(updated: Ticket) -> None:
            app.notify(decision_told(updated, decision))
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

    def decided(answer: tuple[str, str]) -> None:
        decision, comment = ReviewDecision(answer[0]), answer[1] or None
        if decision is not ReviewDecision.REASSIGN:
            record(decision, comment, None)
            return

        def show(agents: list[Any]) -> None:
            owner.app.push_screen(
                ChoiceScreen(_("Reassign to"), agent_options(agents, min_tier=ticket.tier)),
                on_answer(lambda who: record(decision, comment, who)),
            )

        call_store(owner, service.agents, show, what=_("agents"))

    owner.app.push_screen(DecideScreen(ticket), on_answer(decided))


def decision_told(ticket: Ticket, decision: ReviewDecision) -> str:
    """The toast after a decision: what became of the ticket."""
    if decision is ReviewDecision.ACCEPT:
        text = _("{key}: accepted, yours now")
    elif decision is ReviewDecision.REASSIGN:
        text = _("{key}: reassigned to {agent}")
    else:
        text = _("{key}: declined, back with {agent} at tier {tier}")
    agent = safe_line(ticket.assignee or _("nobody"))
    return text.format(key=ticket.key, agent=agent, tier=ticket.tier)


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
        yield TicketTable(
            service.policy,
            service.clock,
            columns=ESCALATION_COLUMNS,
            selectable=False,
            id="escalated",
        )
        yield StatusLine()
        yield HelpdeskFooter()

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
