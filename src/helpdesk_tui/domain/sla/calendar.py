"""Business calendars: when an SLA clock runs, and working-time arithmetic on them.

How time is counted
-------------------
A calendar is a monotone function F(t): working seconds elapsed since an arbitrary
origin. Working time between two instants is F(b) - F(a), and "the instant when W
working seconds have elapsed after a" is the inverse, G(F(a) + W). For 24/7, F(t) = t.
A business calendar precomputes, per local year and on demand, the sorted UTC epoch
bounds of its opening windows (each local window converted through zoneinfo, so DST
is exact) with prefix sums of their lengths; F and G are then one `bisect` each.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_SECONDS = 86400
_MIN_YEAR = 2
_MAX_YEAR = 9998
"""Calendar tables cover a year either side of what is asked, inside datetime's range."""

ALWAYS_CALENDAR_NAME = "24x7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def epoch_seconds(dt: datetime, what: str = "instant") -> float:
    """Epoch seconds of an aware datetime; naive ones are ambiguous, so refused."""
    if dt.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {dt.isoformat()})")
    return dt.timestamp()


def utc_from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Calendar(ABC):
    """When the clock runs. Subclasses provide F (`_work_at`) and its inverse (`_instant_at`)."""

    __slots__ = ("name",)

    name: str

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds between two instants; 0 if `end` is not after `start`."""
        a = epoch_seconds(start, "start")
        b = epoch_seconds(end, "end")
        if b <= a:
            return 0.0
        return self._work_at(b) - self._work_at(a)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have elapsed after `start` (UTC).

        Outside working hours counting starts at the next opening; a period that ends
        exactly at a closing time returns that closing time. `add(t, 0)` is `t`.
        """
        a = epoch_seconds(start, "start")
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"cannot add {seconds!r} working seconds")
        if seconds == 0:
            return start.astimezone(UTC)
        t = self._instant_at(self._work_at(a) + seconds)
        return utc_from_epoch(t if t > a else a)

    def is_open(self, t: datetime) -> bool:
        """Whether `t` falls inside working hours (windows are closed-open: [start, end))."""
        return self._open_at(epoch_seconds(t))

    @abstractmethod
    def _work_at(self, t: float) -> float:
        """F(t): cumulative working seconds at epoch instant `t`."""

    @abstractmethod
    def _instant_at(self, w: float) -> float:
        """G(w): the earliest epoch instant at which F reaches `w`."""

    @abstractmethod
    def _open_at(self, t: float) -> bool: ...

    @property
    def always_open(self) -> bool:
        return False

    @property
    def day_seconds(self) -> float:
        """The length of a standard working day: what "1bd" means on this calendar."""
        return float(DAY_SECONDS)


