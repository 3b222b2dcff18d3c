"""Benchmark the real app in a pseudo-terminal: launch, key press to frame, SLA board cost.

Run by hand (not part of the tests), after bench_store.py has made its stores::

    .venv/bin/python benchmarks/bench_tui.py --small benchmarks/data/bench-1000.db \\
        --big benchmarks/data/bench-1000000.db

With `--against OTHER/src` it times only the launch, this checkout's and OTHER's in turn
on the same store (a change's before and after, side by side in one run).

Measures, with medians over several runs:
- launch: process start → the queue's first ticket rows drawn (target ≤ 0.6 s, and the
  1M store within 1.2× the 1k one);
- key → frame: a cursor move (j) → the first bytes of the new frame, once settled and
  right after launch;
- SLA board: CPU share and bytes written per second while ≥ 50 countdowns tick;
- the floor: a bare Textual app launched the same way, in the same run (this machine's
  speed varies through the day: read the launch against it).
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

import helpdesk_tui
from helpdesk_tui.domain.model import ACTIVE_STATUSES, Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.store.base import NotFound, Query
from helpdesk_tui.store.sql import SqlRepository

AGENT = "bench-lead"
FLOOR = Path(__file__).with_name("textual_floor.py")


class Terminal:
    """The app on a pty of a given size; `read_until` collects what it writes."""

    def __init__(
        self,
        data_dir: Path,
        cols: int,
        rows: int,
        now: str | None,
        argv: list[str] | None = None,
        src: Path | None = None,
    ) -> None:
        env = dict(os.environ)
        if src is not None:  # another checkout's package, ahead of the installed one
            env["PYTHONPATH"] = str(src)
        env.update(
            TERM="xterm-256color",
            HELPDESK_TUI_DATA_DIR=str(data_dir),
            HELPDESK_AGENT=AGENT,
            COLUMNS=str(cols),
            LINES=str(rows),
        )
        env.pop("NO_COLOR", None)
        if now:
            env["HELPDESK_TUI_NOW"] = now
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.execve(sys.executable, [sys.executable, *(argv or ["-m", "helpdesk_tui"])], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buffer = b""

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.buffer += chunk
        return chunk

    def read_until(self, needle: bytes, timeout: float = 30.0) -> float:
        """Seconds from now until `needle` has been written (searching new output only)."""
        start = time.perf_counter()
        seen = b""
        while time.perf_counter() - start < timeout:
            seen += self.read(0.05)
            if needle in seen:
                return time.perf_counter() - start
        raise TimeoutError(f"{needle!r} not seen in {timeout}s")

    def drain(self, quiet: float = 0.3, at_most: float = 120.0) -> None:
        """Read until the app has been quiet for `quiet` seconds (in a new data folder the
        status line counts the seconds the store's triage model takes to learn); an app
        that never is (a repaint every second) fails the run instead of holding it."""
        deadline = time.perf_counter() + at_most
        while self.read(quiet):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the app never went quiet for {quiet}s in {at_most}s")

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def key_to_frame(self, keys: bytes, timeout: float = 2.0) -> float:
        """Seconds from sending `keys` to the first bytes written back (at most `timeout`)."""
        self.send(keys)
        start = time.perf_counter()
        self.read(timeout)
        return time.perf_counter() - start

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def data_dir_for(store: Path) -> Path:
    """A data dir whose helpdesk.db is `store` (linked, not copied), with a lead in it who
    holds some open tickets, so the queue's first view ("My open") has rows to draw."""
    repo = SqlRepository.open(store, store.parent / "attachments")
    try:
        repo.get_agent(AGENT)
    except NotFound:
        lead = repo.save_agent(Agent(AGENT, "Bench Lead", tier=3, role=Role.LEAD))
        service = HelpdeskService(repo, load_policy("default"), lambda: datetime.now(UTC), lead)
        for ticket in service.query(Query(statuses=ACTIVE_STATUSES, limit=60)).tickets:
            service.assign(ticket.key, ticket.version, AGENT)
    repo.close()
    folder = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    (folder / "helpdesk.db").symlink_to(store.resolve())
    return folder


def launch_times(
    data_dir: Path, runs: int, argv: list[str] | None = None, src: Path | None = None
) -> list[float]:
    times = []
    for _ in range(runs):
        term = Terminal(data_dir, 120, 40, None, argv, src)
        try:
            # The first row of tickets: a key in the table means the queue is interactive.
            term.read_until(b"HD-", timeout=60)
            times.append(time.perf_counter() - term.started)
        finally:
            term.close()
    return times


def launches(dirs: dict[str, Path], runs: int) -> None:
    """The app's launch on each store and the bare Textual app's, in turn in every round
    (this machine's speed drifts within a run: each round's floor is the app's anchor)."""
    times: dict[str, list[float]] = {name: [] for name in [*dirs, "floor"]}
    for _ in range(runs):
        for name, folder in dirs.items():
            times[name] += launch_times(folder, 1)
        times["floor"] += launch_times(dirs["1k"], 1, [str(FLOOR)])
    medians = {name: statistics.median(found) for name, found in times.items()}
    for name in dirs:
        found = times[name]
        print(
            f"launch to queue, {name}: median {medians[name]:.3f}s "
            f"(min {min(found):.3f}, max {max(found):.3f}, {len(found)} runs)"
        )
    print(f"launch ratio 1M/1k: {medians['1M'] / medians['1k']:.2f}")
    above = [app - floor for app, floor in zip(times["1k"], times["floor"], strict=True)]
    print(
        f"a bare Textual app (benchmarks/textual_floor.py), in the same rounds: median "
        f"{medians['floor']:.3f}s; the app's 1k launch is {medians['1k'] - medians['floor']:.3f}s "
        f"above it (round by round: median {statistics.median(above):.3f}s, "
        f"max {max(above):.3f}s)"
    )


def launch_against(data_dir: Path, runs: int, other: Path) -> None:
    """This checkout's launch and `other`'s (a src/ folder, e.g. the commit before a
    change), run by run in turn on the same store, with the ratio of each pair."""
    compileall.compile_dir(other / "helpdesk_tui", quiet=1)
    ours, theirs = [], []
    for _ in range(runs):
        ours += launch_times(data_dir, 1)
        theirs += launch_times(data_dir, 1, src=other)
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print(
        f"launch to queue, this checkout: median {statistics.median(ours):.3f}s "
        f"(min {min(ours):.3f}, max {max(ours):.3f}); {other}: median "
        f"{statistics.median(theirs):.3f}s (min {min(theirs):.3f}, max {max(theirs):.3f}); "
        f"ratio median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {runs} pairs)"
    )


def key_to_frame(data_dir: Path, presses: int) -> list[float]:
    term = Terminal(data_dir, 120, 40, None)
    try:
        term.read_until(b"HD-", timeout=60)
        term.drain(1.0)
        latencies = []
        for n in range(presses):
            latencies.append(term.key_to_frame(b"j" if n % 2 == 0 else b"k"))
            term.drain(0.15)
        return latencies
    finally:
        term.close()


def first_key(data_dir: Path, launches: int) -> list[float]:
    """Key → frame for a `j` sent as soon as the first frame is complete: the app's own
    store connection is opening in the background then (see docs/performance.md)."""
    latencies = []
    for _ in range(launches):
        term = Terminal(data_dir, 120, 40, None)
        try:
            term.read_until(b"HD-", timeout=60)
            term.drain(0.03)  # the rest of the first frame
            latencies.append(term.key_to_frame(b"j"))
        finally:
            term.close()
    return latencies


def sla_board(data_dir: Path, seconds: float) -> tuple[float, float, int]:
    """(CPU share of one core, bytes written per second, rows shown) on the SLA board."""
    rows = 60  # 58 table rows: at least 50 countdowns on screen
    term = Terminal(data_dir, 120, rows, None)
    try:
        term.read_until(b"HD-", timeout=60)
        term.send(b"\x1bOS")  # F4
        term.read_until(b"SLA board", timeout=30)
        # Steady state: let the first re-read and the first on-call check pass, and its
        # one-time toasts (15 s) expire, before measuring.
        settle = time.perf_counter() + 30
        while time.perf_counter() < settle:
            term.read(0.2)
        cpu0, t0, bytes0 = term.cpu_seconds(), time.perf_counter(), len(term.buffer)
        deadline = t0 + seconds
        while time.perf_counter() < deadline:
            term.read(0.2)
        cpu1, t1, bytes1 = term.cpu_seconds(), time.perf_counter(), len(term.buffer)
        return (cpu1 - cpu0) / (t1 - t0), (bytes1 - bytes0) / (t1 - t0), rows - 2
    finally:
        term.close()


def memory(data_dir: Path) -> list[tuple[str, int, int]]:
    """(moment, RSS, peak RSS) in KiB of the app's process: on the queue, then on the SLA
    board, then after paging down the board 40 screens (rows beyond the first blocks)."""
    term = Terminal(data_dir, 120, 40, None)

    def rss(moment: str) -> tuple[str, int, int]:
        settle = time.perf_counter() + 3
        while time.perf_counter() < settle:  # let the reads and the first paint finish
            term.read(0.2)
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{term.pid}/status").read_text().splitlines()
        )
        print(
            f"  {moment}: "
            + ", ".join(f"{k} {status[k].strip()}" for k in ("RssAnon", "RssFile", "RssShmem"))
        )
        return moment, int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])

    try:
        term.read_until(b"HD-", timeout=60)
        seen = [rss("queue")]
        term.send(b"\x1bOS")  # F4
        term.read_until(b"SLA board", timeout=30)
        seen.append(rss("SLA board"))
        for _ in range(40):
            term.send(b"\x1b[6~")  # Page Down
            term.read(0.1)
        seen.append(rss("SLA board, 40 pages down"))
        term.send(b"\x1b")  # back to the queue
        seen.append(rss("queue again"))
        return seen
    finally:
        term.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", type=Path, required=True, help="a ~1,000-ticket store")
    parser.add_argument("--big", type=Path, required=True, help="a ~1,000,000-ticket store")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--board-seconds", type=float, default=30.0)
    parser.add_argument("--board-only", action="store_true", help="skip launch and keys")
    parser.add_argument(
        "--memory-only", action="store_true", help="only the resident memory on the 1M store"
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout's src/ folder: time both launches in turn, then stop",
    )
    args = parser.parse_args()
    # As scripts/run does: measure the app as installed, not compiling itself each start.
    compileall.compile_dir(Path(helpdesk_tui.__file__).parent, quiet=1)
    dirs = {name: data_dir_for(path) for name, path in (("1k", args.small), ("1M", args.big))}
    try:
        if args.against:
            launch_against(dirs["1k"], args.runs, args.against.resolve())
            floor = statistics.median(launch_times(dirs["1k"], args.runs, [str(FLOOR)]))
            print(f"a bare Textual app (benchmarks/textual_floor.py) now: median {floor:.3f}s")
            return
        if args.memory_only:
            for moment, now_kib, peak_kib in memory(dirs["1M"]):
                print(
                    f"RSS, 1M store, {moment}: {now_kib / 1024:.1f} MiB "
                    f"(peak so far {peak_kib / 1024:.1f} MiB)"
                )
            return
        if args.board_only:
            cpu, rate, shown = sla_board(dirs["1M"], args.board_seconds)
            print(f"SLA board, 1M store, {shown} rows: CPU {cpu * 100:.2f}%, {rate:.0f} bytes/s")
            return
        launches(dirs, args.runs)
        for name, folder in dirs.items():
            lat = key_to_frame(folder, args.presses)
            print(
                f"key → frame, {name}: median {statistics.median(lat) * 1000:.1f} ms "
                f"(p90 {statistics.quantiles(lat, n=10)[-1] * 1000:.1f} ms, {len(lat)} presses)"
            )
        early = first_key(dirs["1k"], args.runs)
        print(
            f"first key right after launch, 1k: median {statistics.median(early) * 1000:.1f} ms "
            f"(max {max(early) * 1000:.1f} ms, {len(early)} launches)"
        )
        cpu, rate, shown = sla_board(dirs["1M"], args.board_seconds)
        print(
            f"SLA board, 1M store, {shown} rows ticking for {args.board_seconds:.0f}s: "
            f"CPU {cpu * 100:.2f}% of a core, {rate:.0f} bytes/s written"
        )
    finally:
        for folder in dirs.values():
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
