"""Write a reply or an internal note. The text is saved as a draft while typed.

A reply can move the ticket on (pending, resolved) and carry files in the same write;
ctrl+e opens the agent's own editor on the draft ($VISUAL or $EDITOR)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from ...domain.macros import Macro, MacroChanges
from ...domain.mentions import current_word, mentioned
from ...domain.model import Status
from ...domain.text import safe_line
from ...domain.worktime import parse_minutes
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ..drafts import Drafts
from ..editor import NoEditor, edit, editor_command
from ..widgets.inputs import (
    FORM_FOCUS,
    LineInput,
    TextEditor,
    after_typing,
    close_open_list,
    field_value,
)
from .dialogs import close_after_asking
from .macro_picker import MacroPicker

NEXT_STATUSES = (Status.PENDING, Status.RESOLVED, Status.ON_HOLD)
"""Where a reply may move its ticket in the same write: waiting on the customer, fixed,
or parked. The rest is a status change of its own (s)."""


@dataclass(frozen=True, slots=True)
class Composed:
    """What the composer sends: the text, and for a reply the status to move to; files
    go with either."""

    text: str
    status: Status | None = None
    files: tuple[Path, ...] = ()
    changes: MacroChanges | None = None
    """A canned reply's field changes, made in the same write."""
    minutes: int | None = None
    """Time spent on it."""


@dataclass(frozen=True, slots=True)
class Canned:
    """The canned replies the composer offers, and how to fill one in for this ticket."""

    macros: Mapping[str, Macro]
    problems: Mapping[str, str]
    render: Callable[[Macro], str]


