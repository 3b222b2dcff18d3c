"""What the app itself writes to the terminal for an agent over SSH, read as raw bytes
from a pseudo-terminal: OSC 52 (copy to the local clipboard), OSC 8 (links to the
backend's page) and OSC 9 / OSC 777 (a desktop notification while unfocused). Each is
the app's own, composed from what it chose, and each `[terminal]` switch turns it off.

What a ticket holds never becomes one of these: test_hostile_text.py.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.style import Style
from rich.text import Text

from helpdesk_tui.domain.model import Priority
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service.drafts import TicketDraft
from helpdesk_tui.settings.config import Settings, TerminalSettings
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.terminal import linked, notification
from tests.ui.conftest import ME
from tests.ui.pty_support import APP_LINK, LISTED, Terminal, start_app

TICKET_URL = "https://hd.example.com/t/{key}"
COPIED = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")
NOTIFIED = re.compile(rb"\x1b\](?:9|777);[^\x07\x1b]*\x07")
Start = Callable[..., Terminal]
FOCUS_OUT = "\x1b[O"
"""What a terminal sends when it loses the focus (the app asked with CSI ?1004h)."""


@pytest.fixture
def run(tmp_path: Path, data_dir: Path) -> Iterator[Start]:
    started: list[Terminal] = []

    def start(config: str = "", **env: str) -> Terminal:
        path = tmp_path / f"config-{len(started)}.toml"
        path.write_text(config)
        started.append(start_app(data_dir, ME, tmp_path, HELPDESK_TUI_CONFIG=str(path), **env))
        started[-1].wait_for(LISTED, 0, timeout=20)
        started[-1].quiet()
        return started[-1]

    yield start
    for term in started:
        term.close()


def _copied(term: Terminal, since: int) -> list[str]:
    return [base64.b64decode(m).decode() for m in COPIED.findall(term.output[since:])]


def test_y_copies_the_key_then_the_ticket_page_with_osc_52(run: Start) -> None:
    term = run(f'[terminal]\nticket_url = "{TICKET_URL}"\n')
    since = len(term.output)
    term.press("Y", expect="Copy to the clipboard")
    term.press("enter", expect="Copied")
    [key] = _copied(term, since)
    assert re.fullmatch(r"HD-[0-9]+", key), key
    assert key.encode() in term.output[:since], "the key copied is one the queue shows"

    term.press("enter", expect="Conversation")
    since = len(term.output)
    term.press("Y", expect="Copy to the clipboard")
    term.press("down")
    term.press("enter", expect="Copied")
    assert _copied(term, since) == [TICKET_URL.replace("{key}", key)]


def test_with_the_clipboard_off_nothing_is_sent_to_it(run: Start) -> None:
    term = run("[terminal]\nclipboard = false\n")
    term.press("Y", expect="clipboard is off")
    term.press("enter", expect="Conversation")
    term.press("Y", expect="clipboard is off")
    assert b"\x1b]52;" not in term.output


def _note_with_links(data_dir: Path) -> str:
    """A ticket of mine whose newest note has a URL and another ticket's key."""
    service = bootstrap.build_service(Settings(data_dir=data_dir, agent=ME))
    try:
        key = service.query(Query(assignees=frozenset({ME}), limit=1)).tickets[0].key
        ticket = service.latest(key)
        body = "Same as HD-3, fixed by https://kb.example.com/article/42. (Thanks!)"
        service.note(key, ticket.version, body)
        return key
    finally:
        service.close()


@pytest.mark.parametrize("hyperlinks", [True, False])
def test_urls_and_ticket_keys_in_text_are_osc_8_links(
    run: Start,
    data_dir: Path,
    hyperlinks: bool,
) -> None:
    key = _note_with_links(data_dir)
    config = f'[terminal]\nticket_url = "{TICKET_URL}"\nhyperlinks = {str(hyperlinks).lower()}\n'
    term = run(config)
    since = len(term.output)
    term.press(":", expect="Go to ticket")
    for char in key:
        term.press(char)
    term.press("enter", expect="kb.example.com")
    term.quiet()
    targets = set(APP_LINK.findall(term.output[since:])) - {b""}
    if hyperlinks:
        assert targets == {b"https://kb.example.com/article/42", b"https://hd.example.com/t/HD-3"}
    else:
        assert targets == set()
        assert b"\x1b]8;" not in term.output


