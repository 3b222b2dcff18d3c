"""Charts made of characters, for the metrics screen and `report`: bars and sparklines.

Plain strings, no styling: the screen colours them, the command line prints them.
A terminal that cannot show block characters gets the ASCII glyphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Glyphs:
    full: str
    empty: str
    levels: str
    """Sparkline levels, lowest first."""
    gap: str
    """A sparkline point with no value (a week without tickets)."""


UNICODE = Glyphs("█", "░", "▁▂▃▄▅▆▇█", " ")
ASCII = Glyphs("#", ".", "_.-=+*%#", " ")


def glyphs_for(encoding: str | None) -> Glyphs:
    """The glyphs an output stream in `encoding` can carry."""
    try:
        (UNICODE.full + UNICODE.empty + UNICODE.levels).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def bar_cells(fraction: float, width: int) -> int:
    """How many of `width` cells a bar of `fraction` (0..1) fills; a non-zero value
    always shows at least one cell, and only a whole shows all of them."""
    fraction = min(1.0, max(0.0, fraction))
    cells = round(fraction * width)
    if fraction > 0 and cells == 0:
        return 1
    if fraction < 1 and cells == width:
        return width - 1
    return cells


def bar(fraction: float, width: int, glyphs: Glyphs = UNICODE, *, track: bool = True) -> str:
    """A horizontal bar; `track` pads the unfilled part so bars line up as a scale."""
    filled = bar_cells(fraction, width)
    return glyphs.full * filled + (glyphs.empty * (width - filled) if track else "")


def sparkline(
    values: Sequence[float | None],
    glyphs: Glyphs = UNICODE,
    *,
    low: float | None = None,
    high: float | None = None,
) -> str:
    """One character per value, scaled between `low` and `high` (default: the values'
    own range, from 0); None shows as a gap."""
    present = [v for v in values if v is not None]
    if not present:
        return glyphs.gap * len(values)
    lo = 0.0 if low is None else low
    hi = max(present) if high is None else high
    top = len(glyphs.levels) - 1
    out = []
    for value in values:
        if value is None:
            out.append(glyphs.gap)
        elif hi <= lo:
            out.append(glyphs.levels[top if value > lo else 0])
        else:
            share = (min(max(value, lo), hi) - lo) / (hi - lo)
            out.append(glyphs.levels[round(share * top)])
    return "".join(out)
