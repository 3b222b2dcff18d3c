"""Time spent on a ticket: the minutes an agent records with a reply or a note.

What a person types ("15m", "1h30m", "90", "1.5h") is read into whole minutes here, and
shown back the same way ("1h30m"), so the composer, the command line and the reports
agree on one spelling. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_MINUTES = 7 * 24 * 60
"""A week: more on one reply or note is a typo (minutes typed as seconds, an extra 0)."""

_AMOUNT = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_SPOKEN = re.compile(rf"(?:{_AMOUNT}\s*h)?\s*(?:{_AMOUNT}\s*m(?:in)?)?")
_EXAMPLES = "like 15m, 1h, 1h30m, 1.5h or 90 (minutes)"


def parse_minutes(text: str) -> int:
    """Whole minutes from "15m", "1h", "1h30m", "90" (minutes) or "1.5h"; a ValueError
    of one line for anything else, or for a time outside 1 minute to a week."""
    spoken = " ".join(text.split()).lower()
    if not spoken:
        raise ValueError(f"no time given (expected something {_EXAMPLES})")
    if len(spoken) > 20:
        raise ValueError(f"not a time: {spoken[:20]!r}… (expected something {_EXAMPLES})")
    if re.fullmatch(_AMOUNT, spoken):
        minutes = float(spoken.replace(",", "."))
    else:
        match = _SPOKEN.fullmatch(spoken)
        if match is None or not (match[1] or match[2]):
            raise ValueError(f"not a time: {spoken!r} (expected something {_EXAMPLES})")
        hours = float((match[1] or "0").replace(",", "."))
        minutes = hours * 60 + float((match[2] or "0").replace(",", "."))
    whole = round(minutes)
    if abs(minutes - whole) > 1e-6:
        raise ValueError(f"{spoken!r} is not a whole number of minutes")
    check_minutes(whole)
    return whole


def check_minutes(minutes: object) -> int:
    """`minutes` if it is a time a reply or note may carry: a whole number from 1 to a
    week; a ValueError of one line otherwise (an import hands over whatever a file held)."""
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise ValueError(f"time spent must be whole minutes, not {type(minutes).__name__}")
    if minutes < 1:
        raise ValueError("time spent must be at least 1 minute")
    if minutes > MAX_MINUTES:
        raise ValueError(f"time spent must be at most a week ({MAX_MINUTES} minutes)")
    return minutes


def format_minutes(minutes: int) -> str:
    """ "45m", "1h30m", "2h", "0m": what `parse_minutes` reads back as the same time."""
    hours, rest = divmod(max(0, minutes), 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


def total_minutes(minutes: Iterable[int | None]) -> int:
    """The sum of the times recorded, leaving out what carried none."""
    return sum(m for m in minutes if m)