def _new_p1(data_dir: Path, subject: str) -> None:
    """A P1 opened by another process, as mail intake or a colleague would."""
    service = bootstrap.build_service(Settings(data_dir=data_dir, agent=ME))
    try:
        service.create(TicketDraft(subject, priority=Priority.CRITICAL, requester_name="Ops"))
    finally:
        service.close()


@pytest.mark.parametrize(
    ("config", "blurred", "expected"),
    [
        ("", True, b"\x1b]9;helpdesk-tui: "),
        ('notify_with = "osc777"', True, b"\x1b]777;notify;helpdesk-tui;"),
        ("", False, None),
        ("notifications = false", True, None),
    ],
    ids=["osc9-unfocused", "osc777-unfocused", "focused", "turned-off"],
)
def test_on_call_alerts_notify_the_desktop_only_while_unfocused(
    run: Start,
    data_dir: Path,
    config: str,
    blurred: bool,
    expected: bytes | None,
) -> None:
    term = run(f"[terminal]\n{config}\n")
    if blurred:
        term.press(FOCUS_OUT)
    since = len(term.output)
    _new_p1(data_dir, "Checkout down; payments failing")
    # The on-call check (every 10 s) finds it.
    term.wait_for("On call", since, timeout=25)
    term.quiet()
    sent = NOTIFIED.findall(term.output)
    if expected is None:
        assert sent == []
        return
    assert len(sent) == 1 and sent[0].startswith(expected), sent
    text = sent[0][len(expected) : -1].decode()
    assert "New P1" in text and "Checkout down, payments failing" in text, text
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", text)


def test_a_notification_carries_no_control_and_no_field_separator() -> None:
    hostile = "HD-1 \x1b]52;c;ZXZpbA==\x07 a;b \x9b31m end"
    for style in ("osc9", "osc777"):
        sequence = notification("title;x", hostile, style)
        assert sequence.count("\x1b") == 1 and sequence.count("\x07") == 1, repr(sequence)
        assert "\x9b" not in sequence and "ZXZpbA" not in sequence
    assert notification("t", hostile, "osc777").count(";") == 3  # 777;notify;title;body
    assert notification("t", "9;1 x", "osc9").startswith("\x1b]9;t: ")


def _links(text: str, settings: Settings) -> list[tuple[str, str]]:
    shown = linked(Text(text), settings)
    return [
        (text[span.start : span.end], Style.parse(str(span.style)).link or "")
        for span in shown.spans
    ]


def test_links_stop_at_the_sentence_and_keys_link_only_with_a_page(tmp_path: Path) -> None:
    sql = Settings(data_dir=tmp_path)
    text = "See https://kb.example.com/a_(b). Also <http://x.example/y>, HD-7 and XX-9."
    assert _links(text, sql) == [
        ("https://kb.example.com/a_(b)", "https://kb.example.com/a_(b)"),
        ("http://x.example/y", "http://x.example/y"),
    ]
    paged = replace(sql, terminal=TerminalSettings(ticket_url="https://hd.example.com/t/{key}"))
    assert ("HD-7", "https://hd.example.com/t/HD-7") in _links(text, paged)
    assert not any(shown == "XX-9" for shown, _ in _links(text, paged))  # not this store's
    rt = replace(sql, backend_kind="rt", backend_url="https://rt.example.com/", key_prefix="RT")
    assert _links("fixed in RT-42", rt) == [
        ("RT-42", "https://rt.example.com/Ticket/Display.html?id=42")
    ]
    off = replace(paged, terminal=TerminalSettings(hyperlinks=False))
    assert _links(text, off) == []
