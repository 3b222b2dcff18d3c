"""SLA calendars as SQL rows: working time (F) and its inverse (G) by table lookup.

The SLA engine (domain/sla/calendar.py) counts working time with a monotone function
F(t) over the sorted opening windows of a business calendar, and finds a due instant
as G(F(a) + w). For a report the database does the same on two VALUES tables:

- `days(cal, day, f0, s1, e1, ...)`: per UTC day (epoch seconds // 86400), F at the
  day's start and the opening windows clipped to the day, so F(t) = f0 + the clamped
  parts of the day's windows before t: one equality join per ticket.
- `works(cal, b, s0, c0, ce0, ...)`: per bucket of `bw` working seconds (`bw` the
  shortest window, so a bucket meets at most two windows; the one before guards a
  bucket number rounded up), the windows G may land in, with F at their start (c)
  and end (ce): G(W) = s + (W - c) for the first whose ce >= W, as the engine's
  `bisect_left` on its ends.

Every window bound of a calendar is a whole second and every F value a whole number,
so in double precision F(t) for a microsecond instant, W = F + w and G(W) are exact:
the database computes the very floats the engine computes, whatever F's origin (here
the start of the first window the rows hold). A calendar with a fractional bound, or
one whose buckets would be too many, is refused (None): the report is read in Python.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

from ...domain.sla import BusinessCalendar, Calendar

DAY = 86400
MAX_BUCKETS = 200_000
"""More buckets than this (very short windows over a long period) and the report is
read in Python: the VALUES table would cost more than it saves."""
NO_WINDOW = (0, 0, -1)
"""(s, c, ce) of "no window here": ce = -1 is below every W, so it is never chosen."""


@dataclass
class CalendarRows:
    """The `days` and `works` rows of the business calendars a report's targets use."""

    lo: float
    """The earliest instant F is asked at (the first ticket's creation)."""
    hi: float
    """Just past the latest instant F is asked at."""
    ids: dict[Calendar, int] = field(default_factory=dict)
    reach: dict[Calendar, float] = field(default_factory=dict)
    """The most working seconds any target counts on the calendar (0: hours only)."""

    def id_of(self, calendar: Calendar, reach: float = 0.0) -> int:
        """The calendar's number in the rows; 0 for 24/7, which needs none (F(t) = t)."""
        if calendar.always_open:
            return 0
        number = self.ids.setdefault(calendar, len(self.ids) + 1)
        self.reach[calendar] = max(self.reach.get(calendar, 0.0), reach)
        return number

    def rows(self) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], dict[int, int]] | None:
        """(days rows, works rows, bucket width by calendar number), or None when a
        calendar cannot be expressed exactly."""
        days: list[list[int]] = []
        works: list[tuple[int, ...]] = []
        widths: dict[int, int] = {}
        for calendar, number in self.ids.items():
            windows = _windows(calendar, self.lo, self.hi, self.reach[calendar])
            if windows is None:
                return None
            days.extend(_day_rows(number, windows, self.lo, self.hi))
            made = _work_rows(number, windows)
            if made is None:
                return None
            width, rows = made
            widths[number] = width
            works.extend(rows)
        pieces = max((len(r) - 3) // 2 for r in days) if days else 1
        padded = [tuple(r + [r[1] * DAY, r[1] * DAY] * (pieces - (len(r) - 3) // 2)) for r in days]
        return padded, works, widths


def _windows(
    calendar: Calendar, lo: float, hi: float, reach: float
) -> list[tuple[int, int]] | None:
    """The calendar's opening windows from the day of `lo` to past where `reach`
    working seconds after `hi` end, as whole epoch seconds; None if one is not whole."""
    if not isinstance(calendar, BusinessCalendar):
        return None
    out: list[tuple[int, int]] = []
    for s, e in calendar.windows_between(lo, hi, reach):
        if not (float(s).is_integer() and float(e).is_integer()):
            return None
        out.append((int(s), int(e)))
    return out or None


def _day_rows(number: int, windows: list[tuple[int, int]], lo: float, hi: float) -> list[list[int]]:
    """One row per UTC day of [lo, hi): F at its start, then its clipped windows."""
    rows: list[list[int]] = []
    first, last = math.floor(lo / DAY), math.floor(hi / DAY)
    done = 0  # working seconds of the windows wholly before the current day
    i = 0
    for day in range(first, last + 1):
        start, end = day * DAY, (day + 1) * DAY
        while i < len(windows) and windows[i][1] <= start:
            done += windows[i][1] - windows[i][0]
            i += 1
        f0 = done + (start - windows[i][0] if i < len(windows) and windows[i][0] < start else 0)
        row = [number, day, f0]
        j = i
        while j < len(windows) and windows[j][0] < end:
            row += [max(windows[j][0], start), min(windows[j][1], end)]
            j += 1
        rows.append(row)
    return rows


def _work_rows(
    number: int, windows: list[tuple[int, int]]
) -> tuple[int, list[tuple[int, ...]]] | None:
    """(bucket width, rows): per bucket of working time, the windows G may land in."""
    width = min(e - s for s, e in windows)
    ends: list[int] = []
    cum: list[int] = []
    acc = 0
    for s, e in windows:
        cum.append(acc)
        acc += e - s
        ends.append(acc)
    count = acc // width + 1
    if width < 1 or count > MAX_BUCKETS:
        return None
    rows: list[tuple[int, ...]] = []
    for b in range(count):
        j = bisect_left(ends, b * width)
        if j >= len(windows):
            break
        parts: list[tuple[int, int, int]] = []
        for k in (j - 1, j, j + 1):
            ok = 0 <= k < len(windows)
            parts.append((windows[k][0], cum[k], ends[k]) if ok else NO_WINDOW)
        rows.append((number, b, *(v for part in parts for v in part)))
    return width, rows
