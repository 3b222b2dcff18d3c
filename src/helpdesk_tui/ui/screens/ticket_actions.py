"""The ticket screen's writes: every action that changes the ticket, each based on the
version on screen (a conflict shows what changed), and the reply and note composer.
TicketScreen (ticket.py) adds reading and showing the ticket to these."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ...domain.access import Action
from ...domain.lifecycle import allowed_next
from ...domain.model import Escalation, Priority, Status, Ticket, TicketType
from ...domain.text import safe_line
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ...store.base import ConflictError
from ..access import refused
from ..drafts import Drafts
from ..jobs import call_store
from ..typeahead import hold_keys, release_keys
from .base import LiveScreen
from .dialogs import (
    ChoiceScreen,
    ConfirmScreen,
    ConflictScreen,
    PromptScreen,
    agent_options,
    on_answer,
)


def escalation_told(ticket: Ticket, me: str) -> str:
    """What an escalation did, for whoever asked for it: kept, or handed on and watched."""
    if ticket.assignee is not None:
        text = _("{key}: moved to tier {tier}, still with {agent}")
    elif me in ticket.watchers:
        text = _("{key}: handed to tier {tier}, waiting there; you are watching it")
    else:
        text = _("{key}: handed to tier {tier}, waiting there")
    return text.format(key=ticket.key, tier=ticket.tier, agent=safe_line(ticket.assignee or ""))


LIKELY_NEXT = {
    Status.NEW: Status.OPEN,
    Status.OPEN: Status.PENDING,
    Status.PENDING: Status.OPEN,
    Status.ON_HOLD: Status.OPEN,
    Status.RESOLVED: Status.CLOSED,
}
"""The status a ticket most often moves to next, highlighted in the status picker: work
starts, waits on the customer, resumes when they answer, and closes once resolved."""


def likely_next(status: Status, allowed: frozenset[Status]) -> str | None:
    """The status to highlight in the picker: the likely next one, else the first
    allowed one that is not cancelled (one enter must never cancel a ticket)."""
    wanted = LIKELY_NEXT.get(status)
    if wanted is not None and wanted in allowed:
        return wanted.value
    return next((s.value for s in Status if s in allowed and s is not Status.CANCELLED), None)


S = TypeVar("S", bound="TicketActions")


def on_ticket(action: Callable[[S, Ticket], None]) -> Callable[[S], None]:
    """An action on the ticket on screen, given that ticket. Asked for before the ticket
    has been read (Enter then a key, typed ahead over a slow link), it runs once the
    ticket is shown instead of being lost, and the keys typed after it wait for it."""

    def run(screen: S) -> None:
        if screen.ticket is None:
            screen.typed_ahead = partial(run, screen)
            # The keys typed after this one belong to what it opens.
            hold_keys(screen.app)
        else:
            action(screen, screen.ticket)

    run.__doc__ = action.__doc__
    return run


class TicketActions(LiveScreen):
    """The writes of the screen of ticket `key`; `load` (the screen's) re-reads it."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.ticket: Ticket | None = None
        self._writing = 0
        """Writes of this screen in flight: each re-reads the ticket when it is done."""
        self._changed_while_writing = False
        self.typed_ahead: Callable[[], None] | None = None
        """An action asked for before the ticket was read: see `on_ticket`."""

    def open_typed_ahead(self) -> None:
        """Run what was asked for before the ticket was read, now that it is shown."""
        if self.typed_ahead is not None:
            ahead, self.typed_ahead = self.typed_ahead, None
            self.call_after_refresh(self._run_typed_ahead, ahead)

    def _run_typed_ahead(self, ahead: Callable[[], None]) -> None:
        ahead()
        release_keys(self.app)

    def drop_typed_ahead(self) -> None:
        """The ticket could not be read: what the key was for is not on screen."""
        self.typed_ahead = None
        release_keys(self.app)

    @property
    def drafts(self) -> Drafts:
        return Drafts(self.helpdesk.settings.state_dir / "drafts")

    def load(self, live: bool = False) -> None:
        """Read the ticket and show it (TicketScreen does)."""
        raise NotImplementedError

    def _versioned_write(
        self,
        describe: str,
        job: Callable[[int], Ticket],
        after: Callable[[], None] | None = None,
        not_done: Callable[[Exception], None] | None = None,
        told: Callable[[Ticket], str] | None = None,
    ) -> None:
        """Run a write based on the version on screen; a conflict shows what changed.
        Any other failure goes to `not_done` (default: an error notification). Done, the
        agent is told `told(ticket)`, or "<key>: <describe>"."""
        if self.ticket is None:
            return
        version = self.ticket.version

        def run(base: int) -> None:
            self._writing += 1
            call_store(self, lambda: job(base), done, failed, what=describe)

        def done(ticket: Ticket) -> None:
            self._writing -= 1
            if after:
                after()
            self.notify(told(ticket) if told else f"{ticket.key}: {describe}")
            self.load()

        def failed(exc: Exception) -> None:
            self._writing -= 1
            if isinstance(exc, ConflictError):

                def resolved(choice: str | None) -> None:
                    if choice == "retry":
                        run(exc.current.version)
                    else:
                        self.load()

                self.app.push_screen(ConflictScreen(exc, describe), resolved)
                return
            if self._changed_while_writing and not self._writing:
                self.load(live=True)
            (not_done or self.helpdesk.show_error)(exc)

        run(version)

    def _choose(
        self,
        title: str,
        options: list[tuple[str, str]],
        current: str | None,
        then: Callable[[str], None],
    ) -> None:
        self.app.push_screen(ChoiceScreen(title, options, current), on_answer(then))

    def _ask(
        self,
        title: str,
        then: Callable[[str], None],
        *,
        required: bool = True,
        placeholder: str = "",
    ) -> None:
        self.app.push_screen(
            PromptScreen(title, required=required, placeholder=placeholder),
            on_answer(then),
        )

    @on_ticket
    def action_status(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        allowed = allowed_next(ticket.status)
        # In the lifecycle's order (the enum's), not the alphabet's: sorted by value put
        # "cancelled" first and under the cursor, one enter from cancelling the ticket.
        options = [(tr(s.label), s.value) for s in Status if s in allowed]
        if not options:
            self.notify(
                _("{key} is {status}: final").format(key=key, status=tr(ticket.status.label)),
                severity="warning",
            )
            return

        def apply(value: str, reason: str | None = None) -> None:
            status = Status(value)
            self._versioned_write(
                _("status {status}").format(status=tr(status.label)),
                lambda v: service.set_status(key, v, status, reason),
            )

        def chosen(value: str) -> None:
            status = Status(value)
            if status in (Status.CANCELLED, Status.ON_HOLD):
                self._ask(
                    _("Why {status}?").format(status=tr(status.label)),
                    lambda reason: confirm(value, reason),
                )
            else:
                confirm(value, None)

        def confirm(value: str, reason: str | None) -> None:
            if Status(value).is_final:
                # A verb of its own per status: the label capitalized asked "Closed HD-60?".
                question = (
                    _("Close {key}? This is final.")
                    if Status(value) is Status.CLOSED
                    else _("Cancel {key}? This is final.")
                )
                self.app.push_screen(
                    ConfirmScreen(question.format(key=key), destructive=True),
                    on_answer(lambda _ok: apply(value, reason)),
                )
            else:
                apply(value, reason)

        self._choose(_("Status"), options, likely_next(ticket.status, allowed), chosen)

    @on_ticket
    def action_priority(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        options = [(f"{p.short} {tr(p.label)}", p.value) for p in Priority]

        def chosen(value: str) -> None:
            priority = Priority(value)
            describe = _("priority {priority}").format(priority=priority.short)

            def told(written: Ticket) -> str:
                # The service writes nothing for the priority the ticket has: "priority P1"
                # after P1 on a P1 told of a change. Still asked, so a refusal is said.
                if written.version == ticket.version:
                    return _("{key} already has priority {priority}").format(
                        key=key, priority=priority.short
                    )
                return f"{written.key}: {describe}"

            self._versioned_write(
                describe, lambda ver: service.update(key, ver, priority=priority), told=told
            )

        self._choose(_("Priority"), options, ticket.priority.value, chosen)

    @on_ticket
    def action_type(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        options = [(tr(t.label), t.value) for t in TicketType]
        self._choose(
            _("Type"),
            options,
            ticket.type.value,
            lambda v: self._versioned_write(
                _("type {type}").format(type=tr(TicketType(v).label)),
                lambda ver: service.update(key, ver, type=TicketType(v)),
            ),
        )

    @on_ticket
    def action_merge(self, ticket: Ticket) -> None:
        """Merge this ticket, a duplicate, into the one it repeats: asked for that one's
        key, which is read first (a wrong key, or a merge the service would refuse, is
        said before anything is asked), confirmed by its subject, then one write; the
        merged-into ticket opens."""
        key, service, version = self.key, self.service, ticket.version

        def target(into: str) -> None:
            call_store(
                self, lambda: service.merge_target(key, into.strip()), confirm, what=_("merge")
            )

        def confirm(found: Ticket) -> None:
            question = _(
                "Merge {key} into {into} ({subject})? Its messages, files and watchers "
                "move there and {key} closes as merged."
            ).format(key=key, into=found.key, subject=safe_line(found.subject))
            if (found.organization or "") != (ticket.organization or ""):
                # Two customers' tickets: a slip of a digit, most often.
                question += " " + _("Not the same customer: {into}, {key}.").format(
                    into=_whose(found), key=_whose(ticket)
                )
            self.app.push_screen(
                ConfirmScreen(question, destructive=True),
                on_answer(lambda _ok: merge(found.key)),
            )

        def merge(into: str) -> None:
            def run() -> Ticket:
                latest = service.get(into)  # its version now: changed while I confirmed?
                return service.merge(key, version, latest.key, latest.version)

            call_store(self, run, merged, self.helpdesk.show_error, what=_("merge"))

        def merged(kept: Ticket) -> None:
            self.notify(_("{key} merged into {into}").format(key=key, into=kept.key))
            self.app.pop_screen()
            self.helpdesk.open_ticket(kept.key)

        self._ask(_("Merge {key} into which ticket? (its key)").format(key=key), target)

    @on_ticket
    def action_edit(self, ticket: Ticket) -> None:
        """The fields with no key of their own, in one form; what changed, one write."""
        from .edit_ticket import EditTicketScreen

        key, service = self.key, self.service

        def save(version: int, changed: dict[str, Any]) -> Ticket:
            # On the version the form was based on: a colleague's change meanwhile is a
            # conflict, which the form offers to take in (screens/edit_ticket.py).
            return service.update(key, version, **changed)

        def edited(saved: Ticket | None) -> None:
            if saved is not None:
                self.notify(_("{key}: fields saved").format(key=saved.key))
                self.load()

        self.app.push_screen(EditTicketScreen(ticket, save), edited)

    @on_ticket
    def action_assign(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        if refused(self, Action.ASSIGN, ticket):
            return

        def show(agents: list[Any]) -> None:
            options = agent_options(agents, unassign=True)
            self._choose(
                _("Assign to"),
                options,
                ticket.assignee,
                lambda v: self._versioned_write(
                    _("assigned to {agent}").format(agent=v or _("nobody")),
                    lambda ver: service.assign(key, ver, v or None),
                ),
            )

        call_store(self, service.agents, show, what=_("agents"))

    @on_ticket
    def action_take(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        waiting = ticket.escalation is Escalation.AWAITING_TIER
        # Taking a ticket that waits for its tier accepts the escalation (the service's rule).
        self._versioned_write(
            _("escalation accepted, yours now") if waiting else _("taken"),
            lambda v: service.take(key, v),
        )

    @on_ticket
    def action_watch(self, ticket: Ticket) -> None:
        key, service = self.key, self.service
        on = service.me.username not in ticket.watchers
        self._versioned_write(
            _("watching") if on else _("not watching"), lambda v: service.watch(key, v, on)
        )

    @on_ticket
    def action_escalate(self, ticket: Ticket) -> None:
        key, service, tier = self.key, self.service, ticket.tier
        options = [
            (
                (_("Tier {tier} (up)") if t > tier else _("Tier {tier} (down)")).format(tier=t),
                str(t),
            )
            for t in (1, 2, 3)
            if t != tier
        ]

        def chosen(value: str) -> None:
            self._ask(
                _("Why move {key} to tier {tier}?").format(key=key, tier=value),
                lambda reason: self._versioned_write(
                    _("moved to tier {tier}").format(tier=value),
                    lambda v: service.escalate(key, v, int(value), reason),
                    told=lambda ticket: escalation_told(ticket, service.me.username),
                ),
            )

        self._choose(_("Escalate to"), options, None, chosen)

    @on_ticket
    def action_lead_review(self, _ticket: Ticket) -> None:
        key, service = self.key, self.service
        self._ask(
            _("Why should a lead review {key}?").format(key=key),
            lambda reason: self._versioned_write(
                _("sent to a lead"), lambda v: service.request_review(key, v, reason)
            ),
        )

    @on_ticket
    def action_decide(self, ticket: Ticket) -> None:
        if ticket.escalation is Escalation.NONE:
            self.notify(_("Nothing is waiting for a decision on this ticket."), severity="warning")
            return
        from .escalation import decide_flow

        decide_flow(self, ticket, self.load)

    @on_ticket
    def action_attach(self, _ticket: Ticket) -> None:
        key, service = self.key, self.service
        self._ask(
            _("Attach a file (path)"),
            lambda path: self._versioned_write(
                _("attached {name}").format(name=Path(path).name),
                lambda v: service.attach(key, v, Path(path).expanduser()),
            ),
            placeholder="~/logs/app.log",
        )

    @on_ticket
    def action_csat(self, _ticket: Ticket) -> None:
        key, service = self.key, self.service
        options = [(f"{n} {'★' * n}", str(n)) for n in (5, 4, 3, 2, 1)]

        def scored(score: str) -> None:
            self._ask(
                _("Customer's comment (optional)"),
                lambda comment: self._versioned_write(
                    _("satisfaction {score}/5").format(score=score),
                    lambda v: service.record_csat(key, v, int(score), comment or None),
                ),
                required=False,
                # Escape cancels the score too: say how to record it alone.
                placeholder=_("empty: record {score}/5 without a comment").format(score=score),
            )

        self._choose(_("Customer satisfaction"), options, None, scored)


def _whose(ticket: Ticket) -> str:
    if ticket.organization:
        return _("{key} is {organization}'s").format(
            key=ticket.key, organization=safe_line(ticket.organization)
        )
    return _("{key} has no organization").format(key=ticket.key)
