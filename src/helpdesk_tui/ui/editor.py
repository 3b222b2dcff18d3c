"""The agent's own editor ($VISUAL, then $EDITOR) on a draft file, from the composer and
from `ticket reply/note --edit`."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path


class NoEditor(Exception):
    """Neither $VISUAL nor $EDITOR names an editor that can be started."""


def editor_command() -> list[str]:
    """The editor to run, as words ("code --wait" is two); NoEditor when none is set."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                raise NoEditor(f"${name} cannot be read as a command: {value[:60]!r}") from None
            if words:
                return words
    raise NoEditor("no editor: set $VISUAL or $EDITOR (for example EDITOR=vim)")


def edit(path: Path, command: list[str] | None = None) -> int:
    """Run the editor (`command`, else editor_command()) on `path` in this terminal and
    wait for it; its exit status.

    The text is wherever the editor saved it: an editor that is killed leaves the file
    as it last saved it, so the draft that was there is never lost."""
    command = command or editor_command()
    try:
        return subprocess.call([*command, str(path)])
    except OSError as exc:
        raise NoEditor(f"cannot start {command[0]!r}: {exc.strerror or exc}") from None
