"""What customers, colleagues and remote backends wrote never drives the terminal.

Tickets whose every free-text field carries terminal escape sequences (window title,
clipboard write, screen clear, a DCS query, an 8-bit CSI), raw controls, a bidi
override and Rich/Textual markup are put in a copy of the demo store. Then:

- the real entry point runs under a pseudo-terminal and is driven through every
  screen; every byte it writes is read and checked: no payload sequence, no OSC but
  Textual's own pointer shape, no bell, markup shown as text, and the visible
  placeholder where the escapes were;
- with Pilot, each screen's rendered cells are checked the same way, down to the
  styles: no link and no click action came out of a subject.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from helpdesk_tui.domain import sla
from helpdesk_tui.domain.model import (
    Agent,
    Channel,
    Comment,
    CommentKind,
    Escalation,
    Priority,
    Role,
    Status,
    Ticket,
)
from helpdesk_tui.domain.text import PLACEHOLDER
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui import app as app_module
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.attachment import AttachmentScreen
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen
from helpdesk_tui.ui.screens.escalation import EscalationScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.sla_board import SlaBoardScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.conftest import FROZEN
from tests.ui.conftest import ME
from tests.ui.pty_support import APP_LINK, CSI, HEIGHT, OWN_OSC, WIDTH, Terminal, start_app
from tests.ui.support import expect_screen, press, settle

ESCAPES = (
    "\x1b]0;pwned\x07",  # OSC 0: retitle the window
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1bP+q544e\x1b\\",  # DCS XTGETTCAP: make the terminal answer on our input
    "\x9b31m",  # 8-bit CSI
    "\x07",  # bell
    "\x00",  # NUL
    "\u202e",  # right-to-left override (Trojan Source)
)
MARKUP = "[bold red]MARKUP[/]"
ACTIVE_MARKUP = "[link=http://x]click[/link] [@click=app.quit]q[/]"
"""Markup that would become a hyperlink and a clickable action if it were parsed."""


def hostile(label: str) -> str:
    return f"{MARKUP} {label} {''.join(ESCAPES)} {ACTIVE_MARKUP}"


def _forbidden_in_text(text: str) -> list[str]:
    """What must never be among the characters shown, whatever the screen (`text` is
    the screen's lines joined by newlines)."""
    controls = set(re.findall(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text))
    problems = [repr(c) for c in sorted(controls)]
    problems += [word for word in ("\u202e", "pwned", "ZXZpbA==") if word in text]
    return problems


# ------------------------------------------------------------------- the store


@dataclass
class HostileStore:
    data_dir: Path
    mine: str
    """Open, critical, mine, watched, waiting for a lead: at the top of most views."""
    unassigned: str
    closed: str


def _ticket(policy: sla.Policy, **fields: object) -> Ticket:
    created = FROZEN - timedelta(days=3)
    ticket = Ticket(
        key="",
        subject=hostile("subject"),
        description=f"{hostile('description')}\nsecond line {''.join(ESCAPES)} end",
        priority=Priority.CRITICAL,
        status=Status.OPEN,
        tier=3,
        requester_name=hostile("requester"),
        requester_email=f"eve{''.join(ESCAPES)}{MARKUP}@evil.example",
        organization=hostile("organization"),
        channel=Channel.EMAIL,
        impact=hostile("impact"),
        category=hostile("category"),
        tags=(hostile("tag"), "plain-tag"),
        created_at=created,
        updated_at=created,
    ).with_changes(**fields)
    due, risk = sla.sla_columns(ticket, policy)
    return ticket.with_changes(sla_due_at=due, sla_risk_at=risk)


@pytest.fixture
def hostile_store(data_dir: Path) -> HostileStore:
    """The demo store (a copy, as conftest makes) plus three hostile tickets and a
    hostile agent; written straight to the store, as a remote backend could hand them."""
    policy = bootstrap.load_policy("default")
    repo = SqlRepository.open(data_dir / "helpdesk.db", data_dir / "attachments")
    try:
        repo.save_agent(Agent("mallory", hostile("agent name"), "m@evil.example", 3, Role.AGENT))
        first = Comment(
            CommentKind.REPLY,
            hostile("customer author"),
            hostile("first message"),
            FROZEN - timedelta(days=3),
            from_customer=True,
        )
        mine = repo.create(
            _ticket(
                policy,
                assignee=ME,
                watchers=(ME,),
                escalation=Escalation.AWAITING_LEAD,
                escalation_reason=hostile("escalation reason"),
                escalated_by="mallory",
            ),
            "mallory",
            first,
        )
        unassigned = repo.create(_ticket(policy, tier=1, status=Status.NEW), "mallory")
        done = FROZEN - timedelta(minutes=1)
        closed = repo.create(
            _ticket(
                policy,
                assignee=ME,
                status=Status.CLOSED,
                resolved_at=done,
                closed_at=done,
                updated_at=done,
                csat_score=1,
                csat_comment=hostile("csat comment"),
            ),
            "mallory",
        )
    finally:
        repo.close()
    # Conversation and history through the service, as mail and agents would add them.
    settings = Settings(data_dir=data_dir, agent=ME)
    service = bootstrap.build_service(settings)
    try:
        service.customer_reply(mine.key, hostile("customer reply"), author=hostile("customer"))
        fresh = service.latest(mine.key)
        service.note(mine.key, fresh.version, hostile("internal note"))
        fresh = service.latest(mine.key)
        service.update(
            mine.key, fresh.version, category=hostile("new category"), reason=hostile("reason")
        )
        # A file whose name and text carry the same: its name may hold anything but NUL
        # and "/", which leaves escapes and markup.
        name = "evil\x1b]0;pwned\x07\x1b[2J[bold red]MARKUP.txt"
        attached = data_dir / name
        # Every escape but NUL in the text (a NUL makes it a binary file, described).
        text = f"{hostile('attachment')}\n{hostile('second line')}\n".replace("\x00", "")
        attached.write_text(text)
        fresh = service.latest(mine.key)
        service.attach(mine.key, fresh.version, attached, note=hostile("attach note"))
        stored = service.get(mine.key)
        # The store kept every byte: otherwise this test would prove nothing.
        assert stored.subject == hostile("subject")
        assert stored.requester_email.startswith("eve\x1b]0;pwned\x07")
        assert service.conversation(mine.key)[-2].body == hostile("internal note")
        assert service.conversation(mine.key)[-1].attachments[0].filename == name
        assert {a.username: a.name for a in service.agents()}["mallory"] == hostile("agent name")
    finally:
        service.close()
    return HostileStore(data_dir, mine.key, unassigned.key, closed.key)


# ------------------------------------------------------------ the real terminal


@pytest.fixture
def terminal(hostile_store: HostileStore, tmp_path: Path) -> Iterator[Terminal]:
    term = start_app(hostile_store.data_dir, ME, tmp_path)
    try:
        yield term
    finally:
        term.close()


def test_the_real_app_never_writes_what_a_ticket_holds(
    terminal: Terminal, hostile_store: HostileStore
) -> None:
    deadline = terminal.started + 60
    terminal.wait_for("My open", 0, timeout=20)
    terminal.wait_for(hostile_store.mine, 0, timeout=10)

    # Every saved view, by cycling through them; back to "My open" at the end.
    titles = [view.title for view in bootstrap.views(Settings(data_dir=hostile_store.data_dir))]
    for title in [*titles[1:], titles[0]]:
        terminal.press("]", expect=f"{title} · ")

    since = len(terminal.output)
    terminal.press("enter", expect="Conversation")
    terminal.wait_for(f"{hostile_store.mine}  ", since, timeout=5)  # the hostile one is open
    terminal.press("2", expect="When (UTC)")
    terminal.press("3", expect="Escalation reason")
    terminal.press("1")
    terminal.press("f", expect="esc close")  # the attached file, read on screen
    terminal.press("escape")
    terminal.press("r", expect="Reply to the customer")
    terminal.press("escape")
    terminal.press("a", expect="Assign to")  # lists the agents by name
    terminal.press("escape")
    terminal.press("escape", expect="My open")
    terminal.press("f3", expect="Waiting for")
    terminal.press("f4", expect="SLA board")
    terminal.press("f5", expect="Metrics ·")
    terminal.press("?", expect="Keys —")
    terminal.press("escape")
    terminal.press("escape", expect="My open")
    terminal.press("n", expect="New ticket")
    terminal.press("escape")
    terminal.press("ctrl+p", expect="Search for commands")
    terminal.press("escape")
    # The on-call check (every 10 s) puts my breached tickets on the status line.
    terminal.wait_for("On call", 0, timeout=max(1.0, deadline - 15 - time.monotonic()))
    terminal.quiet()
    terminal.press("ctrl+q")
    end = time.monotonic() + 10
    while terminal.process.poll() is None and time.monotonic() < end:
        terminal.read(0.1)
    terminal.read(0.2)
    assert time.monotonic() < deadline, "the run took longer than a minute"

    raw = bytes(terminal.output)
    status = terminal.process.poll()
    assert status == 0, f"exit status {status}; last output:\n{raw[-3000:]!r}"
    assert b"Traceback" not in raw and b"MarkupError" not in raw

    # What a ticket holds never reaches the terminal as a sequence.
    for sequence in (b"\x1b]0;", b"\x1b]52;", b"\x1bP", b"\x1b[2J", b"pwned", b"ZXZpbA=="):
        assert sequence not in raw, sequence
    # The one link in the text is the URL it shows, as a link to itself ([terminal]
    # hyperlinks): the markup around it made nothing of its own.
    assert set(APP_LINK.findall(raw)) == {b"http://x", b""}
    raw = APP_LINK.sub(b"", raw)
    own = OWN_OSC.sub(b"", raw)
    assert b"\x1b]" not in own, "an OSC other than the pointer shape and links (title, clipboard)"
    assert b"\x07" not in own, "the terminal bell rang ([ui] bell is off)"
    text = raw.decode("utf-8")  # strict: nothing but UTF-8 goes out
    for char in ("\x9b", "\x9d", "\u202e", "\x00"):
        assert char not in text, repr(char)
    # Outside Textual's own CSI and pointer-shape sequences, no control but CR and LF.
    between = CSI.sub(b"", own).decode("utf-8")
    assert not re.findall(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]", between)

    # Markup is shown as the text it is, and the escapes as a visible placeholder.
    assert MARKUP in text
    assert "[link=http://x]click[/link]" in text
    assert "[@click=app.quit]q[/]" in text
    assert PLACEHOLDER in text


# ------------------------------------------------------------------ with Pilot


def _screen_text(pilot: Pilot[None]) -> tuple[str, list[Strip]]:
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips), strips


