"""`ticket reply/note KEY --edit` (issue 17, line 2): the agent's editor on the app's own
draft file; its text is sent. No editor, a failing editor or an empty text is one line,
exit 2, and nothing is written; the draft stays for the next try."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from .test_cli import create, run, store  # noqa: F401  (the fixture)

TYPING = """#!/bin/sh
printf 'Checked the gateway: certificate renewed.\\n' >> "$1"
"""
EMPTYING = """#!/bin/sh
printf "" > "$1"
"""
FAILING = """#!/bin/sh
printf 'half a sentence' >> "$1"
exit 3
"""


def editor(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def notes(capsys: pytest.CaptureFixture[str], key: str) -> list[str]:
    shown = json.loads(run(capsys, "ticket", "show", key, "--json")[1])
    return [c["body"] for c in shown["conversation"] if c["kind"] == "note"]


def test_edit_sends_what_the_editor_saved_and_refuses_the_rest(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key = create(capsys)
    # No editor: said in one line, nothing written.
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "")
    code, out, err = run(capsys, "ticket", "note", key, "--edit")
    assert (code, out) == (2, "") and "no editor: set $VISUAL or $EDITOR" in err
    # An editor that fails: its draft is kept, nothing is sent.
    monkeypatch.setenv("EDITOR", editor(tmp_path, "failing.sh", FAILING))
    code, out, err = run(capsys, "ticket", "note", key, "--edit")
    assert (code, out) == (2, "") and "exited with status 3; the draft is kept" in err
    assert notes(capsys, key) == []
    # Emptied in the editor: the message is empty.
    monkeypatch.setenv("EDITOR", editor(tmp_path, "emptying.sh", EMPTYING))
    code, out, err = run(capsys, "ticket", "note", key, "--edit")
    assert (code, out) == (2, "") and "the message is empty" in err
    # Filled: the text given is where the editor starts; what it saved is sent.
    monkeypatch.setenv("VISUAL", editor(tmp_path, "typing.sh", TYPING))
    code, out, err = run(capsys, "ticket", "note", key, "POS 3:", "--edit")
    assert code == 0, err
    assert notes(capsys, key) == ["POS 3:Checked the gateway: certificate renewed."]
