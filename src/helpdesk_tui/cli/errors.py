"""How a refusal reaches the user: one line on stderr and exit status 2."""

from __future__ import annotations

from ..domain.text import safe_line

EXIT_REFUSED = 2
MAX_MESSAGE = 400
"""A refusal quotes what it refuses; a 100,000-character input stays one readable line."""


class CliError(Exception):
    """A refusal to report as one line with exit status 2."""


def one_line(text: str) -> str:
    line = safe_line(" ".join(text.split()))
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"