class ComposeScreen(ModalScreen[Composed | None]):
    """Returns what to send (ctrl+s), or None (escape: the draft is kept)."""

    BINDINGS = [
        Binding("ctrl+s", "send", _("Send"), id="compose.send", priority=True),
        # Priority: the text area would otherwise take escape to let go of focus.
        Binding("escape", "keep", _("Close, keep draft"), id="compose.close", priority=True),
        Binding("ctrl+d", "discard", _("Discard draft"), id="compose.discard", priority=True),
        Binding("ctrl+e", "editor", _("Edit in $EDITOR"), id="compose.editor", priority=True),
        Binding("ctrl+o", "complete", _("Complete @name"), id="compose.complete", priority=True),
        Binding("ctrl+t", "canned", _("Canned reply"), id="compose.canned", priority=True),
        *FORM_FOCUS,
    ]

    def __init__(
        self,
        key: str,
        kind: str,
        drafts: Drafts,
        agents: Sequence[str] = (),
        canned: Canned | None = None,
    ) -> None:
        super().__init__()
        self.key = key
        self.kind = kind
        self.drafts = drafts
        self.canned = canned
        self.changes: MacroChanges | None = None
        self.agents = sorted(agents)
        """Who a note may mention (@name), for completion and the check before sending."""

    def compose(self) -> ComposeResult:
        public = self.kind == "reply"
        title = (
            _("Reply to the customer on {key}").format(key=self.key)
            if public
            else _("Internal note on {key} (never sent to the customer)").format(key=self.key)
        )
        with Vertical(classes=f"dialog composer composer-{self.kind}"):
            yield Label(Text(title), classes="dialog-title")
            yield TextEditor(
                self.drafts.load(self.key, self.kind) or "",
                id="body",
                soft_wrap=True,
                show_line_numbers=False,
                tab_behavior="focus",  # tab reaches the status and the files
            )
            with Horizontal(classes="composer-options"):
                if public:
                    yield Select(
                        [(tr(s.label), s.value) for s in NEXT_STATUSES],
                        prompt=_("status: as it is"),
                        id="compose-status",
                    )
                yield LineInput(placeholder=_("attach: file paths"), id="compose-files")
                yield LineInput(placeholder=_("time: 15m"), id="compose-time")
            yield Static(Text(""), id="compose-error", classes="dialog-error")
            yield Static(Text(""), id="compose-mentions", classes="dialog-hint")
            yield Static(
                Text(_("^s send · ^t canned reply · ^e $EDITOR · esc keep draft · ^d discard")),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#compose-mentions").display = False
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        if area.text:
            self.notify(_("Your unsent draft is back."), timeout=4)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Every keystroke is on disk at once: the SSH link may drop at any moment.
        self.drafts.save(self.key, self.kind, event.text_area.text)
        self._hint_mentions()

    def _typed_mention(self) -> str | None:
        area = self.query_one(TextArea)
        row, column = area.cursor_location
        line = area.document.get_line(row)
        return current_word(line, column)

    def _matches(self, prefix: str) -> list[str]:
        wanted = prefix.lower()
        return [name for name in self.agents if name.lower().startswith(wanted)]

    def _hint_mentions(self) -> None:
        hint = self.query_one("#compose-mentions", Static)
        prefix = self._typed_mention() if self.agents else None
        hint.display = prefix is not None
        if prefix is None:
            return
        found = self._matches(prefix)[:6]
        if found:
            names = "  ".join(f"@{name}" for name in found)
            hint.update(Text(_("{names} · ctrl+o completes").format(names=names)))
        else:
            hint.update(Text(_("no agent starts with @{prefix}").format(prefix=prefix)))

    @after_typing
    def action_complete(self) -> None:
        """Complete the @name being typed with the first agent it matches."""
        prefix = self._typed_mention()
        found = [] if prefix is None else self._matches(prefix)
        if not found:
            return
        area = self.query_one(TextArea)
        area.insert(found[0][len(prefix or "") :] + " ")

    def _say(self, problem: str) -> None:
        self.query_one("#compose-error", Static).update(Text(safe_line(problem)))

    @after_typing
    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify(_("Nothing to send."), severity="warning")
            return
        unknown = [n for n in mentioned(text) if self.agents and n not in self.agents]
        if self.kind == "note" and unknown:
            self._say(
                _("not an agent: {names} (ctrl+o completes a name)").format(
                    names=", ".join(f"@{n}" for n in unknown)
                )
            )
            return
        try:
            files = attached(field_value(self.query_one("#compose-files")))
            spent = field_value(self.query_one("#compose-time")).strip()
            minutes = parse_minutes(spent) if spent else None
        except ValueError as exc:
            self._say(str(exc))
            return
        status = None
        if self.kind == "reply":
            chosen = self.query_one("#compose-status", Select).value
            status = Status(chosen) if isinstance(chosen, str) else None
        self.dismiss(Composed(text, status, files, self.changes, minutes))

    @after_typing
    def action_canned(self) -> None:
        """Pick a canned reply: its text goes in at the cursor, its changes on send."""
        canned = self.canned
        if canned is None or not (canned.macros or canned.problems):
            self.notify(_("No canned replies here (see docs/macros.md)."), severity="warning")
            return

        def chosen(name: str | None) -> None:
            if name is None:
                return
            macro = canned.macros[name]
            try:
                body = canned.render(macro)
            except (ValueError, PermissionError) as exc:
                self._say(str(exc))
                return
            area = self.query_one(TextArea)
            area.insert(body)
            area.focus()
            if not macro.changes.is_empty:
                self.changes = macro.changes
                self._say(
                    _("on send, as {name} says: {changes}").format(
                        name=name, changes=macro.changes.summary()
                    )
                )

        self.app.push_screen(MacroPicker(canned.macros, canned.problems), chosen)

    @after_typing
    def action_keep(self) -> None:
        if not close_open_list(self):  # the first escape closes an open status list
            self.dismiss(None)

    @after_typing
    def action_discard(self) -> None:
        """Throw the draft away; one with words in it is asked about first (ctrl+d is
        delete-forward in a readline or emacs hand, and a reply is minutes of work)."""
        words = len(self.query_one(TextArea).text.split())
        question = ngettext(
            "Discard this draft of {count} word? It cannot be had back.",
            "Discard this draft of {count} words? It cannot be had back.",
            words,
        ).format(count=words)
        close_after_asking(self, question if words else None, self._discard)

    def _discard(self) -> None:
        self.drafts.discard(self.key, self.kind)
        self.dismiss(None)

    @after_typing
    def action_editor(self) -> None:
        """The draft in the agent's own editor, in this terminal; back with its text."""
        area = self.query_one(TextArea)
        path = self.drafts.for_editor(self.key, self.kind, area.text)
        failed: NoEditor | None = None
        try:
            command = editor_command()  # before the terminal is handed over
            with self.app.suspend():
                try:
                    edit(path, command)
                except NoEditor as exc:  # out of the suspended terminal before it is said
                    failed = exc
        except NoEditor as exc:
            failed = exc
        except SuspendNotSupported:
            self.notify(
                _("This session cannot hand the terminal to an editor (a browser?)."),
                severity="warning",
            )
            return
        if failed is not None:
            self.notify(str(failed), severity="warning", timeout=8)
            return
        text = self.drafts.load(self.key, self.kind) or ""
        area.load_text(text.rstrip("\n"))
        area.move_cursor(area.document.end)
        area.focus()


def attached(text: str) -> tuple[Path, ...]:
    """The files named in the attach field (shell quoting for names with spaces, ~ for
    home); ValueError naming the first that is not a readable file."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise ValueError(_("attach: unbalanced quotes in the file names")) from None
    files = tuple(Path(word).expanduser() for word in words)
    for path in files:
        if not path.is_file():
            raise ValueError(_("attach: no such file: {path}").format(path=str(path)))
    return files
