"""`cmd | helpdesk-tui ticket note KEY -` (issue 17, line 6): a command's output kept as
plain text, escape sequences and control characters gone, too much refused in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import create, run, store  # noqa: F401  (the fixture)

SCRIPT = Path(sys.executable).with_name("helpdesk-tui")


def piped(key: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """The installed script in a process of its own, with `data` on its standard input."""
    return subprocess.run(
        [str(SCRIPT), "ticket", "note", key, "-"],
        input=data,
        capture_output=True,
        env={**os.environ},
        timeout=60,
    )


def notes(capsys: pytest.CaptureFixture[str], key: str) -> list[str]:
    shown = json.loads(run(capsys, "ticket", "show", key, "--json")[1])
    return [c["body"] for c in shown["conversation"] if c["kind"] == "note"]


def test_a_commands_output_becomes_a_plain_note(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = create(capsys)
    output = (
        b"\x1b[31mERROR\x1b[0m db-03: disk full\n"
        b"\tcol\x07umn\x1b]0;title\x07\n"
        b"copying 10%\rcopying 100%\n"
        b"  kept  spacing\n"
    )
    done = piped(key, output)
    assert done.returncode == 0, done.stderr
    assert notes(capsys, key) == [
        "ERROR db-03: disk full\n        column\ncopying 100%\n  kept  spacing"
    ]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "the message is empty"),
        (b"\x1b[2J\n\n", "the message is empty"),
        (b"\xff\xfe log", "stdin: not UTF-8 text (byte 0xff)"),
        (b"a" * 1_000_001, "stdin: more than 1,000,000 characters"),
    ],
    ids=["empty", "only-escapes", "not-utf-8", "too-long"],
)
def test_empty_bad_or_too_much_input_is_one_line_and_nothing_written(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    said: str,
) -> None:
    key = create(capsys)
    done = piped(key, data)
    assert done.returncode == 2 and done.stdout == b""
    assert said in done.stderr.decode() and done.stderr.count(b"\n") == 1
    assert notes(capsys, key) == []
