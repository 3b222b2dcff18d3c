"""$EDITOR from the composer (issue 17, line 2), in a real terminal: ctrl+e hands the
terminal to a scripted editor on the draft file and comes back with its text; an editor
killed before it saves leaves the draft as it was; no editor configured is said."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from helpdesk_tui.store.sql import SqlRepository
from tests.ui.test_tmux import Tmux, _queue_shown, _text, tmux_app  # noqa: F401  (fixture)

TYPING = """#!/bin/sh
# A line typed into the draft, as a person in vim would, then saved.
printf '\\nWritten in the editor over SSH.\\n' >> "$1"
"""

KILLED = """#!/bin/sh
# Killed before it saved anything (a dropped link, a kill -9).
kill -9 $$
"""


def script(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def composer(app: Tmux, typed: str) -> str:
    """The first ticket's reply composer with `typed` in it; the ticket's key."""
    app.wait_until("the queue", _queue_shown, timeout=60)
    app.keys("Enter")
    lines = app.wait_until("the ticket", lambda ls: "Conversation" in _text(ls))
    key = lines[0].split()[0]
    app.keys("r")
    app.wait_until("the composer", lambda ls: "Reply to the customer" in _text(ls))
    app.keys(typed)
    app.wait_until("the typed text", lambda ls: typed in _text(ls))
    return key


def test_ctrl_e_round_trips_the_draft_through_the_editor(
    tmux_app: Callable[..., Tmux],  # noqa: F811
    data_dir: Path,
    tmp_path: Path,
) -> None:
    editor = script(tmp_path, "typing.sh", TYPING)
    app = tmux_app(data_dir, (80, 24), {"EDITOR": editor, "VISUAL": ""})
    key = composer(app, "Typed in the app.")
    app.keys("C-e")
    lines = app.wait_until("the editor's line", lambda ls: "over SSH." in _text(ls))
    assert "Typed in the app." in _text(lines)  # to the editor and back, both lines
    app.keys("C-s")
    app.wait_until("the reply saved", lambda ls: "reply saved" in _text(ls))
    app.quit()
    repo = SqlRepository.open(data_dir / "helpdesk.db", data_dir / "attachments")
    try:
        last = repo.comments(key)[-1].body
    finally:
        repo.close()
    assert last == "Typed in the app.\nWritten in the editor over SSH."


def test_a_killed_editor_keeps_the_draft_and_none_is_said(
    tmux_app: Callable[..., Tmux],  # noqa: F811
    data_dir: Path,
    tmp_path: Path,
) -> None:
    killed = script(tmp_path, "killed.sh", KILLED)
    app = tmux_app(data_dir, (80, 24), {"EDITOR": killed, "VISUAL": ""})
    composer(app, "Kept through a crash.")
    app.keys("C-e")
    # Typing again shows the app has the terminal back (keys sent while the editor runs
    # are the editor's); the draft is as it was before the editor died.
    app.keys(" Back.")
    app.wait_until("back in the composer", lambda ls: "Kept through a crash. Back." in _text(ls))
    app.keys("Escape")  # closed, the draft kept on disk
    app.wait_until("the ticket", lambda ls: "Reply to the customer" not in _text(ls))
    drafts = list((data_dir / "state" / "drafts").glob("*.reply.txt"))
    assert [d.read_text().strip() for d in drafts] == ["Kept through a crash. Back."]
    app.quit()

    bare = tmux_app(data_dir, (80, 24), {"EDITOR": "", "VISUAL": ""})
    composer(bare, " More.")
    bare.keys("C-e")
    bare.wait_until("the warning", lambda ls: "no editor: set $VISUAL or $EDITOR" in _text(ls))
    bare.quit()
