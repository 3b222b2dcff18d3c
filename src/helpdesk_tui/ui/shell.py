"""`!` on a ticket: run one shell command for an internal note, and keep its output as
plain text. No Textual here: the dialog (screens/shell_note.py) runs `run_command` in a
thread worker, and the tests run it on its own.

The command runs through `/bin/sh -c` in the agent's own environment, with standard
input from /dev/null and in a session of its own: it has no terminal to read a password
from or to draw on, so `sudo` or `ssh` asking for one fail at once instead of taking the
app's screen. Standard output and error are read together, at most `cap` bytes of them;
whatever the command started is killed with it (its process group) when it is stopped,
runs out of time, writes more than the cap, or leaves something running in the
background once the shell has exited.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from enum import Enum

from ..domain.model import MAX_BODY
from ..domain.text import plain_output

SHELL = "/bin/sh"
CHUNK = 65536
POLL = 0.05
"""Seconds between looks at the stop flag and the clock while the command is quiet."""
LINGER = 0.5
"""Seconds the output is still read once the shell has exited: what a background job it
left writes after that is not waited for."""
INDENT = "    "
"""The output's indent in the note: a code block in Markdown, plain columns in text."""


class Ended(Enum):
    """How a command's run ended."""

    EXITED = "exited"
    TIMED_OUT = "timed out"
    STOPPED = "stopped"
    CUT = "cut"
    """It wrote more than the cap: what was read is kept and the command is stopped."""


@dataclass(frozen=True, slots=True)
class CommandRun:
    """A command that ran, with what it wrote (plain text) and how it ended."""

    command: str
    output: str
    ended: Ended
    returncode: int | None
    """The shell's exit status (negative: the signal that ended it); None when it was
    still running when we stopped it."""
    seconds: float
    cap_kib: int

    @property
    def status(self) -> str:
        """How it ended, in the words of the note's last line (English: it is the note's
        text, read by every agent whatever their language)."""
        parts = []
        if self.returncode is not None:
            parts.append(exit_words(self.returncode))
        if self.ended is Ended.TIMED_OUT:
            took = f"{self.seconds:.1f}" if self.seconds < 10 else f"{self.seconds:.0f}"
            parts.append(f"stopped after {took} s (timeout)")
        elif self.ended is Ended.STOPPED:
            parts.append("stopped by the agent")
        elif self.ended is Ended.CUT:
            parts.append(f"output cut at {self.cap_kib} KiB")
        return " · ".join(parts)

    @property
    def succeeded(self) -> bool:
        return self.ended is Ended.EXITED and self.returncode == 0


def exit_words(returncode: int) -> str:
    """ "exit 0", "exit 127", or the signal that ended it ("killed by SIGPIPE")."""
    if returncode >= 0:
        return f"exit {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"killed by {name}"


def run_command(
    command: str,
    *,
    timeout: float,
    cap_kib: int,
    stop: threading.Event | None = None,
) -> CommandRun:
    """Run `command` through /bin/sh and return what it wrote, as plain text: at most
    `cap_kib` KiB read, `timeout` seconds, or until `stop` is set. OSError when the
    shell itself cannot start."""
    cap = cap_kib * 1024
    started = time.monotonic()
    deadline = started + timeout
    process = subprocess.Popen(
        [SHELL, "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, to kill all of it; no terminal
    )
    assert process.stdout is not None
    output = bytearray()
    try:
        ended = _read(process, process.stdout.fileno(), output, cap, deadline, stop)
    finally:
        # Whatever is left of the group goes, before the shell is reaped: its id stays
        # the group's (and not reusable) until then.
        exited_first = _exited(process)
        _kill_group(process.pid)
        process.stdout.close()
        returncode = process.wait()
    seconds = time.monotonic() - started
    if ended is not Ended.EXITED and not exited_first:
        returncode_kept: int | None = None
    else:
        returncode_kept = returncode
    text = _decode(bytes(output), complete=ended is not Ended.CUT)
    return CommandRun(command, plain_output(text), ended, returncode_kept, seconds, cap_kib)


def _read(
    process: subprocess.Popen[bytes],
    fd: int,
    output: bytearray,
    cap: int,
    deadline: float,
    stop: threading.Event | None,
) -> Ended:
    """Read the command's output into `output` until it ends (or is to be stopped)."""
    reading, exited_at = True, None
    while True:
        now = time.monotonic()
        if stop is not None and stop.is_set():
            return Ended.STOPPED
        if now >= deadline:
            return Ended.TIMED_OUT
        if _exited(process):
            if not reading:
                return Ended.EXITED
            exited_at = exited_at or now
            if now - exited_at >= LINGER:
                return Ended.EXITED
        wait = min(POLL, deadline - now)
        if not reading:
            time.sleep(wait)  # the output is closed; the shell has not exited yet
            continue
        ready, _w, _x = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, min(CHUNK, cap - len(output) + 1))
        if not chunk:
            reading = False
            continue
        output += chunk
        if len(output) > cap:
            del output[cap:]
            return Ended.CUT


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the shell has exited, without reaping it (WNOWAIT)."""
    if process.returncode is not None:
        return True
    try:
        found = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return found is not None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing of it is left
        os.killpg(pgid, signal.SIGKILL)


def _decode(data: bytes, *, complete: bool) -> str:
    """UTF-8 with invalid bytes replaced; a character cut in half by the cap is left out."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(data, final=complete)


def note_body(run: CommandRun) -> str:
    """The note: the command line, its output indented (a code block that reads as
    columns in plain text too), and how it ended; cut to what a message may hold."""
    head = f"$ {run.command}"
    tail = f"[{run.status}]"
    output = run.output.strip("\n")
    room = MAX_BODY - len(head) - len(tail) - 64
    lines = output.split("\n") if output else []
    shown: list[str] = []
    used = 0
    for line in lines:
        used += len(INDENT) + len(line.rstrip()) + 1
        if used > room:
            shown.append(f"{INDENT}… (the rest does not fit in a note)")
            break
        shown.append(INDENT + line.rstrip() if line.strip() else "")
    if not shown:
        shown = [f"{INDENT}(no output)"]
    return "\n".join([head, *shown, tail])
