"""`helpdesk-tui status`: the one line for a tmux status line or a shell prompt, on a
real store (SQLite, and PostgreSQL when HELPDESK_TEST_PG_URL is set), its counts moving
as a ticket breaches, a P1 is acknowledged and a mention is answered; its exit statuses;
its refusals (one line, exit 2, and a short line the bar can show); and read back from a
real tmux status line drawn to a real terminal."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.cli import status_cache
from helpdesk_tui.cli.status import render
from helpdesk_tui.domain.model import Agent, Priority, Role
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.service.standing import Standing
from helpdesk_tui.settings.config import default_cache_dir, load_settings
from helpdesk_tui.store.sql import SqlRepository
from tests.cli.test_cli import run
from tests.conftest import FROZEN
from tests.service.conftest import AGENTS
from tests.store.rt_server import rt_server  # noqa: F401  (the session fixture)
from tests.store.support import open_store

ME = "ivan"
SCRIPT = Path(sys.executable).with_name("helpdesk-tui")


class Desk:
    """A store with dmitri (tier 2) and ivan (tier-3 lead); `status` asks as ivan at
    FROZEN plus `minutes`."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def ok(self, *argv: str) -> str:
        code, out, err = run(self.capsys, *argv)
        assert code == 0, err
        return out

    def create(self, priority: str, *extra: str) -> str:
        subject = f"{priority} down"
        out = self.ok(
            "ticket", "create", "--subject", subject, "--priority", priority, "--json", *extra
        )
        return str(json.loads(out)["key"])

    def status(self, fmt: str = "plain", minutes: int = 0) -> tuple[int, str, str]:
        now = FROZEN + timedelta(minutes=minutes)
        self.monkeypatch.setenv("HELPDESK_TUI_NOW", now.isoformat())
        try:
            return run(self.capsys, "--as", ME, "status", "--format", fmt)
        finally:
            self.monkeypatch.setenv("HELPDESK_TUI_NOW", FROZEN.isoformat())


