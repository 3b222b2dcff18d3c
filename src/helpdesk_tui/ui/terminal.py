"""What the app writes to the terminal besides the screen: desktop notifications
(OSC 9 / OSC 777) and links (OSC 8) in untrusted text. The clipboard (OSC 52) is
Textual's own `copy_to_clipboard`, switched in `HelpdeskApp.copy_to_clipboard`.

Each sequence is composed here from text the app chose, never passed through from a
ticket: what a customer wrote is made inert by domain/text.py first, and a link's
target is only ever a URL matched in that inert text or the page `[terminal]` and the
backend name for a ticket key. Each can be turned off in `[terminal]`: a terminal that
does not know a sequence may print it as text.
"""

from __future__ import annotations

import re
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App

from ..domain.model import keys_of
from ..domain.text import safe_line
from ..settings.config import Settings

NOTIFY_MAX_CHARS = 200
"""A notification is a glance: the rest of an alert is on the status line."""

_URL = re.compile(r"\b(?:https?://|mailto:)[^\s<>\"'`\[\]{}|\\^\ufffd]+", re.IGNORECASE)
"""A URL as mail and chat write them: brackets and quotes end it (RFC 3986 quotes those
inside a URL), and so does the placeholder of a removed escape sequence."""
_URL_TAIL = ".,;:!?)]}*_"
"""Punctuation that ends a sentence rather than the URL it follows."""
_NOT_IN_OSC = re.compile(r"[^\x20-\x7e\u00a0-\U0010ffff]|;")
"""What a notification's text may not hold: controls would end or extend the sequence,
and OSC 777 splits its title and body at ';'."""


def notification(title: str, body: str, style: str) -> str:
    """The escape sequence that asks the terminal for a desktop notification."""
    title = _NOT_IN_OSC.sub(",", safe_line(title))[:NOTIFY_MAX_CHARS]
    body = _NOT_IN_OSC.sub(",", safe_line(body))[:NOTIFY_MAX_CHARS]
    if style == "osc777":
        return f"\x1b]777;notify;{title};{body}\x07"
    # ConEmu reads "9;<digit>" as commands of its own: the text never starts with one.
    return f"\x1b]9;{title}: {body}\x07"


def notify_desktop(app: App[Any], settings: Settings, title: str, body: str) -> bool:
    """Ask the terminal for a desktop notification when the agent is looking elsewhere
    (Textual follows the terminal's focus reports); whether one was asked for."""
    if not settings.terminal.notifications or app.app_focus:
        return False
    driver = app._driver  # Textual has no public call for a sequence of the app's own
    if driver is None:
        return False
    driver.write(notification(title, body, settings.terminal.notify_with))
    driver.flush()
    return True


def _without_tail(url: str) -> str:
    """`url` without the punctuation of the sentence around it; a closing parenthesis
    stays when the URL opened one ("https://en.wikipedia.org/wiki/Tar_(computing)")."""
    while url and url[-1] in _URL_TAIL:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def linked(text: Text, settings: Settings) -> Text:
    """`text` (already made safe) with its URLs and this store's ticket keys as OSC 8
    links: the terminal opens them with a click, on the agent's own machine."""
    if not settings.terminal.hyperlinks:
        return text
    plain = text.plain
    for match in _URL.finditer(plain):
        url = _without_tail(match.group())
        text.stylize(Style(link=url), match.start(), match.start() + len(url))
    keys = re.compile(rf"\b{keys_of(settings.key_prefix)}\b")
    for match in keys.finditer(plain):
        page = settings.ticket_page(match.group())
        if page is not None:
            text.stylize(Style(link=page), match.start(), match.end())
    return text
