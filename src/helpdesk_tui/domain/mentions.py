"""`@name` in an internal note: the agents it calls in."""

from __future__ import annotations

import re

# After a space, a line start, "(" or a comma: "ann@example.com" mentions nobody, and
# neither does "[@click=...]" (markup a customer pasted, quoted in a note).
_MENTION = re.compile(r"(?:(?<=^)|(?<=[\s(,;]))@([A-Za-z0-9][A-Za-z0-9._-]*)", re.MULTILINE)

MENTION_EVENT = "mention"
"""The history entry a mention writes, naming the agent (in `new`)."""


def mentioned(text: str) -> tuple[str, ...]:
    """The names mentioned in `text`, each once, in order; a trailing dot or dash (end
    of a sentence) is not part of the name."""
    names = (match.group(1).rstrip(".-_") for match in _MENTION.finditer(text))
    return tuple(dict.fromkeys(name for name in names if name))


def current_word(text: str, at: int) -> str | None:
    """The `@name` being typed just before `at` (without the @), for completion."""
    before = text[:at]
    match = re.search(r"(?:^|[\s(,;])@([A-Za-z0-9._-]*)$", before)
    return None if match is None else match.group(1)
