"""ui/shell.py on a real /bin/sh: what `!` runs, how it is stopped, and what it keeps of
the output (the dialog is tests/ui/test_shell_note.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import MAX_BODY
from helpdesk_tui.ui.shell import CommandRun, Ended, note_body, run_command


def run(command: str, *, timeout: float = 10, cap_kib: int = 64) -> CommandRun:
    return run_command(command, timeout=timeout, cap_kib=cap_kib)


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie nobody reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_exit_status_and_both_outputs_together_in_order() -> None:
    done = run("echo out; echo err >&2; echo again; exit 3")
    assert done.output == "out\nerr\nagain\n"
    assert (done.ended, done.returncode, done.status) == (Ended.EXITED, 3, "exit 3")
    assert not done.succeeded
    ok = run("true")
    assert (ok.output, ok.returncode, ok.status, ok.succeeded) == ("", 0, "exit 0", True)


def test_a_command_that_is_not_found_says_so_with_127() -> None:
    done = run("no-such-command-here --now")
    assert done.returncode == 127 and done.status == "exit 127"
    assert "no-such-command-here" in done.output and "not found" in done.output


def test_the_agents_own_environment_and_no_standard_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPDESK_SHELL_PROBE", "from the agent")
    assert run('echo "$HELPDESK_SHELL_PROBE"').output == "from the agent\n"
    started = time.monotonic()
    done = run("cat; echo read-nothing")  # /dev/null: no wait for a keyboard
    assert done.output == "read-nothing\n" and time.monotonic() - started < 5


def test_a_timeout_kills_the_command_and_what_it_started_at_once() -> None:
    started = time.monotonic()
    done = run("sleep 60 & echo $!; sleep 60", timeout=0.5)
    took = time.monotonic() - started
    assert took < 3, took
    assert done.ended is Ended.TIMED_OUT and done.returncode is None
    assert done.status.startswith("stopped after 0.") and "timeout" in done.status
    child = int(done.output.split()[0])
    deadline = time.monotonic() + 2
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), f"the background sleep {child} outlived the timeout"


def test_a_background_job_left_behind_is_not_waited_for_and_is_stopped() -> None:
    started = time.monotonic()
    done = run("sleep 60 & echo $!; echo shell done", timeout=30)
    assert time.monotonic() - started < 5
    assert done.ended is Ended.EXITED and done.returncode == 0
    child = int(done.output.split()[0])
    time.sleep(0.2)
    assert not alive(child)


def test_stop_ends_a_running_command_at_once() -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    done = run_command("echo before; sleep 100", timeout=60, cap_kib=64, stop=stop)
    assert time.monotonic() - started < 3
    assert done.ended is Ended.STOPPED and done.returncode is None
    assert done.output == "before\n" and done.status == "stopped by the agent"


def test_ten_mebibytes_are_cut_at_the_cap_without_holding_them() -> None:
    tracemalloc.start()
    try:
        started = time.monotonic()
        done = run("head -c 10485760 /dev/zero | tr '\\0' x; echo end", cap_kib=64)
        took = time.monotonic() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done.ended is Ended.CUT and done.status == "output cut at 64 KiB"
    assert done.output == "x" * 65536 and "end" not in done.output
    assert peak < 1024 * 1024, f"{peak:,} bytes held for a 64 KiB cap"
    assert took < 5, took


def test_an_endless_writer_is_cut_and_stopped() -> None:
    started = time.monotonic()
    done = run("yes", cap_kib=4)
    assert done.ended is Ended.CUT and len(done.output) == 4096
    assert time.monotonic() - started < 3
    urandom = run("cat /dev/urandom", cap_kib=4)
    assert urandom.ended is Ended.CUT and len(urandom.output) <= 4096


def test_colour_osc_and_bell_are_removed_whole() -> None:
    done = run(
        "printf 'disk\\033[31m full\\033[0m\\n';"
        "printf '\\033]52;c;c2VjcmV0\\007copied?\\n';"
        "printf '\\033]8;;https://evil.example\\033\\\\a link\\033]8;;\\033\\\\\\n';"
        "printf 'bell\\007 rung\\n'; printf '50%%\\r100%%\\n'"
    )
    assert done.output == "disk full\ncopied?\na link\nbell rung\n100%\n"
    assert "c2VjcmV0" not in done.output and "evil" not in done.output


def test_ls_with_colour_reads_as_plain_names(tmp_path: Path) -> None:
    (tmp_path / "alpha").mkdir()
    (tmp_path / "beta.sh").write_text("")
    (tmp_path / "beta.sh").chmod(0o755)
    done = run(f"ls --color=always {tmp_path}")
    assert done.output.split() == ["alpha", "beta.sh"]


def test_invalid_utf8_is_replaced_and_a_character_cut_in_half_is_left_out() -> None:
    done = run("printf 'caf\\303\\251 \\377\\376 ok\\n'")
    assert done.output == "café \ufffd\ufffd ok\n"
    # 1023 bytes, then "é" (2 bytes) across the 1 KiB cap: its first byte is not shown
    # as a replacement character.
    cut = run("head -c 1023 /dev/zero | tr '\\0' a; printf '\\303\\251tail'", cap_kib=1)
    assert cut.ended is Ended.CUT and cut.output == "a" * 1023


def test_the_note_has_the_command_the_indented_output_and_the_end() -> None:
    done = run("printf 'Filesystem Size\\n/dev/sda1  50G\\n\\nend\\n'; exit 2")
    assert note_body(done) == (
        "$ printf 'Filesystem Size\\n/dev/sda1  50G\\n\\nend\\n'; exit 2\n"
        "    Filesystem Size\n"
        "    /dev/sda1  50G\n"
        "\n"
        "    end\n"
        "[exit 2]"
    )
    assert note_body(run("true")) == "$ true\n    (no output)\n[exit 0]"


def test_a_note_never_holds_more_than_a_message_may() -> None:
    # The largest cap the config allows (1024 KiB) of short lines is over MAX_BODY once
    # indented: the note is cut, and says so.
    done = run("yes 0123456789", cap_kib=1024)
    body = note_body(done)
    assert len(body) <= MAX_BODY
    assert "the rest does not fit in a note" in body
    assert body.endswith("[output cut at 1024 KiB]")


def test_the_runner_imports_no_textual() -> None:
    probe = "import sys, helpdesk_tui.ui.shell; print('textual' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
