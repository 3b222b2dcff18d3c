"""The real `helpdesk-tui` under a pseudo-terminal: every byte it writes, read raw.

tmux (test_tmux.py) shows what a person sees; this shows what the terminal is sent,
escape sequences and all, for the tests of what the app may and may not write to it
(hostile text, OSC 52, OSC 8, OSC 9).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.conftest import FROZEN

KEYS = {
    "enter": b"\r",
    "escape": b"\x1b",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f5": b"\x1b[15~",
    "ctrl+p": b"\x10",
    "ctrl+q": b"\x11",
}
OWN_OSC = re.compile(rb"\x1b\]22;[\w-]*(?:\x07|\x1b\\)")
"""The only OSC Textual writes itself: the mouse pointer's shape."""
APP_LINK = re.compile(rb"\x1b\]8;(?:id=[\w-]*)?;([\x21-\x7e]*)\x1b\\")
"""An OSC 8 link the app writes (Textual's form): its target, or none at the link's end."""
LISTED = re.compile(rb"\b[1-9][0-9]* tickets")
"""A list has arrived: the count of its rows, drawn once the first page is read. The
app says nothing for a while before that (the store is opened, the page read), so a
quiet terminal is no sign that the queue is there."""
CSI = re.compile(rb"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]")
WIDTH, HEIGHT = 120, 40


class Terminal:
    """The app's side of a pseudo-terminal: write keys, read every byte it writes."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        size: tuple[int, int] = (WIDTH, HEIGHT),
    ) -> None:
        width, height = size
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        self.fd = master
        self.output = bytearray()
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=cwd,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)

    def read(self, seconds: float) -> None:
        """Read what arrives for up to `seconds` (less if the app closes the terminal)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: every copy of the other side is closed
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait_for(self, marker: str | re.Pattern[bytes], since: int, timeout: float) -> None:
        """Read until `marker` (a text, or a pattern of the bytes) is written after `since`."""
        wanted = re.compile(re.escape(marker.encode())) if isinstance(marker, str) else marker
        end = time.monotonic() + timeout
        while not wanted.search(self.output, since):
            if time.monotonic() > end or self.process.poll() is not None:
                self.read(0.2)  # whatever the app managed to say before it went
                tail = bytes(self.output[-3000:]).decode("utf-8", "replace")
                raise AssertionError(
                    f"{wanted.pattern!r} not shown within {timeout:.0f}s "
                    f"(exit status {self.process.poll()}); last output:\n{tail}"
                )
            self.read(0.05)

    def press(self, key: str, expect: str | None = None, timeout: float = 10.0) -> None:
        """Send one key; wait until `expect` is drawn, or until the app is quiet."""
        since = len(self.output)
        os.write(self.fd, KEYS.get(key, key.encode()))
        if expect is not None:
            self.wait_for(expect, since, timeout)
        else:
            self.quiet()
        # A lone ESC is told from the start of a sequence by a pause: leave one.
        self.read(0.15)

    def quiet(self, gap: float = 0.3, at_most: float = 3.0) -> None:
        end = time.monotonic() + at_most
        while time.monotonic() < end:
            before = len(self.output)
            self.read(gap)
            if len(self.output) == before:
                return

    def close(self) -> int | None:
        try:
            if self.process.poll() is None:
                self.process.kill()
            return self.process.wait(timeout=10)
        finally:
            os.close(self.fd)


def app_env(
    data_dir: Path, agent: str, size: tuple[int, int] = (WIDTH, HEIGHT), **extra: str
) -> dict[str, str]:
    """The environment the app runs in: this data dir, this agent, the frozen clock
    (unless `extra` says otherwise), a colour terminal of `size`."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": str(size[0]),
        "LINES": str(size[1]),
        "HELPDESK_TUI_DATA_DIR": str(data_dir),
        "HELPDESK_AGENT": agent,
        "HELPDESK_TUI_NOW": FROZEN.isoformat(),
        **extra,
    }
    for name in ("NO_COLOR", "TEXTUAL", "TEXTUAL_DRIVER", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    return {name: value for name, value in env.items() if value}


def start_app(data_dir: Path, agent: str, cwd: Path, **extra: str) -> Terminal:
    """`python -m helpdesk_tui` under a pseudo-terminal (an empty `extra` value unsets)."""
    return Terminal([sys.executable, "-m", "helpdesk_tui"], app_env(data_dir, agent, **extra), cwd)
