"""The real `helpdesk-tui` in a real terminal (tmux), read back from the screen.

Pilot drives the app from inside; this starts it the way an agent does and reads
what tmux shows, so a broken entry point, a first run that never shows the queue or
a layout that falls apart at 80×24 fails here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.base import Query, SortKey
from tests.conftest import FROZEN
from tests.ui.conftest import ME

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One tmux server on a socket of its own, with one session running the app."""

    def __init__(
        self, data_dir: Path, cwd: Path, size: tuple[int, int], extra: dict[str, str] | None = None
    ) -> None:
        self.socket = f"helpdesk-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session = "app"
        env = {
            "HELPDESK_TUI_DATA_DIR": str(data_dir),
            "HELPDESK_AGENT": ME,
            "HELPDESK_TUI_NOW": FROZEN.isoformat(),
            "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            **(extra or {}),
        }
        assigns = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        app = f"{shlex.quote(sys.executable)} -m helpdesk_tui"
        # The pane outlives the app, so its exit status (or its traceback) can be read.
        # A tmux server started without a terminal puts COLUMNS=80 and LINES=24 in its
        # environment, and Textual would believe them over the pane's real size.
        command = f"cd {shlex.quote(str(cwd))} && env -u COLUMNS -u LINES {assigns} {app}"
        command += "; echo exit-status=$?; sleep 60"
        width, height = size
        self.socket_path: Path | None = None
        try:
            size_args = ["-x", str(width), "-y", str(height)]
            self.tmux("new-session", "-d", "-s", self.session, *size_args, command)
            self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        except BaseException:
            self.kill()
            raise

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", self.session).splitlines()

    def styled_screen(self) -> str:
        """The screen with its attributes and colours, as SGR escape sequences."""
        return self.tmux("capture-pane", "-p", "-e", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_until(
        self, what: str, shown: Callable[[list[str]], bool], timeout: float = 20.0
    ) -> list[str]:
        """Poll the screen until `shown(lines)` holds on a settled screen, the same on
        two captures in a row: while the app starts, tmux shows half-drawn frames (a
        footer before the focus is set, a title not painted yet)."""
        end = time.monotonic() + timeout
        before: list[str] = []
        while True:
            lines = self.screen()
            if lines == before and shown(lines):
                return lines
            if time.monotonic() > end:
                screen = "\n".join(lines)
                raise AssertionError(f"{what}: not on screen after {timeout:.0f}s:\n{screen}")
            before = lines
            time.sleep(0.15)

    def quit(self) -> None:
        self.keys("C-q")
        lines = self.wait_until("the app's exit", lambda ls: any("exit-status=" in x for x in ls))
        assert "exit-status=0" in "\n".join(lines), "\n".join(lines)

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)  # a killed server leaves its socket file


@pytest.fixture
def tmux_app(tmp_path: Path) -> Iterator[Callable[..., Tmux]]:
    started: list[Tmux] = []

    def start(data_dir: Path, size: tuple[int, int], extra: dict[str, str] | None = None) -> Tmux:
        started.append(Tmux(data_dir, tmp_path, size, extra))
        return started[-1]

    try:
        yield start
    finally:
        for server in started:
            server.kill()


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


def table_header(lines: list[str], first: str = "Key") -> str:
    """The queue's column header: below the title, and below the P1s on-call mode pins
    above the table when some wait for an acknowledgement (ui/widgets/pinned.py)."""
    return next((x for x in lines[1:6] if x.split()[:1] == [first]), "")


def _queue_shown(lines: list[str]) -> bool:
    return (
        lines[0].lstrip().startswith("My open · ")
        and table_header(lines).split()[:2] == ["Key", "Pri"]
        and sum(x.lstrip().startswith("HD-") for x in lines) >= 3
        and "Select" in lines[-1]  # the queue's footer, once the table has the focus
    )


def test_first_run_shows_the_queue_then_a_ticket_and_the_sla_board(
    tmux_app: Callable[..., Tmux], tmp_path: Path
) -> None:
    app = tmux_app(tmp_path / "fresh-data", (120, 40))
    # A first run fills an empty store with demo tickets before the queue opens.
    lines = app.wait_until("the queue", _queue_shown, timeout=60)
    assert (tmp_path / "fresh-data" / "helpdesk.db").is_file()
    # All 120 columns are used: the widest layout, with the requester, is shown.
    assert "Requester / Org" in table_header(lines), _text(lines)
    first = next(x for x in lines if x.lstrip().startswith("HD-")).split()[0]

    app.keys("Enter")
    lines = app.wait_until(
        "the ticket", lambda ls: "Conversation" in _text(ls) and "CUSTOMER" in _text(ls)
    )
    assert lines[0].split()[0] == first, _text(lines)  # the ticket under the cursor
    assert "History" in _text(lines) and "Details" in _text(lines)

    app.keys("F4")
    lines = app.wait_until(
        "the SLA board",
        lambda ls: (
            ls[0].lstrip().startswith("SLA board ·") and sum(x.startswith("HD-") for x in ls) >= 3
        ),
    )
    header = next(x for x in lines if x.startswith("Key"))
    assert header.split()[:3] == ["Key", "Pri", "SLA"], header
    app.quit()


def test_a_key_typed_with_enter_acts_on_the_ticket_it_opens(
    tmux_app: Callable[..., Tmux], data_dir: Path
) -> None:
    # Over a slow link Enter and the next key arrive in one read: the key is the opened
    # ticket's (m merges it), neither the list's nor lost while the ticket is read.
    app = tmux_app(data_dir, (80, 24))
    lines = app.wait_until("the queue", _queue_shown)
    first = next(x for x in lines if x.lstrip().startswith("HD-")).split()[0]
    app.keys("Enter", "m")
    lines = app.wait_until("the merge prompt", lambda ls: "which ticket?" in _text(ls))
    assert f"Merge {first} into which ticket?" in _text(lines), _text(lines)
    assert lines[0].split()[0] == first, _text(lines)  # over the ticket's own screen
    app.keys("Escape")
    app.quit()


