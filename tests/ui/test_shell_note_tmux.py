"""`!` on the real entry point in a real terminal (issue 19, line 2): a command whose
output holds a colour sequence, run and added with two Enters, read back from the
screen and the store without the escape sequence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpdesk_tui.domain.model import CommentKind
from helpdesk_tui.service.tickets import COMMAND_EVENT
from helpdesk_tui.store.sql import SqlRepository
from tests.ui.test_tmux import Tmux, _queue_shown, _text, tmux_app  # noqa: F401  (fixture)

COMMAND = "printf 'disk\\033[31m full\\n'"
"""Typed as is: printf turns \\033 into ESC, so the output is "disk", a red SGR, " full"."""


def test_bang_runs_a_command_and_adds_its_output_as_a_note(
    tmux_app: Callable[..., Tmux],  # noqa: F811
    data_dir: Path,
) -> None:
    app = tmux_app(data_dir, (80, 24))
    app.wait_until("the queue", _queue_shown, timeout=60)
    app.keys("Enter")
    lines = app.wait_until("the ticket", lambda ls: "Conversation" in _text(ls))
    key = lines[0].split()[0]
    app.keys("!")
    app.wait_until("the dialog", lambda ls: "Run a command for an internal note" in _text(ls))
    app.keys("-l", COMMAND)  # literally: no key names looked up in it
    app.wait_until("the command typed", lambda ls: "printf 'disk" in _text(ls))
    app.keys("Enter")
    lines = app.wait_until("the output", lambda ls: "enter add as an internal note" in _text(ls))
    assert any(line.strip("█║ ").strip() == "disk full" for line in lines), _text(lines)
    app.keys("Enter")
    lines = app.wait_until(
        "the note", lambda ls: "INTERNAL NOTE" in _text(ls) and "[exit 0]" in _text(ls)
    )
    screen = _text(lines)
    assert f"$ {COMMAND}" in screen, screen
    # The output's line reads as plain words: no "[31m" left of the escape sequence.
    output = [x.strip("║ ") for x in lines if "disk" in x and "printf" not in x]
    assert output == ["disk full"], screen
    styled = app.styled_screen()
    # The output's own red never reaches the terminal: only the app's colours do.
    assert "disk\x1b[31m" not in styled
    app.quit()
    repo = SqlRepository.open(data_dir / "helpdesk.db", data_dir / "attachments")
    try:
        note = repo.comments(key)[-1]
        commands = [e.new for e in repo.history(key) if e.field == COMMAND_EVENT]
    finally:
        repo.close()
    assert note.kind is CommentKind.NOTE
    assert note.body == f"$ {COMMAND}\n    disk full\n[exit 0]"
    assert commands == [COMMAND]
