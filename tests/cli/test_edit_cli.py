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


def drafts(tmp_path: Path) -> Path:
    """Where --edit keeps its drafts: the isolated data dir's state folder."""
    return tmp_path / "data" / "state" / "drafts"


@pytest.mark.parametrize("action", ["reply", "note"])
def test_a_sent_edit_removes_its_draft_so_it_is_not_sent_twice(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    action: str,
) -> None:
    key = create(capsys)
    draft = drafts(tmp_path) / f"{key}.{action}.txt"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "typing.sh", TYPING))
    # Refused after the editor (an attachment that is not there): the draft stays.
    code, out, err = run(capsys, "ticket", action, key, "--edit", "--attach", "/nonexistent/f")
    assert (code, out) == (2, "") and "/nonexistent/f" in err
    assert draft.read_text() == "Checked the gateway: certificate renewed.\n"
    # Sent: it starts from the kept draft, and the draft goes.
    code, _, err = run(capsys, "ticket", action, key, "--edit")
    assert code == 0, err
    assert not draft.exists()
    # The next --edit starts from nothing: one more line, not the same reply again.
    code, _, err = run(capsys, "ticket", action, key, "--edit")
    assert code == 0, err
    shown = json.loads(run(capsys, "ticket", "show", key, "--json")[1])
    sent = [c["body"] for c in shown["conversation"] if c["kind"] == action]
    typed = "Checked the gateway: certificate renewed."
    assert sent == [f"{typed}\n{typed}", typed]  # the kept draft, then only the new text


WRITING_LATIN1 = """#!/bin/sh
printf 'caf\\351\\n' > "$1"
"""


def test_a_draft_that_is_not_utf8_is_one_line_naming_it(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key = create(capsys)
    draft = drafts(tmp_path) / f"{key}.note.txt"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"caf\xe9 au lait")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "typing.sh", TYPING))
    for given in ([], ["a start"]):
        code, out, err = run(capsys, "ticket", "note", key, "--edit", *given)
        assert (code, out) == (2, ""), err
        assert err == (
            f"helpdesk-tui: the draft {draft} is not UTF-8 text (byte 0xe9 at offset 3); "
            f"convert it to UTF-8, or set it aside: mv {draft} {draft}.bad\n"
        )
        assert draft.read_bytes() == b"caf\xe9 au lait"  # kept as it was
    assert notes(capsys, key) == []
    # Set aside as the line says, --edit works again.
    draft.rename(f"{draft}.bad")
    assert run(capsys, "ticket", "note", key, "--edit")[0] == 0
    assert notes(capsys, key) == ["Checked the gateway: certificate renewed."]
    # An editor that saves in another encoding: refused the same way, its text kept.
    monkeypatch.setenv("EDITOR", editor(tmp_path, "latin1.sh", WRITING_LATIN1))
    code, out, err = run(capsys, "ticket", "note", key, "--edit")
    assert (code, out) == (2, "") and "is not UTF-8 text (byte 0xe9" in err
    assert draft.read_bytes() == b"caf\xe9\n"
    assert len(notes(capsys, key)) == 1


def test_a_draft_that_cannot_be_written_or_removed_is_said_in_one_line(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from helpdesk_tui.ui.drafts import Drafts

    key = create(capsys)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "typing.sh", TYPING))
    # The drafts folder is a file: nothing to edit in, nothing sent.
    drafts(tmp_path).parent.mkdir(parents=True)
    drafts(tmp_path).write_text("")
    code, out, err = run(capsys, "ticket", "note", key, "--edit")
    assert (code, out) == (2, "") and err.startswith("helpdesk-tui: cannot write the draft")
    assert err.count("\n") == 1 and notes(capsys, key) == []
    drafts(tmp_path).unlink()

    # Sent, but the draft stays: exit 0 (it was sent), and a warning to remove it.
    def refuse(self: Drafts, key: str, kind: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Drafts, "discard", refuse)
    code, out, err = run(capsys, "ticket", "note", key, "POS 3:", "--edit")
    assert code == 0 and out == f"noted on {key}\n"
    assert err.startswith("helpdesk-tui: warning: cannot remove the draft") and "--edit" in err
    assert notes(capsys, key) == ["POS 3:Checked the gateway: certificate renewed."]
