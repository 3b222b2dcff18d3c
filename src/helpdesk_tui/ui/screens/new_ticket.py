"""A new ticket: a form that validates before anything is written.

It takes what the support process asks a caller for (seeds 000 and 001): type,
priority, tier, who and for which organization, the channel, the environment, the
impact and how many users it affects, the integration, the category and tags, and a
description with the steps; a phone call is assigned to whoever takes it unless they
choose otherwise. As the subject and description are typed, triage's suggestion for
priority, type and tier is shown, and ctrl+t applies it.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static, TextArea

from ...domain.model import Agent, Channel, Environment, Priority, TicketType
from ...domain.text import safe_line
from ...domain.triage import ACCEPTED_TAG, Suggestion
from ...service import TicketDraft
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ..context import app_context
from ..jobs import call_store
from ..widgets.footer import HelpdeskFooter
from ..widgets.inputs import (
    FORM_FOCUS,
    FormScroll,
    LineInput,
    TextEditor,
    after_typing,
    field_value,
)
from ..widgets.suggestion import triage_work
from .dialogs import close_after_asking

SUGGEST_AFTER = 0.4
"""Seconds of no typing before triage is asked about the draft."""

ERROR_FIELDS = (
    ("subject", "#subject"),
    ("description", "#description"),
    ("requester email", "#email"),
    ("requester_email", "#email"),
    ("requester name", "#requester"),
    ("requester_name", "#requester"),
    ("organization", "#org"),
    ("impact", "#impact"),
    ("affected users", "#affected"),
    ("affected_users", "#affected"),
    ("integration", "#integration"),
    ("category", "#category"),
    ("tags", "#tags"),
)
"""The field a refusal is about, by the words it starts with (the service names the
field first: "subject cannot be empty"). A refusal that names none is still shown."""


class NewTicketScreen(ModalScreen[str | None]):
    """Returns the new ticket's key, or None when cancelled."""

    AUTO_FOCUS = ""
    """The first field is focused in on_mount without scrolling: Textual's own focus
    would scroll the form past its title at 80x24."""

    BINDINGS = [
        Binding("ctrl+s", "create", _("Create"), id="new.create", priority=True),
        Binding("ctrl+t", "apply_suggestion", _("Apply suggestion"), id="new.suggest"),
        Binding("escape", "cancel", _("Cancel"), id="new.cancel"),
        *FORM_FOCUS,
    ]

    suggestion: Suggestion | None = None
    """Triage's suggestion for what is typed so far (None until there is one)."""
    applied: Suggestion | None = None
    """The suggestion ctrl+t last applied: a ticket created with its fields unchanged is
    triaged (tagged as accepted), so it is not offered again on the ticket."""

    def compose(self) -> ComposeResult:
        with FormScroll(classes="dialog form new-ticket"):
            # The keys go in the title: at 80x24 the bottom of the form is below the fold.
            yield Label(
                Text(_("New ticket · ctrl+s create · esc cancel · tab next field")),
                classes="dialog-title",
            )
            yield LineInput(placeholder=_("Subject (required)"), id="subject")
            # Under the subject, above the fields it would set: at 80x24 the bottom of
            # the form is below the fold while the subject is typed. Hidden until asked.
            suggested = Static(Text(""), id="draft-suggestion", classes="form-hint")
            suggested.display = False
            yield suggested
            with Horizontal(classes="form-row"):
                yield Select(
                    [(tr(t.label), t.value) for t in TicketType],
                    value="incident",
                    id="type",
                    allow_blank=False,
                )
                yield Select(
                    [(f"{p.short} {tr(p.label)}", p.value) for p in Priority],
                    value="medium",
                    id="priority",
                    allow_blank=False,
                )
                yield Select(
                    [(_("Tier {tier}").format(tier=t), str(t)) for t in (1, 2, 3)],
                    value="1",
                    id="tier",
                    allow_blank=False,
                )
            with Horizontal(classes="form-row"):
                yield LineInput(placeholder=_("Requester name"), id="requester")
                yield LineInput(placeholder=_("Requester e-mail"), id="email")
            with Horizontal(classes="form-row"):
                yield LineInput(placeholder=_("Organization"), id="org")
                yield Select(
                    [(tr(c.label), c.value) for c in Channel],
                    value="phone",
                    id="channel",
                    allow_blank=False,
                )
                yield Select(
                    [(tr(e.label), e.value) for e in Environment],
                    id="environment",
                    prompt=_("Environment"),
                )
            with Horizontal(classes="form-row"):
                yield LineInput(placeholder=_("Impact"), id="impact")
                yield LineInput(placeholder=_("Affected users"), id="affected")
                yield LineInput(placeholder=_("Integration"), id="integration")
            with Horizontal(classes="form-row"):
                yield LineInput(placeholder=_("Category"), id="category")
                yield LineInput(placeholder=_("Tags: a, b"), id="tags")
                yield Select([], id="assignee", prompt=_("Assignee: nobody"))
            yield Label(
                Text(_("Description: what happened, the steps to see it, what was expected")),
                classes="form-hint",
            )
            yield TextEditor(id="description", soft_wrap=True)
            yield Static(Text(""), id="form-error", classes="dialog-error")
        # Its own keys at the bottom: the queue's footer showed through the backdrop,
        # offering keys that do nothing here.
        yield HelpdeskFooter()

    def on_mount(self) -> None:
        self.query_one("#form-error").display = False
        self.query_one("#subject", Input).focus(scroll_visible=False)
        service = app_context(self).service
        call_store(self, service.agents, self._show_agents, lambda _exc: None, what=_("agents"))

    def _show_agents(self, agents: list[Agent]) -> None:
        picker = self.query_one("#assignee", Select)
        # Short labels: a select's line is a third of the form's width.
        options = [(f"{a.username} T{a.tier}", a.username) for a in agents if a.active]
        self._agent_names = {value for _label, value in options}
        self._agents = {a.username: a for a in agents}
        picker.set_options(options)
        self._follow_channel()

    _agent_names: set[str] = set()
    """Who may be picked as assignee, once the agents are read."""
    _agents: dict[str, Agent] = {}
    """The agents read, by username."""

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "channel":
            self._follow_channel()
        self._edited(event.select.id)

    def _follow_channel(self) -> None:
        """A phone call is the taker's to work: default the assignee to me (and back to
        nobody when the channel changes), unless someone else was chosen."""
        picker = self.query_one("#assignee", Select)
        me = app_context(self).username
        phone = self._value("#channel") == Channel.PHONE.value
        if phone and picker.value == Select.NULL and me in self._agent_names:
            picker.value = me
        elif not phone and picker.value == me:
            picker.clear()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "subject":
            self._suggest_soon()
        self._edited(event.input.id)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._suggest_soon()
        self._edited(event.text_area.id)

    def _suggest_soon(self) -> None:
        # Asked once typing pauses, in a worker, the newest question replacing the last.
        if self._suggest_timer is not None:
            self._suggest_timer.stop()
        self._suggest_timer = self.set_timer(SUGGEST_AFTER, self._suggest)

    _suggest_timer: Timer | None = None

    def _suggest(self) -> None:
        subject, description = self._value("#subject"), self._value("#description")
        if not (subject or description).strip():
            return
        service = app_context(self).service
        call_store(
            self,
            lambda: service.suggest_draft(subject, description),
            self._show_suggestion,
            lambda _exc: None,
            group="draft-triage",
            exclusive=True,
            what=triage_work(service),
            background=True,
        )

    def _show_suggestion(self, found: Suggestion) -> None:
        if not found.offered:
            # Nothing in the text spoke for any field: no defaults dressed as a suggestion.
            self.suggestion = None
            self._hint(_("No suggestion"))
            return
        self.suggestion = found
        line = _("Suggested: {label} ({confidence:.0%}) · ctrl+t applies").format(
            label=found.label, confidence=found.confidence
        )
        # The reason quotes what was typed: plain text, on a line of its own.
        self._hint(f"{line}\n{safe_line(found.reason)}")

    def _hint(self, text: str) -> None:
        hint = self.query_one("#draft-suggestion", Static)
        hint.update(Text(text))
        hint.display = True

    def action_apply_suggestion(self) -> None:
        found = self.suggestion
        if found is None:
            self.notify(_("No suggestion yet: type the subject or the description."))
            return
        self.applied = found
        offered = found.fields()
        if "type" in offered:
            self.query_one("#type", Select).value = found.type.value
        if "priority" in offered:
            self.query_one("#priority", Select).value = found.priority.value
        if "tier" in offered:
            self.query_one("#tier", Select).value = str(found.tier)
            picker = self.query_one("#assignee", Select)
            held_by = picker.value if isinstance(picker.value, str) else ""
            holder = self._agents.get(held_by)
            if holder is not None and not holder.may_hold(found.tier):
                # An agent below the ticket's tier may not hold it: the ticket waits
                # unassigned for its tier to take it, as an escalation would.
                picker.clear()
                self.notify(
                    _("Tier {tier}: {name} may not hold it, so nobody is assigned").format(
                        tier=found.tier, name=held_by
                    )
                )

    def action_cancel(self) -> None:
        """Close without a ticket; asked first once anything is typed (a caller's details
        taken down during the call are not typed twice)."""
        typed = any(field_value(field).strip() for field in self.query("Input, TextArea"))
        question = _("Drop this new ticket? What you typed is lost.")
        close_after_asking(self, question if typed else None, lambda: self.dismiss(None))

    def _value(self, selector: str) -> str:
        return field_value(self.query_one(selector))

    @after_typing
    def action_create(self) -> None:
        app = app_context(self)
        environment = self._value("#environment")
        affected = self._value("#affected")
        if affected and not affected.isdigit():
            self._say(_("Affected users: a whole number, or empty"), "#affected")
            return
        draft = TicketDraft(
            subject=self._value("#subject"),
            description=self._value("#description"),
            type=TicketType(self._value("#type")),
            priority=Priority(self._value("#priority")),
            tier=int(self._value("#tier")),
            requester_name=self._value("#requester"),
            requester_email=self._value("#email"),
            organization=self._value("#org") or None,
            channel=Channel(self._value("#channel")),
            environment=Environment(environment) if environment else None,
            impact=self._value("#impact"),
            affected_users=int(affected) if affected else None,
            integration=self._value("#integration") or None,
            category=self._value("#category") or None,
            tags=tuple(t.strip() for t in self._value("#tags").split(",") if t.strip()),
            assignee=self._value("#assignee") or None,
        )
        if self.applied is not None and not self.applied.differs_from(draft):
            draft = replace(draft, tags=(*draft.tags, ACCEPTED_TAG))
        service = app.service
        call_store(
            self,
            lambda: service.create(draft),
            lambda t: self.dismiss(t.key),
            lambda exc: self._say(str(exc)),
            what=_("create"),
        )

    _error_field: str | None = None
    """The field the error shown is about (a selector), when it names one."""

    def _say(self, problem: str, field: str | None = None) -> None:
        """Show what is wrong where it is seen: the error line is docked at the bottom of
        the dialog (at 80x24 the end of the form is below the fold, and an error under
        the description was never seen), and the field it is about is focused, which
        scrolls it into view."""
        error = self.query_one("#form-error", Static)
        error.update(Text(safe_line(problem)))
        error.display = True
        if field is None:
            wanted = problem.lower()
            field = next((f for words, f in ERROR_FIELDS if wanted.startswith(words)), None)
        self._error_field = field
        if field is not None:
            self.query_one(field).focus()

    def _edited(self, widget_id: str | None) -> None:
        """A change to the field the error is about (to any field, when it names none)
        is its correction: the error goes, instead of staying under a fixed form."""
        error = self.query_one("#form-error", Static)
        if not error.display:
            return
        if self._error_field is None or self._error_field == f"#{widget_id}":
            error.update(Text(""))
            error.display = False
            self._error_field = None