class AlwaysOpenCalendar(Calendar):
    """The 24/7 clock: every second counts, F(t) = t."""

    __slots__ = ()

    def __init__(self) -> None:
        self.name = ALWAYS_CALENDAR_NAME

    def _work_at(self, t: float) -> float:
        return t

    def _instant_at(self, w: float) -> float:
        return w

    def _open_at(self, t: float) -> bool:
        return True

    @property
    def always_open(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "AlwaysOpenCalendar()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AlwaysOpenCalendar)

    def __hash__(self) -> int:
        return hash(ALWAYS_CALENDAR_NAME)


ALWAYS_OPEN = AlwaysOpenCalendar()
"""The shared 24/7 calendar, known to every policy as "24x7"."""

Window = tuple[time, time]
"""(start, end) local times; an end of 00:00 means midnight at the end of the day."""


class _Table:
    """One immutable snapshot of a business calendar's precomputed windows.

    Covers epoch instants [lo, hi) = local Jan 1 of y0 .. local Jan 1 of y1 + 1.
    `cum[i]` is F at `starts[i]`, `cum_end[i]` is F at `ends[i]`; F(lo) = f_lo and
    F(hi) = f_hi. Snapshots are swapped whole, so readers on other threads always see
    consistent arrays, and extending never changes a value F already returned.
    """

    __slots__ = ("cum", "cum_end", "ends", "f_hi", "f_lo", "hi", "lo", "starts", "y0", "y1")

    def __init__(
        self,
        y0: int,
        y1: int,
        lo: float,
        hi: float,
        starts: list[float],
        ends: list[float],
        cum: list[float],
        cum_end: list[float],
        f_lo: float,
        f_hi: float,
    ) -> None:
        self.y0, self.y1, self.lo, self.hi = y0, y1, lo, hi
        self.starts, self.ends, self.cum, self.cum_end = starts, ends, cum, cum_end
        self.f_lo, self.f_hi = f_lo, f_hi


class BusinessCalendar(Calendar):
    """Working hours per weekday in a timezone, minus holidays.

    `hours` has seven entries, Monday first, each a sequence of (start, end) local
    times; `holidays` are local dates on which nothing is open. F and its inverse are
    table lookups; the table grows a year at a time as instants outside it are asked.
    """

    __slots__ = (
        "_day_seconds",
        "_lock",
        "_spans",
        "_table",
        "_zone",
        "holidays",
        "hours",
        "timezone",
    )

    def __init__(
        self,
        name: str,
        timezone: str = "UTC",
        hours: Sequence[Sequence[Window]] = (),
        holidays: Iterable[date] = frozenset(),
    ) -> None:
        self.name = name
        self.timezone = timezone
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {timezone!r}") from exc
        if len(hours) != 7:
            raise ValueError(f"hours needs 7 entries (Monday..Sunday), got {len(hours)}")
        self.hours: tuple[tuple[Window, ...], ...] = tuple(tuple(day) for day in hours)
        self._spans = tuple(day_spans(WEEKDAYS[i], day) for i, day in enumerate(self.hours))
        if not any(self._spans):
            raise ValueError("a business calendar needs at least one opening window a week")
        self.holidays = frozenset(holidays)
        # The most common daily total is the "standard day"; a short Friday stays an
        # exception rather than redefining what a business day is.
        totals = Counter(sum(e - s for s, e in spans) for spans in self._spans if spans)
        self._day_seconds = float(max(totals.items(), key=lambda kv: (kv[1], kv[0]))[0])
        self._table: _Table | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BusinessCalendar(name={self.name!r}, timezone={self.timezone!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return (self.name, self.timezone, self.hours, self.holidays) == (
            other.name,
            other.timezone,
            other.hours,
            other.holidays,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.timezone, self.hours))

    @property
    def day_seconds(self) -> float:
        return self._day_seconds

    # -- the table ------------------------------------------------------------------

    def _year_bounds(self, year: int) -> float:
        return datetime(year, 1, 1, tzinfo=self._zone).timestamp()

    def _windows(self, y0: int, y1: int) -> tuple[list[float], list[float]]:
        """Epoch bounds of every opening window in local years y0..y1 (inclusive)."""
        starts: list[float] = []
        ends: list[float] = []
        zone = self._zone
        spans = self._spans
        holidays = self.holidays
        day = date(y0, 1, 1)
        stop = date(y1 + 1, 1, 1)
        one = timedelta(days=1)
        while day < stop:
            todays = spans[day.weekday()]
            if todays and day not in holidays:
                midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
                for s, e in todays:
                    # Wall-clock arithmetic: combine the local date and time, then let
                    # zoneinfo pick the offset in force at that wall time (DST-exact).
                    a = (midnight + timedelta(seconds=s)).timestamp()
                    b = (midnight + timedelta(seconds=e)).timestamp()
                    if b > a:  # a window swallowed by a DST gap has no length
                        if starts and a < ends[-1]:
                            a = ends[-1]  # a fall-back overlap: count each instant once
                        if b > a:
                            starts.append(a)
                            ends.append(b)
            day += one
        return starts, ends

    def windows_between(self, lo: float, hi: float, reach: float) -> list[tuple[float, float]]:
        """The opening windows (epoch seconds) from the UTC day of `lo` to past where
        `reach` working seconds after `hi` end: the engine's own table, exact across DST
        changes, for a store that computes due instants in SQL (store/sql/calendar_sql.py)."""
        end = self._instant_at(self._work_at(hi) + reach) + 2 * DAY_SECONDS
        start = math.floor(lo / DAY_SECONDS) * DAY_SECONDS
        first = datetime.fromtimestamp(start, UTC).year - 1
        last = datetime.fromtimestamp(end, UTC).year + 1
        table = self._cover(first, last)
        return [
            (s, e) for s, e in zip(table.starts, table.ends, strict=True) if e > start and s < end
        ]

    def _cover(self, y0: int, y1: int) -> _Table:
        """Make the table cover local years y0..y1 (at least) and return the snapshot."""
        y0 = max(y0, _MIN_YEAR)
        y1 = min(y1, _MAX_YEAR)
        with self._lock:
            old = self._table
            if old is not None and old.y0 <= y0 and y1 <= old.y1:
                return old
            if old is None:
                starts, ends = self._windows(y0, y1)
                cum: list[float] = []
                cum_end: list[float] = []
                acc = 0.0
                for a, b in zip(starts, ends, strict=True):
                    cum.append(acc)
                    acc += b - a
                    cum_end.append(acc)
                table = _Table(
                    y0, y1, self._year_bounds(y0), self._year_bounds(y1 + 1),
                    starts, ends, cum, cum_end, 0.0, acc,
                )  # fmt: skip
            else:
                new_y0 = min(y0, old.y0)
                new_y1 = max(y1, old.y1)
                pre_s, pre_e = self._windows(new_y0, old.y0 - 1) if new_y0 < old.y0 else ([], [])
                post_s, post_e = self._windows(old.y1 + 1, new_y1) if new_y1 > old.y1 else ([], [])
                # Earlier windows get values below the old origin so that every F value
                # already handed out stays valid: callers subtract F values freely.
                f_lo = old.f_lo - sum(b - a for a, b in zip(pre_s, pre_e, strict=True))
                pre_c: list[float] = []
                pre_ce: list[float] = []
                acc = f_lo
                for a, b in zip(pre_s, pre_e, strict=True):
                    pre_c.append(acc)
                    acc += b - a
                    pre_ce.append(acc)
                post_c: list[float] = []
                post_ce: list[float] = []
                acc = old.f_hi
                for a, b in zip(post_s, post_e, strict=True):
                    post_c.append(acc)
                    acc += b - a
                    post_ce.append(acc)
                table = _Table(
                    new_y0,
                    new_y1,
                    self._year_bounds(new_y0),
                    self._year_bounds(new_y1 + 1),
                    pre_s + old.starts + post_s,
                    pre_e + old.ends + post_e,
                    pre_c + old.cum + post_c,
                    pre_ce + old.cum_end + post_ce,
                    f_lo,
                    acc,
                )
            self._table = table
            return table

    def _table_for(self, t: float) -> _Table:
        if math.isnan(t) or math.isinf(t):
            raise ValueError(f"cannot place instant {t!r} on a calendar")
        try:
            year = datetime.fromtimestamp(t, UTC).year
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"instant {t!r} is out of range") from exc
        table = self._cover(year - 1, year + 1)
        if not table.lo <= t < table.hi:
            raise ValueError(f"instant {t!r} is out of range")
        return table

    # -- F, G, open -----------------------------------------------------------------

    def _work_at(self, t: float) -> float:
        table = self._table
        if table is None or not table.lo <= t < table.hi:
            table = self._table_for(t)
        starts = table.starts
        i = bisect_right(starts, t) - 1
        if i < 0:
            return table.f_lo
        end = table.ends[i]
        return table.cum[i] + ((t if t < end else end) - starts[i])

    def _instant_at(self, w: float) -> float:
        table = self._table
        if table is None:
            table = self._cover(2000, 2001)
        while not table.f_lo < w <= table.f_hi:
            if math.isnan(w) or math.isinf(w):
                raise ValueError(f"cannot find working time {w!r} on a calendar")
            if w > table.f_hi:
                if table.y1 >= _MAX_YEAR:
                    raise ValueError("working time runs past the year 9998")
                table = self._cover(table.y0, table.y1 + 1)
            else:
                if table.y0 <= _MIN_YEAR:
                    return table.lo
                table = self._cover(table.y0 - 1, table.y1)
        j = bisect_left(table.cum_end, w)
        return table.starts[j] + (w - table.cum[j])

    def _open_at(self, t: float) -> bool:
        table = self._table
        if table is None or not table.lo <= t < table.hi:
            table = self._table_for(t)
        i = bisect_right(table.starts, t) - 1
        return i >= 0 and t < table.ends[i]


def day_spans(day: str, windows: Sequence[Window]) -> tuple[tuple[int, int], ...]:
    """Validate one weekday's windows into sorted (start, end) seconds since midnight."""
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        s = start.hour * 3600 + start.minute * 60 + start.second
        e = end.hour * 3600 + end.minute * 60 + end.second
        if e == 0:
            e = DAY_SECONDS
        if e <= s:
            raise ValueError(
                f"{day}: window {start:%H:%M}-{end:%H:%M} ends before it starts "
                "(split an overnight window across two days)"
            )
        spans.append((s, e))
    spans.sort()
    for (_, e1), (s2, _) in pairwise(spans):
        if s2 < e1:
            raise ValueError(f"{day}: windows overlap")
    return tuple(spans)
