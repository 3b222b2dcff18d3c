"""Small modal dialogs: pick one, confirm, type a line, resolve a conflict."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.model import Agent, Role
from ...domain.text import safe_line, safe_text
from ...settings.i18n import _
from ...store.base import COUNT_CAP, ConflictError, Query, SortKey
from ..context import app_context
from ..jobs import call_store
from ..labels import counted
from ..widgets.inputs import LineInput


def on_answer(then: Callable[[Any], Any]) -> Callable[[Any], None]:
    """A dismiss callback that runs `then` only when the dialog was answered: None (escape)
    and False (a "no") mean nothing happens. "" is an answer (unassign, no comment)."""

    def callback(value: Any) -> None:
        if value is not None and value is not False:
            then(value)

    return callback


def agent_options(
    agents: Iterable[Agent], *, unassign: bool = False, min_tier: int = 1
) -> list[tuple[str, str]]:
    """Active agents as picker options; leads and admins qualify whatever `min_tier` is."""
    options = [(_("nobody (unassign)"), "")] if unassign else []
    options += [
        (f"{a.username}  T{a.tier} {a.role.value}  {safe_line(a.name)}", a.username)
        for a in agents
        if a.active and (a.tier >= min_tier or a.role is not Role.AGENT)
    ]
    return options


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of `options` (label, value); escape picks nothing."""

    BINDINGS = [Binding("escape", "dismiss(None)", _("Cancel"), id="dialog.cancel")]

    def __init__(
        self, title: str, options: list[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[
                    Option(Text(safe_line(label)), id=str(i))
                    for i, (label, _v) in enumerate(self.options)
                ]
            )
            yield Static(Text(_("↑↓/jk move · enter choose · esc cancel")), classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for index, (_label, value) in enumerate(self.options):
            if value == self.current:
                options.highlighted = index
        options.focus()

    def on_key(self, event: object) -> None:
        # vim keys in every list, as in the queue.
        key = getattr(event, "key", "")
        options = self.query_one(OptionList)
        if key == "j":
            options.action_cursor_down()
        elif key == "k":
            options.action_cursor_up()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[int(event.option.id or 0)][1])

    def set_labels(self, labels: list[str]) -> None:
        """Show new labels for the options, in order (a count read after opening)."""
        if not self.is_mounted:
            return  # already chosen or cancelled
        options = self.query_one(OptionList)
        for index, label in enumerate(labels):
            options.replace_option_prompt_at_index(index, Text(safe_line(label)))


class ViewPicker(ChoiceScreen):
    """The saved views, each with how many tickets it holds: counted by the store once
    the list is up (a count per view, on the views' own indexes, stopping at COUNT_CAP)."""

    def __init__(self, options: list[tuple[str, str]], current: str, queries: list[Query]) -> None:
        super().__init__(_("Views"), options, current)
        self._queries = queries

    def on_mount(self) -> None:
        super().on_mount()
        service, queries = app_context(self).service, self._queries

        def counts() -> list[str]:
            # Counted as the list counts its rows: up to COUNT_CAP, then "10,000+".
            pages = [
                service.query(replace(query, sort=SortKey.KEY, count_cap=COUNT_CAP, limit=0))
                for query in queries
            ]
            return [counted(page.total, page.capped) for page in pages]

        def show(found: list[str]) -> None:
            labels = [label for label, _value in self.options]
            self.set_labels(
                [f"{label}  ({count})" for label, count in zip(labels, found, strict=True)]
            )

        call_store(self, counts, show, failed=lambda exc: None, group="view-counts")


class ConfirmScreen(ModalScreen[bool]):
    """Ask before something that cannot be undone. `y` confirms, `n`/escape declines."""

    BINDINGS = [
        Binding("y", "dismiss(True)", _("Yes"), id="confirm.yes"),
        Binding("n,escape", "dismiss(False)", _("No"), id="confirm.no"),
    ]

    def __init__(self, question: str, *, destructive: bool = False) -> None:
        super().__init__()
        self.question = question
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(safe_line(self.question)), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    _("Yes (y)"), id="yes", variant="error" if self.destructive else "primary"
                )
                yield Button(_("No (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def close_after_asking(screen: Screen[Any], question: str | None, close: Callable[[], Any]) -> None:
    """`close` a form at once when it holds nothing of the agent's (`question` is None),
    else once they say yes to `question`: one key (escape, ctrl+d) was all it took to
    lose a reply or a caller's details typed over minutes."""
    if question is None:
        close()
    else:
        screen.app.push_screen(
            ConfirmScreen(question, destructive=True), on_answer(lambda _yes: close())
        )


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line (a reason, a key, a path). Enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", _("Cancel"), id="dialog.cancel")]

    def __init__(
        self, title: str, *, placeholder: str = "", value: str = "", required: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield LineInput(value=self.value, placeholder=self.placeholder)
            yield Static(Text(""), id="prompt-error", classes="dialog-error")
            yield Static(Text(_("enter accept · esc cancel")), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.query_one("#prompt-error", Static).update(Text(_("This cannot be empty.")))
            return
        self.dismiss(text)


class ConflictScreen(ModalScreen[str]):
    """Somebody else changed the ticket first. Show what they changed; retry or discard."""

    BINDINGS = [
        Binding("r", "dismiss('retry')", _("Retry on theirs"), id="conflict.retry"),
        Binding("d,escape", "dismiss('discard')", _("Discard mine"), id="conflict.discard"),
    ]

    def __init__(self, error: ConflictError, mine: str) -> None:
        super().__init__()
        self.error = error
        self.mine = mine

    def compose(self) -> ComposeResult:
        current = self.error.current
        changed = ", ".join(self.error.changed_fields) or _("the ticket")
        lines = Text()
        lines.append(
            _("{key} changed while you were working on it.").format(key=current.key) + "\n",
            style="bold",
        )
        lines.append(_("They changed: {fields}").format(fields=changed) + "\n")
        for field in self.error.changed_fields[:8]:
            value = getattr(current, field, None)
            shown = getattr(value, "value", value)
            lines.append(f"  {field}: {safe_line(str(shown))}\n")
        lines.append("\n" + _("Your change: {change}").format(change=safe_text(self.mine)) + "\n")
        lines.append("\n" + _("Retry applies your change on top of theirs; discard drops it."))
        with Vertical(classes="dialog"):
            yield Label(Text(_("Conflict")), classes="dialog-title")
            yield Static(lines)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Retry (r)"), id="retry", variant="primary")
                yield Button(_("Discard (d)"), id="discard")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "discard")