def _newest(data_dir: Path) -> tuple[Ticket, list[str]]:
    """The store's newest ticket and the text of each of its messages."""
    service = bootstrap.build_service(Settings(data_dir=data_dir, agent=ME))
    try:
        ticket = service.query(Query(limit=1, sort=SortKey.CREATED, descending=True)).tickets[0]
        return ticket, [c.body for c in service.conversation_of(ticket)]
    finally:
        service.close()


def test_a_form_typed_in_one_burst_keeps_every_field(
    tmux_app: Callable[..., Tmux], data_dir: Path
) -> None:
    # A call taken fast (or keys arriving in one read over a slow link): every tab moves
    # on before the next field is typed, and ctrl+s saves all that was typed before it.
    app = tmux_app(data_dir, (80, 24))
    app.wait_until("the queue", _queue_shown)
    app.keys("n")
    app.wait_until("the form", lambda ls: "New ticket" in _text(ls))
    subject = "Kassan i butiken i Malmo startar inte efter uppdateringen"
    app.keys(subject, "Tab", "Tab", "Tab", "Tab", "Sven Ek", "Tab", "sven.ek@fjordvik.example")
    app.keys("C-s")
    lines = app.wait_until("the new ticket", lambda ls: "Conversation" in _text(ls))
    ticket, _messages = _newest(data_dir)
    assert (ticket.subject, ticket.requester_name) == (subject, "Sven Ek"), _text(lines)
    assert ticket.requester_email == "sven.ek@fjordvik.example"

    reply = "Tack Sven, vi tittar pa det nu och aterkommer inom en timme."
    app.keys("r")
    app.wait_until("the composer", lambda ls: "Reply to the customer" in _text(ls))
    app.keys(reply, "C-s")
    app.wait_until("the reply", lambda ls: "reply saved" in _text(ls))
    assert _newest(data_dir)[1][-1] == reply
    app.quit()


def test_queue_is_readable_at_80_by_24(tmux_app: Callable[..., Tmux], data_dir: Path) -> None:
    app = tmux_app(data_dir, (80, 24))
    lines = app.wait_until("the queue", _queue_shown)
    assert len(lines) <= 24 and all(len(x) <= 80 for x in lines)
    title, header = lines[0], table_header(lines)
    # The whole title fits: view, count, sort and who is working.
    assert title.rstrip().endswith(f"[{ME}]"), title
    assert header.split()[:5] == ["Key", "Pri", "Subject", "SLA", "Status"], header
    rows = [x for x in lines if x.lstrip().startswith("HD-")]
    for row in rows:
        assert row.split()[1] in ("P1", "P2", "P3", "P4"), row
    assert "Commands" in lines[-1], lines[-1]  # the footer is on the last line
    app.quit()


def _sgr_codes(styled: str) -> list[list[str]]:
    return [seq.split(";") for seq in re.findall(r"\x1b\[([0-9;]*)m", styled)]


def _colour_codes(codes: list[str]) -> list[str]:
    """The colour parameters of one SGR sequence (skipping 38/48's own arguments)."""
    found, i = [], 0
    while i < len(codes):
        code = codes[i]
        if code in ("38", "48"):
            found.append(";".join(codes[i : i + (5 if codes[i + 1 : i + 2] == ["2"] else 3)]))
            i += 5 if codes[i + 1 : i + 2] == ["2"] else 3
            continue
        if code.isdigit() and (30 <= int(code) <= 49 or 90 <= int(code) <= 107):
            found.append(code)
        i += 1
    return found


@pytest.mark.parametrize(
    "terminal",
    [
        pytest.param({"TERM": "linux"}, id="TERM=linux"),
        pytest.param({"NO_COLOR": "1"}, id="NO_COLOR"),
    ],
)
def test_queue_is_readable_without_rich_colour(
    tmux_app: Callable[..., Tmux], data_dir: Path, terminal: dict[str, str]
) -> None:
    app = tmux_app(data_dir, (80, 24), terminal)
    lines = app.wait_until("the queue", _queue_shown)
    styled = app.styled_screen()
    colours = [c for codes in _sgr_codes(styled) for c in _colour_codes(codes)]
    if "NO_COLOR" in terminal:
        # No colour at all (39/49 only reset to the terminal's own colours)...
        assert set(colours) <= {"39", "49"}, sorted(set(colours))
    else:
        # ...or only the 16 colours a Linux console has: no 256-colour or RGB codes.
        assert colours and not [c for c in colours if c.startswith(("38", "48"))], colours
    # The cursor row still stands out: bold, reverse video.
    cursor = next(line for line in styled.splitlines() if "HD-" in line and "\x1b[" in line)
    flags = {c for codes in _sgr_codes(styled) for c in codes}
    assert "7" in flags and "1" in flags, cursor
    assert sum(x.lstrip().startswith("HD-") for x in lines) >= 3, "\n".join(lines)
    # A picker's chosen line stands out too (Textual's own highlight is a colour).
    app.keys("v")
    app.wait_until("the views", lambda ls: "All open" in _text(ls))
    chosen = [x for x in app.styled_screen().splitlines() if "My open" in x and "Key" not in x]
    assert any(re.search(r"\x1b\[[0-9;]*(7|4)[;m]", x) for x in chosen), chosen
    app.keys("Escape")
    app.quit()
