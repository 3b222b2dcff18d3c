"""`Y`: copy a ticket's key, its page, its subject or the selected text to the clipboard
of the terminal the agent sits at (OSC 52, through every SSH hop and tmux)."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from ...domain.model import Ticket
from ...domain.text import safe_line
from ...settings.i18n import _
from ..context import app_context
from .dialogs import ChoiceScreen, on_answer

SHOWN_CHARS = 40
"""How much of a long choice (a subject, a selection) the menu and the notice show."""


def copy_choices(screen: Screen[Any], ticket: Ticket) -> list[tuple[str, str]]:
    """The menu's (label, text to copy): what is selected first, as it is what the agent
    just pointed at, then the ticket's key, page and subject."""
    choices: list[tuple[str, str]] = []
    selected = screen.get_selected_text()
    if selected:
        choices.append((_("Selected text: {text}").format(text=_short(selected)), selected))
    choices.append((_("Key: {key}").format(key=ticket.key), ticket.key))
    page = app_context(screen).settings.ticket_page(ticket.key)
    if page is not None:
        choices.append((_("Link: {url}").format(url=page), page))
    subject = f"{ticket.key} {safe_line(ticket.subject)}"
    choices.append((_("Key and subject: {text}").format(text=_short(subject)), subject))
    return choices


def offer_copy(screen: Screen[Any], ticket: Ticket | None) -> None:
    """Ask what to copy from `ticket`, then copy it; a line says what went where."""
    if ticket is None:
        screen.notify(_("No ticket to copy from."), severity="warning")
        return
    context = app_context(screen)
    if not context.settings.terminal.clipboard:
        screen.notify(_("The clipboard is off ([terminal] clipboard in the config)."))
        return
    choices = copy_choices(screen, ticket)

    def copy(text: str) -> None:
        screen.app.copy_to_clipboard(text)
        screen.notify(_("Copied {text}").format(text=_short(text)))

    screen.app.push_screen(ChoiceScreen(_("Copy to the clipboard"), choices), on_answer(copy))


def _short(text: str) -> str:
    line = safe_line(text).strip()
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"
