"""What the customer wrote above the quote: the reply itself, a survey score, a
confirmation that the resolution worked."""

from __future__ import annotations

import re

from ..domain.triage.own_words import reply_above_quote

reply_part = reply_above_quote
"""What a reply says above the quoted earlier message and the signature (one
implementation with triage's: `domain/triage/own_words.py`)."""


_SCORE = re.compile(
    r"^\s*\**([1-5])\**(?![0-9])(?![.,][0-9])(?:\s*(?:/|out of|of)\s*5)?(?:\s*(?:stars?|points?))?"
    r"\s*[-–—:.,!)]*\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_CONFIRM = re.compile(
    r"^(?:i\s+)?(?:confirm(?:ed)?|solved|resolved|fixed|it\s+works)\b[\s,.!]*"
    r"(?:(?:many\s+)?thanks?(?:\s+you)?(?:\s+\w+)?[\s,.!]*)?$",
    re.IGNORECASE,
)


def score_of(text: str) -> tuple[int, str] | None:
    """A survey answer: the score on the first line of the reply, and the comment after it."""
    reply = reply_part(text)
    first, _, rest = reply.partition("\n")
    match = _SCORE.match(first)
    if match is None:
        return None
    comment = "\n".join(part for part in (match["rest"].strip(), rest.strip()) if part)
    return int(match[1]), comment


def is_confirmation(text: str) -> bool:
    """The reply says only that the resolution worked ("CONFIRM", "Solved, thanks!")."""
    return bool(_CONFIRM.match(" ".join(reply_part(text).split())))
