"""Edit a ticket's fields after it was opened: who asked, for whom, and what it is about.

Status, priority, type, tier, assignee and watchers have keys of their own, with their
own rules (`s`, `p`, `y`, `e`, `a`, `w`); this form edits the rest. What is left as it
was is not written; what changed is one version-checked write, audited field by field.

A colleague's change meanwhile is a conflict, resolved as the composer's is: retry takes
their version into the form, keeps what this agent edited, and saves that on top;
discard shows their version with this agent's edits dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import getaddresses
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from ...domain.model import Environment, Ticket, contact_line
from ...domain.text import safe_line
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ...store.base import ConflictError
from ..jobs import call_store
from ..widgets.inputs import FORM_FOCUS, FormScroll, LineInput, after_typing, field_value
from .dialogs import ConflictScreen, close_after_asking

TEXT_FIELDS = {
    "subject": _("Subject"),
    "requester_name": _("Requester name"),
    "requester_email": _("Requester e-mail"),
    "organization": _("Organization"),
    "contacts": _("Contacts"),
    "team": _("Team"),
    "category": _("Category"),
    "impact": _("Impact"),
    "affected_users": _("Affected users"),
    "integration": _("Integration"),
    "language": _("Language"),
    "tags": _("Tags (comma-separated)"),
}
"""The fields the form edits as a line of text, in the order it shows them."""

PLACEHOLDERS = {
    "contacts": _("kept informed: Name <address>, …"),
}


class EditTicketScreen(ModalScreen[Ticket | None]):
    """Writes what changed with `save(version, changes)` (the service checks the values;
    a refusal is said in the form, which stays open) and returns the ticket written, or
    None."""

    AUTO_FOCUS = ""
    """The first field is focused in on_mount without scrolling: Textual's own focus
    would scroll the form past its title at 80x24."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="edit.save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="edit.cancel"),
        *FORM_FOCUS,
    ]

    def __init__(self, ticket: Ticket, save: Callable[[int, dict[str, Any]], Ticket]) -> None:
        super().__init__()
        self.ticket = ticket
        self._save = save

    def compose(self) -> ComposeResult:
        ticket = self.ticket
        with FormScroll(classes="dialog form edit-form"):
            yield Label(
                Text(
                    _("Edit {key} · ctrl+s save · esc cancel · tab next field").format(
                        key=safe_line(ticket.key)
                    )
                ),
                classes="dialog-title",
            )
            for name, label in TEXT_FIELDS.items():
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield LineInput(
                        value=_shown(ticket, name),
                        id=f"edit-{name}",
                        placeholder=PLACEHOLDERS.get(name, ""),
                    )
            with Horizontal(classes="form-row"):
                yield Label(_("Environment"), classes="form-label")
                yield Select(
                    [(tr(e.label), e.value) for e in Environment],
                    value=ticket.environment.value if ticket.environment else Select.NULL,
                    id="edit-environment",
                    prompt=_("not said"),
                )
            yield Static(Text(""), id="form-error", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one("#edit-subject", LineInput).focus(scroll_visible=False)

    def action_cancel(self) -> None:
        """Close without saving; asked first when a field was changed."""
        edited = sorted(self.edited())
        question = _("Drop your changes to {key} ({fields})?").format(
            key=self.ticket.key, fields=", ".join(edited)
        )
        close_after_asking(self, question if edited else None, lambda: self.dismiss(None))

    @after_typing
    def action_save(self) -> None:
        try:
            changed = self.changes()
        except ValueError as exc:
            self._say(str(exc))
            return
        if not changed:
            self.notify(_("Nothing changed."), timeout=3)
            self.dismiss(None)
            return
        save, version = self._save, self.ticket.version

        def failed(exc: Exception) -> None:
            if isinstance(exc, ConflictError):
                self._conflict(exc, changed)
            else:
                self._say(str(exc))

        call_store(self, lambda: save(version, changed), self.dismiss, failed, what=_("save"))

    def _conflict(self, error: ConflictError, changed: dict[str, Any]) -> None:
        """Someone changed the ticket since the form was filled: say what, and on retry
        save this agent's edits on their version. Saying it in the form was a dead end:
        every ctrl+s was based on the old version again, and failed the same way."""
        theirs = set(error.changed_fields)
        mine = ", ".join(
            (_("{field} (replaces theirs)") if name in theirs else "{field}").format(field=name)
            for name in changed
        )

        def resolved(choice: str | None) -> None:
            if not self.is_mounted:
                return
            if choice == "retry":
                self.rebase(error.current, keep_mine=True)
                self.action_save()
            else:
                self.rebase(error.current, keep_mine=False)
                self._say(
                    _(
                        "Your edits were dropped: the form shows {key} as it is now (v{version})."
                    ).format(key=error.current.key, version=error.current.version)
                )

        self._say("")
        self.app.push_screen(
            ConflictScreen(error, _("edit {fields}").format(fields=mine)), resolved
        )

    def rebase(self, current: Ticket, *, keep_mine: bool) -> None:
        """Base the form on `current`, the ticket as it is now: the fields this agent
        edited keep their text (`keep_mine`), every other field shows the current value,
        so that the next save writes only the edits, on the current version."""
        edited = self.edited() if keep_mine else set()
        for name in TEXT_FIELDS:
            if name not in edited:
                self.query_one(f"#edit-{name}", LineInput).value = _shown(current, name)
        if "environment" not in edited:
            select: Select[str] = self.query_one("#edit-environment", Select)
            if current.environment is None:
                select.clear()
            else:
                select.value = current.environment.value
        self.ticket = current

    def edited(self) -> set[str]:
        """The fields whose text or choice differs from the ticket the form is based on."""
        ticket = self.ticket
        found = {
            name
            for name in TEXT_FIELDS
            if field_value(self.query_one(f"#edit-{name}")).strip() != _shown(ticket, name).strip()
        }
        environment = field_value(self.query_one("#edit-environment"))
        if environment != (ticket.environment.value if ticket.environment else ""):
            found.add("environment")
        return found

    def _say(self, problem: str) -> None:
        self.query_one("#form-error", Static).update(Text(safe_line(problem)))

    def changes(self) -> dict[str, Any]:
        """The fields whose text differs from the ticket's; ValueError for one that is
        no value at all (affected users that are no whole number)."""
        ticket = self.ticket
        found: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            text = field_value(self.query_one(f"#edit-{name}"))
            if text.strip() != _shown(ticket, name).strip():
                found[name] = _parsed(name, text)
        environment = field_value(self.query_one("#edit-environment"))
        wanted = Environment(environment) if environment else None
        if wanted != ticket.environment:
            found["environment"] = wanted
        return found


def _shown(ticket: Ticket, name: str) -> str:
    value = getattr(ticket, name)
    if value is None:
        return ""
    if name in ("tags", "contacts"):
        return ", ".join(value)
    return str(value)


def _parsed(name: str, text: str) -> object:
    words = " ".join(text.split())
    if name == "tags":
        return tuple(tag.strip() for tag in text.split(",") if tag.strip())
    if name == "contacts":
        # A name may hold a comma ("Svensson, Bo" <bo@example.com>): read as addresses.
        found = getaddresses([text])
        return tuple(contact_line(n, a) if a else n for n, a in found if (n or a).strip())
    if name == "affected_users":
        if not words:
            return None
        if not words.isdigit():
            raise ValueError(_("Affected users: a whole number, or empty"))
        return int(words)
    if name in ("subject", "requester_name", "requester_email"):
        return words
    return words or None