def _check_screen(pilot: Pilot[None], where: str) -> None:
    """The screen shows a hostile field: as text, with placeholders, and with no click
    action among the styles of its cells; the only link is a URL the cell shows, to
    itself ([terminal] hyperlinks), never one the markup around it asked for."""
    text, strips = _screen_text(pilot)
    assert not _forbidden_in_text(text), (where, _forbidden_in_text(text))
    assert PLACEHOLDER in text, f"{where}: no placeholder where the escapes were"
    assert "[bold red]" in text, f"{where}: the markup is not shown as text"
    for strip in strips:
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            assert style.link in (None, "", segment.text), (where, segment)
            assert "app.quit" not in str(style.meta.get("@click", "")), (where, segment)


def _app(data_dir: Path, *, oncall: bool = False) -> HelpdeskApp:
    settings = Settings(data_dir=data_dir, agent=ME, cursor_blink=False)
    service = bootstrap.build_service(settings)
    return HelpdeskApp(service, settings, bootstrap.views(settings), oncall=oncall)


def _plain(widget: Widget) -> str:
    """Every line `widget` draws (all of it, also what its scroll container hides)."""
    return "\n".join(strip.text for strip in widget.render_lines(widget.size.region))


async def test_every_screen_renders_hostile_fields_as_plain_text(
    hostile_store: HostileStore,
) -> None:
    app = _app(hostile_store.data_dir)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await settle(pilot)
        expect_screen(pilot, QueueScreen)
        table = app.screen.query_one("#tickets")
        assert table.current is not None and table.current.key == hostile_store.mine  # type: ignore[attr-defined]
        _check_screen(pilot, "queue")

        await press(pilot, "enter")
        expect_screen(pilot, TicketScreen)
        title = app.screen.query_one("#ticket-title", Static)
        assert MARKUP in _plain(title) and PLACEHOLDER in _plain(title)
        summary = _plain(app.screen.query_one("#ticket-summary", Static))
        assert f"{MARKUP} organization" in summary
        conversation = "\n".join(_plain(m) for m in app.screen.query(".message").results(Static))
        for part in ("description", "customer reply", "internal note", "customer"):
            assert f"{MARKUP} {part}" in conversation, part
        assert ACTIVE_MARKUP in conversation
        _check_screen(pilot, "conversation")
        await press(pilot, "2")
        _check_screen(pilot, "history")
        await press(pilot, "3")
        details = _plain(app.screen.query_one("#details-view", Static))
        for part in ("subject", "new category", "tag", "escalation reason", "impact"):
            assert f"{MARKUP} {part}" in details, part
        _check_screen(pilot, "details")
        await press(pilot, "f")
        expect_screen(pilot, AttachmentScreen)
        _check_screen(pilot, "attachment")
        body = _plain(app.screen.query_one("#attachment-body", Static))
        assert f"{MARKUP} attachment" in body and ACTIVE_MARKUP in body
        await press(pilot, "escape")
        await press(pilot, "a")
        expect_screen(pilot, ChoiceScreen)
        _check_screen(pilot, "assign dialog (agent names)")
        assert f"{MARKUP} agent name" in _screen_text(pilot)[0]
        await press(pilot, "escape", "escape")

        await press(pilot, "f3")
        expect_screen(pilot, EscalationScreen)
        _check_screen(pilot, "escalations")
        await press(pilot, "f4")
        expect_screen(pilot, SlaBoardScreen)
        _check_screen(pilot, "SLA board")
        await press(pilot, "escape")

        # Every saved view: where a hostile ticket is listed, it is listed as text.
        listed = {
            "All open": hostile_store.mine,
            "Unassigned": hostile_store.unassigned,
            "My closed": hostile_store.closed,
            "All closed": hostile_store.closed,
            "Watching": hostile_store.mine,
            "Escalated": hostile_store.mine,
            "Tier 1": hostile_store.unassigned,
            "Tier 3": hostile_store.mine,
        }
        for view in app.views[1:]:
            await press(pilot, "right_square_bracket")
            text, _strips = _screen_text(pilot)
            assert text.startswith(f" {view.title} · "), text[:80]
            assert not _forbidden_in_text(text), (view.title, _forbidden_in_text(text))
            if view.title in listed:
                assert listed[view.title] in text, view.title
                _check_screen(pilot, view.title)