@pytest.fixture
def desk(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Desk:
    config = tmp_path / "helpdesk-tui.toml"
    config.write_text(f"[backend]\nurl = {json.dumps(store_url)}\n")
    monkeypatch.setenv("HELPDESK_TUI_CONFIG", str(config))
    # Saved in the store directly: on PostgreSQL `agent add` would make a login role.
    repo = SqlRepository.open(store_url, tmp_path / "files")
    try:
        repo.save_agent(Agent(getpass.getuser(), "Admin", tier=3, role=Role.ADMIN))
        repo.save_agent(Agent("dmitri", "Dmitri", tier=2))
        repo.save_agent(Agent(ME, "Ivan", tier=3, role=Role.LEAD))
    finally:
        repo.close()
    return Desk(capsys, monkeypatch)


def test_counts_move_as_tickets_breach_p1s_are_acknowledged_and_mentions_answered(
    desk: Desk,
) -> None:
    assert desk.status() == (0, "P1:0 breached:0 at-risk:0 @:0\n", "")

    # A new P1 is the team's: anybody's, assigned or not, until someone acknowledges it.
    p1 = desk.create("critical")
    assert desk.status() == (1, "P1:1 breached:0 at-risk:0 @:0\n", "")
    desk.ok("ticket", "update", p1, "--status", "open")
    assert desk.status()[:2] == (0, "P1:0 breached:0 at-risk:0 @:0\n")

    # Mine: a P2 (first response in 1 h, at risk from 45 min) and a note calling me in.
    mine = desk.create("high", "--assignee", ME)
    desk.ok("--as", "dmitri", "ticket", "note", mine, "@ivan the ledger again?")
    assert desk.status()[:2] == (3, "P1:0 breached:0 at-risk:0 @:1\n")
    assert desk.status(minutes=50)[:2] == (3, "P1:0 breached:0 at-risk:1 @:1\n")
    # Answered: a note of mine on the ticket after the one that named me.
    desk.ok("--as", ME, "ticket", "note", mine, "looking")
    assert desk.status(minutes=50)[:2] == (3, "P1:0 breached:0 at-risk:1 @:0\n")
    assert desk.status(minutes=70)[:2] == (1, "P1:0 breached:1 at-risk:0 @:0\n")
    # Someone else's ticket breaching is not mine; a mention of me on it is.
    theirs = desk.create("high", "--assignee", "dmitri")
    desk.ok("--as", "dmitri", "ticket", "note", theirs, "cc @ivan")
    assert desk.status(minutes=70)[:2] == (1, "P1:0 breached:1 at-risk:0 @:1\n")
    # A mention on a ticket closed since no longer waits.
    desk.ok("ticket", "update", theirs, "--status", "cancelled", "--reason", "duplicate")
    assert desk.status(minutes=70)[:2] == (1, "P1:0 breached:1 at-risk:0 @:0\n")


def test_tmux_and_json_formats(desk: Desk) -> None:
    assert desk.status("tmux") == (0, "#[fg=green]✓#[default]\n", "")
    desk.create("critical")
    mine = desk.create("high", "--assignee", ME)
    desk.ok("--as", "dmitri", "ticket", "note", mine, "@ivan have a look")
    code, out, _ = desk.status("tmux", minutes=70)
    assert code == 1
    assert out == ("#[fg=red,bold]P1:1#[default] #[fg=red]✖1#[default] #[fg=cyan]✉1#[default]\n")
    code, out, _ = desk.status("json", minutes=50)
    assert code == 1
    assert json.loads(out) == {
        "agent": ME,
        "as_of": (FROZEN + timedelta(minutes=50)).isoformat(),
        "new_p1": 1,
        "breached": 0,
        "at_risk": 1,
        "mentions": 1,
        "capped": [],
        "exit": 1,
    }
    assert out.count("\n") == 1


def test_counts_stop_at_the_cap_and_say_so(desk: Desk) -> None:
    for _ in range(3):
        desk.create("critical")
    service = bootstrap.build_service(load_settings(None))
    try:
        standing = service.standing(cap=2)
    finally:
        service.close()
    assert (standing.new_p1, standing.capped) == (2, frozenset({"new_p1"}))
    assert render(standing, "plain").startswith("P1:2+ ")
    assert render(standing, "tmux").startswith("#[fg=red,bold]P1:2+#[default]")


def test_a_store_that_cannot_count_mentions_says_so() -> None:
    standing = Standing("ivan", FROZEN, breached=0, at_risk=2, new_p1=0, mentions=None)
    assert render(standing, "plain") == "P1:0 breached:0 at-risk:2 @:-"
    assert render(standing, "tmux") == "#[fg=yellow]⚠2#[default]"
    assert json.loads(render(standing, "json"))["mentions"] is None
    assert not standing.quiet and not standing.urgent


def test_on_request_tracker_its_searches_count_and_mentions_are_unknown(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    repo = open_store("rt", request, tmp_path, AGENTS)
    try:
        # RT stamps a ticket with its own clock: the service reads the same one.
        service = HelpdeskService(
            repo, load_policy("default"), lambda: datetime.now(UTC), repo.get_agent("dave")
        )
        service.create(TicketDraft("Payments down", priority=Priority.CRITICAL))
        held = service.create(TicketDraft("Reports slow", priority=Priority.HIGH))
        service.take(held.key, held.version)
        standing = service.standing()
    finally:
        repo.close()
    assert (standing.new_p1, standing.breached, standing.at_risk) == (1, 0, 0)
    assert standing.mentions is None  # RT cannot find a note's mentions
    assert render(standing, "plain") == "P1:1 breached:0 at-risk:0 @:-"


# --- refusals: one line on stderr, exit 2, and a line for the bar ---------------------------


def test_bad_format_and_unknown_agent_are_refused(desk: Desk) -> None:
    code, out, err = run(desk.capsys, "status", "--format", "xml")
    assert (code, out) == (2, "") and "invalid choice" in err and err.count("\n") == 1
    for fmt, shown in (("plain", "hd:error\n"), ("tmux", "#[fg=yellow]hd:error#[default]\n")):
        code, out, err = run(desk.capsys, "--as", "nobody", "status", "--format", fmt)
        assert (code, out) == (2, shown)
        assert "nobody" in err and err.count("\n") == 1 and err.startswith("helpdesk-tui:")
    code, out, _ = run(desk.capsys, "--as", "nobody", "status", "--format", "json")
    assert (code, json.loads(out)) == (2, {"error": "error"})


def _unreachable(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "unreachable.toml"
    config.write_text(f"[backend]\nurl = {json.dumps(url)}\n")
    monkeypatch.setenv("HELPDESK_TUI_CONFIG", str(config))


def test_an_unreachable_store_is_one_short_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    _unreachable(tmp_path, "postgresql+psycopg://alex@127.0.0.1:1/helpdesk", monkeypatch)
    monkeypatch.setenv("HELPDESK_DB_PASSWORD", "s3cret-pw")
    code, out, err = run(capsys, "status", "--format", "tmux")
    assert (code, out) == (2, "#[fg=yellow]hd:offline#[default]\n")
    assert "127.0.0.1" in err and err.count("\n") == 1 and "s3cret-pw" not in err
    assert run(capsys, "status")[:2] == (2, "hd:offline\n")
    assert json.loads(run(capsys, "status", "--format", "json")[1]) == {"error": "offline"}


def test_a_server_that_never_answers_holds_the_bar_two_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The kernel completes the handshake of a listening socket nobody accepts from: a
    # connect then waits for the server's first word, which never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        _unreachable(tmp_path, f"postgresql+psycopg://alex@127.0.0.1:{port}/hd", monkeypatch)
        started = time.monotonic()
        code, out, err = run(capsys, "status", "--format", "tmux")
        waited = time.monotonic() - started
    assert (code, out) == (2, "#[fg=yellow]hd:offline#[default]\n"), err
    assert 1.5 < waited < 6, waited  # the app itself would wait 10 s
    assert err.count("\n") == 1


def test_no_store_is_made_where_there_is_none(
    tmp_path: Path, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "status")
    assert (code, out) == (2, "hd:offline\n")
    assert "start helpdesk-tui once" in err and err.count("\n") == 1
    assert not (isolated_env / "helpdesk.db").exists()


def test_the_status_path_imports_neither_textual_nor_pydantic(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With a config file, its validation (pydantic) runs once and is cached: the first
    # call validates it, a status line's every later poll reads the cache.
    probe = (
        "import sys\n"
        "from helpdesk_tui.cli.main import main\n"
        "code = main(['--as', 'ivan', 'status'])\n"
        "print(code, sorted(m for m in ('pydantic', 'sqlmodel', 'textual') if m in sys.modules))\n"
    )
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"


# --- the exit statuses, through the installed script, as a shell prompt uses them -------------


def test_the_script_exit_status_in_a_shell(desk: Desk, isolated_env: Path) -> None:
    desk.create("critical")
    env = {**os.environ, "HELPDESK_AGENT": ME}
    prompt = f'line=$({SCRIPT} status); echo "$?:$line"'
    done = subprocess.run(["bash", "-c", prompt], capture_output=True, text=True, env=env)
    assert done.stdout == "1:P1:1 breached:0 at-risk:0 @:0\n", done.stderr


def test_kept_lines_are_in_the_cache_folder_the_settings_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(status_cache.CACHE_DIR_ENV, str(tmp_path / "named"))
    assert status_cache.cache_dir() == default_cache_dir()
    monkeypatch.delenv(status_cache.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert status_cache.cache_dir() == default_cache_dir()


def test_max_age_answers_from_the_kept_line_then_refreshes_it_behind(
    desk: Desk, tmp_path: Path
) -> None:
    env = {**os.environ, "HELPDESK_AGENT": ME}
    words = ["status", "--format", "tmux", "--max-age", "60"]

    def ask(*python: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, *python, "-m", "helpdesk_tui"] if python else [str(SCRIPT)]
        return subprocess.run(
            [*command, *words], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
        )

    first = ask()
    assert (first.returncode, first.stdout) == (0, "#[fg=green]✓#[default]\n"), first.stderr
    desk.create("critical")
    # Within the age: the kept line, and the store not even imported.
    kept = ask("-X", "importtime")
    assert (kept.returncode, kept.stdout) == (0, first.stdout)
    assert "sqlalchemy" not in kept.stderr and "helpdesk_tui.store" not in kept.stderr
    # Older: the kept line at once, while a status of its own in the background asks the
    # store and keeps the new line for the next call.
    [path] = (status_cache.cache_dir() / "status").glob("*.json")
    held = json.loads(path.read_text())
    path.write_text(json.dumps({**held, "at": held["at"] - 120}))
    assert ask().stdout == first.stdout
    end = time.monotonic() + 30
    while "P1:1" not in path.read_text() and time.monotonic() < end:
        time.sleep(0.1)
    fresh = ask()
    assert (fresh.returncode, fresh.stdout) == (1, "#[fg=red,bold]P1:1#[default]\n"), fresh.stderr


# --- a real tmux status line ---------------------------------------------------------------

_ESCAPES = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")


class StatusBar:
    """A tmux server of its own (`-L`, no config file) whose status-right runs
    `helpdesk-tui status --format tmux` every second, and a client attached to it in a
    pseudo-terminal: what the client draws is what an engineer would see."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.socket = f"hd-status-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.tmux("new-session", "-d", "-s", "s", "-x", "100", "-y", "10", "sleep 600", cwd=cwd)
        for option, value in (
            ("status-right", "#(helpdesk-tui status --format tmux)"),
            ("status-right-length", "80"),
            ("status-interval", "1"),
        ):
            self.tmux("set-option", "-g", option, value, cwd=cwd)
        self.fd, terminal = os.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 10, 100, 0, 0))
        self.client = subprocess.Popen(
            ["tmux", "-u", "-L", self.socket, "attach", "-t", "s"],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=self.env,
            start_new_session=True,
        )
        os.close(terminal)

    def tmux(self, *args: str, cwd: Path | None = None) -> None:
        command = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        subprocess.run(command, env=self.env, cwd=cwd, capture_output=True, check=True, timeout=10)

    def read_until(self, wanted: str, before: str | None = None, timeout: float = 20.0) -> str:
        """The text drawn from now on (escape sequences stripped) once it holds `wanted`,
        with something other than `before` just before it when that is given."""
        drawn, text = b"", ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    drawn += os.read(self.fd, 65536)
                except OSError:
                    break
            text = _ESCAPES.sub(b"", drawn).decode("utf-8", "replace")
            for found in re.finditer(re.escape(wanted), text):
                if before is None or not text[: found.start()].endswith(before):
                    return text
        raise AssertionError(f"{wanted!r} never drawn; drew {text[-400:]!r}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        self.client.terminate()
        self.client.wait(timeout=10)
        os.close(self.fd)


@pytest.fixture
def status_bar(tmp_path: Path) -> Iterator[type[StatusBar]]:
    started: list[StatusBar] = []

    class Started(StatusBar):
        def __init__(self, env: dict[str, str], cwd: Path) -> None:
            super().__init__(env, cwd)
            started.append(self)

    try:
        yield Started
    finally:
        for bar in started:
            bar.close()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_real_tmux_status_line_shows_the_counts(
    desk: Desk, status_bar: type[StatusBar], tmp_path: Path
) -> None:
    p1 = desk.create("critical")
    mine = desk.create("high", "--assignee", ME)
    desk.ok("--as", "dmitri", "ticket", "note", mine, "@ivan see the gateway")
    # What the server's jobs inherit: the store, the agent, the clock, the script's folder.
    env = {
        **os.environ,
        "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HELPDESK_AGENT": ME,
        "HELPDESK_TUI_NOW": (FROZEN + timedelta(minutes=50)).isoformat(),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    env.pop("TMUX", None)
    bar = status_bar(env, tmp_path)
    shown = bar.read_until("✉1")
    assert "P1:1 ⚠1 ✉1" in shown
    # Acknowledged in another terminal: the next poll of the status line drops it.
    desk.ok("ticket", "update", p1, "--status", "open")
    bar.read_until("⚠1 ✉1", before="P1:1 ")


@pytest.mark.parametrize("value", ["²", "٣", "１０", "0", "3601", "soon", ""])
def test_the_cache_leaves_an_age_that_is_not_ascii_digits_in_range_to_the_parser(
    value: str,
) -> None:
    # "²".isdigit() is true and int("²") fails: before the command line reads it.
    assert status_cache.max_age(["status", "--max-age", value]) is None
    assert status_cache.max_age(["status", f"--max-age={value}"]) is None
    assert status_cache.cached_status(["status", "--max-age", value]) is None
    assert status_cache.max_age(["status", "--max-age", "30"]) == 30
