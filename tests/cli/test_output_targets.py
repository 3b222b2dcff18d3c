"""Where the command line writes: an export's file (never a device, a pipe, a socket or a
folder turned into a regular file; a symlink followed to its target), a full stdout,
and the lines `team add` prints and refuses."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpdesk_tui.cli import main as cli_main
from tests.conftest import FROZEN

from .test_cli import create, run, store  # noqa: F401  (the fixture)

SCRIPT = Path(sys.executable).with_name("helpdesk-tui")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))  # the node stays after the socket closes


def _device(path: Path) -> None:
    # A node of our own, never /dev/null: a regression would replace it, not the system's.
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "kind", "said"),
    [
        (_fifo, stat.S_ISFIFO, "it is a named pipe"),
        (_socket, stat.S_ISSOCK, "it is a socket"),
        (_device, stat.S_ISCHR, "it is a device"),
        (_folder, stat.S_ISDIR, "it is a folder"),
    ],
    ids=["fifo", "socket", "device", "folder"],
)
@pytest.mark.parametrize("through_a_link", [False, True], ids=["direct", "symlink"])
def test_export_refuses_what_is_not_a_regular_file(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Callable[[Path], None],
    kind: Callable[[int], bool],
    said: str,
    through_a_link: bool,
) -> None:
    create(capsys)
    folder = tmp_path / "out"
    folder.mkdir()
    node = folder / "node"
    make(node)
    given = node
    if through_a_link:
        given = folder / "link.jsonl"
        given.symlink_to(node)
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = run(capsys, "export", str(given), "--format", "jsonl")
    assert (code, out) == (2, ""), err
    assert err == f"helpdesk-tui: cannot write {given}: {said}, not a regular file\n"
    assert kind(node.lstat().st_mode)  # still what it was, not a regular file
    assert given.is_symlink() == through_a_link
    assert sorted(p.name for p in folder.iterdir()) == before  # no .part left behind


def test_export_refuses_a_loop_of_symlinks(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    create(capsys)
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "export", str(tmp_path / "a.jsonl"))
    assert (code, out) == (2, "")
    assert err == f"helpdesk-tui: cannot write {tmp_path / 'a.jsonl'}: a loop of symbolic links\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "a.jsonl").is_symlink() and (tmp_path / "b.jsonl").is_symlink()


def test_export_through_a_symlink_replaces_its_target_and_keeps_the_link(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    key = create(capsys)
    real = tmp_path / "backups" / "latest.jsonl"
    real.parent.mkdir()
    real.write_text("the old export\n")
    link = tmp_path / "export.jsonl"
    link.symlink_to(real)
    code, _, err = run(capsys, "export", str(link))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real
    [record] = [json.loads(line) for line in real.read_text().splitlines()]
    assert record["key"] == key
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest.jsonl"]


@pytest.fixture
def script_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of the installed `helpdesk-tui`, on a store with one ticket."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HELPDESK_TUI_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "HELPDESK_TUI_CACHE_DIR": str(tmp_path / "cache"),
        "HELPDESK_TUI_NOW": FROZEN.isoformat(),
        "LANG": "C.UTF-8",
    }
    made = subprocess.run(
        [str(SCRIPT), "ticket", "create", "--subject", "Checkout fails"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    yield env


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["ticket", "list"],
        ["export", "-"],
        ["report", "--format", "csv"],
        ["ticket", "show", "HD-1"],
    ],
    ids=["list", "export", "report", "show"],
)
def test_a_full_stdout_is_one_line_exit_2(script_env: dict[str, str], argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(SCRIPT), *argv], stdout=full, stderr=subprocess.PIPE, env=script_env, timeout=60
        )
    err = done.stderr.decode()
    assert (done.returncode, err) == (
        2,
        "helpdesk-tui: cannot write the output: No space left on device\n",
    ), err


def test_team_add_refuses_a_team_that_exists_and_keeps_it(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "team", "add", "Frontline", "--description", "first line")[0] == 0
    code, out, err = run(capsys, "team", "add", "Frontline")
    assert (code, out) == (2, "")
    assert err == "helpdesk-tui: team Frontline exists; nothing changed\n"
    code, out, _ = run(capsys, "team", "list")
    assert out.split() == ["Frontline", "first", "line"]
    _, out, _ = run(capsys, "agent", "history")
    assert [line.split("  ", 2)[2] for line in out.splitlines() if "team:" in line] == [
        "team:Frontline: (new) → first line"  # written once: the refusal wrote nothing
    ]


def test_team_add_shows_a_name_with_an_escape_sequence_inert(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "team", "add", "\x1b[31mRed")
    assert code == 0, err
    assert "\x1b" not in out and out == "team \N{REPLACEMENT CHARACTER}Red saved\n"


def test_a_full_file_is_named_and_other_os_errors_stay_bugs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[OSError] = []

    def failing(argv: object) -> int:
        raise raised[-1]

    monkeypatch.setattr(cli_main, "_main", failing)
    raised.append(OSError(errno.EDQUOT, "Disk quota exceeded", "/srv/drafts/HD-2.reply.txt"))
    assert cli_main.main([]) == 2
    assert capsys.readouterr().err == (
        "helpdesk-tui: cannot write /srv/drafts/HD-2.reply.txt: Disk quota exceeded\n"
    )
    raised.append(OSError(errno.EACCES, "Permission denied"))
    assert cli_main.main([]) == cli_main.EXIT_BUG
    assert "internal error (PermissionError)" in capsys.readouterr().err