async def test_on_call_alerts_quote_subjects_as_text(
    hostile_store: HostileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subject such as "[/]" crashed the app from a toast; "[@click=…]" became live.
    Alerts wait on the status line, and f6 lists them: both show the subject as text."""
    from helpdesk_tui.ui.widgets.status_line import StatusLine

    monkeypatch.setattr(app_module, "ONCALL_EVERY", 0.2)
    app = _app(hostile_store.data_dir, oncall=True)
    async with app.run_test(size=(WIDTH, HEIGHT), notifications=True) as pilot:
        await settle(pilot)
        line = app.screen.query_one(StatusLine)
        for _ in range(60):
            if line.text.startswith("On call"):
                break
            await pilot.pause(0.05)
        assert line.text.startswith("On call (") and "f6 to list" in line.text, line.text
        assert not app.screen.query("Toast"), "an on-call alert became a toast"
        _check_screen(pilot, "queue with on-call alerts waiting")
        await pilot.press("f6")
        await settle(pilot)
        from textual.widgets import OptionList

        prompts = [
            str(app.screen.query_one(OptionList).get_option_at_index(i).prompt)
            for i in range(app.screen.query_one(OptionList).option_count)
        ]
        assert any(hostile_store.mine in p and MARKUP in p for p in prompts), prompts
        _check_screen(pilot, "on-call alerts listed")
        await pilot.press("escape")
        await settle(pilot)
        assert not line.text.startswith("On call"), "listed alerts still wait"
    assert app.return_code in (None, 0)
