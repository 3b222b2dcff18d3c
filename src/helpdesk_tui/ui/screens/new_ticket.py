"""A new ticket: a form that validates before anything is written."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from ...domain.model import Channel, Environment, Priority, TicketType
from ...domain.text import safe_line
from ...service import TicketDraft
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ..context import app_context
from ..jobs import call_store
from ..widgets.inputs import LineInput, TextEditor, field_value


class NewTicketScreen(ModalScreen[str | None]):
    """Returns the new ticket's key, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "create", _("Create"), id="new.create", priority=True),
        Binding("escape", "dismiss(None)", _("Cancel"), id="new.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form"):
            # The keys go in the title: at 80x24 the bottom of the form is below the fold.
            yield Label(
                Text(_("New ticket · ctrl+s create · esc cancel · tab next field")),
                classes="dialog-title",
            )
            yield LineInput(placeholder=_("Subject (required)"), id="subject")
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
            yield LineInput(placeholder=_("Category"), id="category")
            yield TextEditor(id="description", soft_wrap=True)
            yield Static(Text(""), id="form-error", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one("#subject", Input).focus()

    def _value(self, selector: str) -> str:
        return field_value(self.query_one(selector))

    def action_create(self) -> None:
        app = app_context(self)
        environment = self._value("#environment")
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
            category=self._value("#category") or None,
        )
        service = app.service

        def failed(exc: Exception) -> None:
            self.query_one("#form-error", Static).update(Text(safe_line(str(exc))))

        call_store(
            self,
            lambda: service.create(draft),
            lambda t: self.dismiss(t.key),
            failed,
            what=_("create"),
        )
