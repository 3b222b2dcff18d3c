"""The SLA engine: business calendars, policies, and the state of every SLA clock.

Pure Python: no I/O, no wall clock, no framework. Time is a parameter (`now`), and
every instant going in or out is a timezone-aware datetime (naive ones are refused).

How time is counted
-------------------
A calendar is a monotone function F(t): working seconds elapsed since an arbitrary
origin. Working time between two instants is F(b) - F(a), and "the instant when W
working seconds have elapsed after a" is the inverse, G(F(a) + W). For 24/7, F(t) = t.
A business calendar precomputes, per local year and on demand, the sorted UTC epoch
bounds of its opening windows (each local window converted through zoneinfo, so DST
is exact) with prefix sums of their lengths; F and G are then one `bisect` each.

How a target is measured
------------------------
A target (first response, resolution, periodic update) starts at an anchor (the
ticket's creation, or its last public update), runs on its calendar, and stands still
during the ticket's pauses whose status the policy lists. Its due instant is where the
counted working time reaches the target duration. A stop event (first response,
resolution) meets it if it comes no later than the due instant, else breaches it.
"""

from __future__ import annotations

import enum
import math
import re
import threading
import tomllib
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import ACTIVE_STATUSES, Priority, Status, Ticket
from .text import N_

__all__ = [
    "ALWAYS_OPEN",
    "ActionVerb",
    "AlwaysOpenCalendar",
    "BreachAction",
    "BreachRule",
    "BusinessCalendar",
    "Calendar",
    "ClockState",
    "Policy",
    "PolicyError",
    "PriorityTargets",
    "TargetKind",
    "TargetSpec",
    "TargetStatus",
    "evaluate",
    "evaluate_many",
    "format_remaining",
    "next_due",
    "parse_duration",
    "parse_policy",
    "sla_columns",
]

_INF = math.inf
_SECOND = timedelta(seconds=1)
_DAY = 86400
_MIN_YEAR = 2
_MAX_YEAR = 9998
"""Calendar tables cover a year either side of what is asked, inside datetime's range."""

ALWAYS_CALENDAR_NAME = "24x7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _ts(dt: datetime, what: str = "instant") -> float:
    """Epoch seconds of an aware datetime; naive ones are ambiguous, so refused."""
    if dt.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {dt.isoformat()})")
    return dt.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# --------------------------------------------------------------------------- calendars


class Calendar(ABC):
    """When the clock runs. Subclasses provide F (`_work_at`) and its inverse (`_instant_at`)."""

    __slots__ = ("name",)

    name: str

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds between two instants; 0 if `end` is not after `start`."""
        a = _ts(start, "start")
        b = _ts(end, "end")
        if b <= a:
            return 0.0
        return self._work_at(b) - self._work_at(a)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have elapsed after `start` (UTC).

        Outside working hours counting starts at the next opening; a period that ends
        exactly at a closing time returns that closing time. `add(t, 0)` is `t`.
        """
        a = _ts(start, "start")
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"cannot add {seconds!r} working seconds")
        if seconds == 0:
            return start.astimezone(UTC)
        t = self._instant_at(self._work_at(a) + seconds)
        return _dt(t if t > a else a)

    def is_open(self, t: datetime) -> bool:
        """Whether `t` falls inside working hours (windows are closed-open: [start, end))."""
        return self._open_at(_ts(t))

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
        return float(_DAY)


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
        self._spans = tuple(_day_spans(WEEKDAYS[i], day) for i, day in enumerate(self.hours))
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


def _day_spans(day: str, windows: Sequence[Window]) -> tuple[tuple[int, int], ...]:
    """Validate one weekday's windows into sorted (start, end) seconds since midnight."""
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        s = start.hour * 3600 + start.minute * 60 + start.second
        e = end.hour * 3600 + end.minute * 60 + end.second
        if e == 0:
            e = _DAY
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


# ---------------------------------------------------------------------------- policies


class PolicyError(ValueError):
    """A policy that cannot be used; the message is one line naming the offending key."""


CLOCK_NAMES = (N_("first response"), N_("resolution"), N_("update"))
"""`TargetKind.label`s, marked for the catalogues; the screens translate them."""


class TargetKind(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    UPDATE = "update"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ClockState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class ActionVerb(enum.StrEnum):
    NOTIFY = "notify"
    """Tell somebody; the ticket stays where it is."""
    ESCALATE = "escalate"
    """Move the ticket: up to a tier, or to a lead for review."""


_ACTION_TARGETS = ("lead", "tier1", "tier2", "tier3")


@dataclass(frozen=True, slots=True)
class BreachAction:
    """What a breach rule does: `notify:lead`, `escalate:tier3`, ..."""

    verb: ActionVerb
    target: str
    """"lead", or "tier1".."tier3"."""

    @property
    def tier(self) -> int | None:
        """The tier this action addresses, or None when it addresses the team lead."""
        return int(self.target[4:]) if self.target.startswith("tier") else None

    @classmethod
    def parse(cls, text: str) -> BreachAction:
        """Read "notify:lead", "escalate:tier2", ...; raise ValueError on anything else."""
        verb, sep, target = text.strip().lower().partition(":")
        verb = verb.strip()
        target = target.strip().replace(" ", "").replace("_", "")
        if not sep or verb not in ("notify", "escalate") or target not in _ACTION_TARGETS:
            raise ValueError(
                f"cannot read {text!r} as an action "
                "(expected notify: or escalate: followed by lead, tier1, tier2 or tier3)"
            )
        return cls(ActionVerb(verb), target)

    def __str__(self) -> str:
        return f"{self.verb}:{self.target}"


@dataclass(frozen=True, slots=True)
class BreachRule:
    """What happens when a ticket's target turns at-risk, and when it breaches."""

    on_at_risk: BreachAction | None = None
    on_breach: BreachAction | None = None


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One target: `duration` of working time on `calendar` ("24x7" or a calendar name).

    When `outside_hours_duration` is set, a clock that starts while `hours_calendar`
    is closed gets that duration instead (the "1 h in business hours, 4 h outside" rule).
    """

    duration: timedelta
    calendar: str = ALWAYS_CALENDAR_NAME
    outside_hours_duration: timedelta | None = None
    hours_calendar: str | None = None


@dataclass(frozen=True, slots=True)
class PriorityTargets:
    """The targets for one priority; an absent target is never measured."""

    first_response: TargetSpec | None = None
    resolution: TargetSpec | None = None
    update_every: TargetSpec | None = None


_ALWAYS_PAUSE = frozenset({Status.PENDING, Status.RESOLVED})
"""Waiting on the customer never counts, nor does waiting for their confirmation
(which matters once a resolved ticket is reopened)."""


class _Target:
    """A TargetSpec resolved against the policy's calendars, in float seconds."""

    __slots__ = (
        "always",
        "calendar",
        "ci",
        "hours",
        "kind",
        "risk",
        "risk_out",
        "td",
        "td_out",
        "w",
        "w_out",
    )

    def __init__(self, kind: TargetKind, spec: TargetSpec, policy: Policy, ci: int) -> None:
        self.kind = kind
        self.calendar = policy.calendar(spec.calendar, f"{kind}.calendar")
        self.ci = ci  # stands for `calendar` in per-call caches: cheaper than hashing it
        self.always = self.calendar.always_open
        self.td = spec.duration
        self.w = spec.duration.total_seconds()
        self.risk = self.w * policy.at_risk_share
        self.td_out = spec.outside_hours_duration
        self.w_out = None if self.td_out is None else self.td_out.total_seconds()
        self.risk_out = None if self.w_out is None else self.w_out * policy.at_risk_share
        self.hours: Calendar | None = None
        if self.td_out is not None:
            if spec.hours_calendar is None:
                raise PolicyError(f"{kind}: outside_hours_duration needs hours_calendar")
            self.hours = policy.calendar(spec.hours_calendar, f"{kind}.hours_calendar")
        for what, w in (("duration", self.w), ("outside_hours_duration", self.w_out)):
            if w is not None and not w > 0:
                raise PolicyError(f"{kind}: {what} must be positive")


@dataclass(frozen=True, slots=True)
class Policy:
    """A team's SLA policy: calendars, per-priority targets, pauses and breach rules.

    Treat it as immutable: targets are compiled once, when the policy is made.
    `pause_statuses` always includes pending and resolved.
    """

    name: str
    description: str = ""
    calendars: dict[str, Calendar] = field(default_factory=dict)
    targets: dict[Priority, PriorityTargets] = field(default_factory=dict)
    breach_rules: dict[Priority, BreachRule] = field(default_factory=dict)
    at_risk_share: float = 0.75
    pause_statuses: frozenset[Status] = _ALWAYS_PAUSE
    _compiled: dict[Priority, tuple[_Target, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_share <= 1:
            raise PolicyError(f"at_risk_share must be in (0, 1], got {self.at_risk_share!r}")
        object.__setattr__(self, "pause_statuses", frozenset(self.pause_statuses) | _ALWAYS_PAUSE)
        compiled: dict[Priority, tuple[_Target, ...]] = {}
        cal_index: dict[str, int] = {}
        for priority, spec in self.targets.items():
            parts: list[_Target] = []
            for kind, target in (
                (TargetKind.FIRST_RESPONSE, spec.first_response),
                (TargetKind.RESOLUTION, spec.resolution),
                (TargetKind.UPDATE, spec.update_every),
            ):
                if target is not None:
                    try:
                        ci = cal_index.setdefault(target.calendar, len(cal_index))
                        parts.append(_Target(kind, target, self, ci))
                    except PolicyError as exc:
                        raise PolicyError(f"priorities.{priority}.{exc}") from None
            compiled[Priority(priority)] = tuple(parts)
        object.__setattr__(self, "_compiled", compiled)

    def calendar(self, name: str, path: str = "calendar") -> Calendar:
        """The calendar called `name`; "24x7" is always known. PolicyError if unknown."""
        if name == ALWAYS_CALENDAR_NAME:
            return ALWAYS_OPEN
        try:
            return self.calendars[name]
        except KeyError:
            known = ", ".join([ALWAYS_CALENDAR_NAME, *self.calendars])
            raise PolicyError(f"{path}: unknown calendar {name!r} (known: {known})") from None

    def rule(self, priority: Priority) -> BreachRule:
        """The breach rule for `priority` (one that does nothing if none is configured)."""
        return self.breach_rules.get(priority, _NO_RULE)

    def action_for(self, priority: Priority, event: str) -> BreachAction | None:
        """What to do when a `priority` target turns "at_risk" or is "breached"."""
        rule = self.rule(priority)
        if event == "at_risk":
            return rule.on_at_risk
        if event == "breached":
            return rule.on_breach
        raise ValueError(f"unknown SLA event {event!r} (expected at_risk or breached)")


_NO_RULE = BreachRule()


# -------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """The state of one SLA clock at an instant. Durations are working time.

    `due_at` is None while the clock is paused short of its target. `at_risk_at` is
    when the clock turns at-risk (None once the clock has stopped, or while paused
    short of that point). `remaining` is negative past due. `at_risk` is true for a
    clock that is unmet, not yet breached, and past its at-risk share.
    """

    kind: TargetKind
    state: ClockState
    target: timedelta
    due_at: datetime | None
    at_risk_at: datetime | None
    remaining: timedelta
    elapsed: timedelta
    at_risk: bool
    stopped_at: datetime | None

    @property
    def is_unmet(self) -> bool:
        """Still counting (running, paused, or breached but not stopped)."""
        return self.stopped_at is None and self.state is not ClockState.MET


# A frozen dataclass's __init__ pays an object.__setattr__ call per field, which made
# it the single largest cost of `evaluate`. `_clock` instead sets the slots through
# their member descriptors: the identical object, built about three times faster.
_new_object = object.__new__
_status_slot_setters = tuple(TargetStatus.__dict__[name].__set__ for name in TargetStatus.__slots__)
(
    _set_kind,
    _set_state,
    _set_target,
    _set_due,
    _set_risk_at,
    _set_remaining,
    _set_elapsed,
    _set_at_risk,
    _set_stopped,
) = _status_slot_setters
assert TargetStatus.__slots__ == (
    "kind",
    "state",
    "target",
    "due_at",
    "at_risk_at",
    "remaining",
    "elapsed",
    "at_risk",
    "stopped_at",
)


_RUNNING = ClockState.RUNNING
_PAUSED = ClockState.PAUSED
_MET = ClockState.MET
_BREACHED = ClockState.BREACHED
_FIRST = TargetKind.FIRST_RESPONSE
_RESOLUTION = TargetKind.RESOLUTION
_UPDATE = TargetKind.UPDATE
_CANCELLED = Status.CANCELLED
_RESOLVED_STATUS = Status.RESOLVED
_CLOSED = Status.CLOSED
_fromts = datetime.fromtimestamp


_Span = tuple[float, float, float, float]
"""A counted pause as (start, end, F(start), F(end)) on one calendar; open: end = inf."""


def _pause_spans(ticket: Ticket, statuses: frozenset[Status]) -> list[_Span]:
    """The ticket's counted pauses, sorted and merged, with 24/7 work values (F(t) = t)."""
    raw: list[tuple[float, float]] = []
    for pause in ticket.pauses:
        if pause.status in statuses:
            start, end = pause.start, pause.end
            if start.tzinfo is None or (end is not None and end.tzinfo is None):
                raise ValueError(f"pause times must be timezone-aware (got {pause!r})")
            s = start.timestamp()
            e = _INF if end is None else end.timestamp()
            if e > s:
                raw.append((s, e))
    if len(raw) > 1:
        # Stores keep pauses oldest first and disjoint; merging anyway means a pause
        # can only ever add still time, never count a stretch twice.
        raw.sort()
        merged = [raw[0]]
        for s, e in raw[1:]:
            ls, le = merged[-1]
            if s <= le:
                if e > le:
                    merged[-1] = (ls, e)
            else:
                merged.append((s, e))
        raw = merged
    return [(s, e, s, e) for s, e in raw]


def _on_calendar(spans: list[_Span], cal: Calendar) -> list[_Span]:
    """The same pauses with work values on `cal` (computed once per ticket and calendar)."""
    work_at = cal._work_at
    return [(s, e, work_at(s), _INF if e == _INF else work_at(e)) for s, e, _, _ in spans]


def _walk(
    a0: float,
    fa: float,
    spans: list[_Span],
    horizon: float,
    w: float,
    risk_w: float,
    t_end: float,
    f_end: float,
) -> tuple[float | None, float | None, float, bool]:
    """Run a clock from `a0` through `spans`, all in work values (F) on its calendar.

    Returns the work values at which the clock has counted `w` and `risk_w` (None when
    an open pause comes first), the working seconds counted by `t_end` (F(t_end) is
    `f_end`), and whether the clock ends in an open pause. Pauses starting at or after
    `horizon` (the stop instant) are ignored, so a met clock still shows the due time
    it would have had. Thresholds are reached with w - counted > 0, so the instant G
    returns for them is strictly after the segment's start: no clamping needed.
    """
    acc = 0.0
    cur = a0
    fcur = fa
    due: float | None = None
    risk: float | None = None
    el: float | None = None
    for s, e, fs, fe in spans:
        if s >= horizon:
            break
        if e <= cur:
            continue
        if s > cur:  # the clock runs over [cur, s)
            seg = fs - fcur
            if due is None and acc + seg >= w:
                due = fcur + (w - acc)
            if risk is None and acc + seg >= risk_w:
                risk = fcur + (risk_w - acc)
            if el is None and t_end < s:
                el = acc + (f_end - fcur if t_end > cur else 0.0)
            acc += seg
        if el is None and t_end < e:  # inside the pause: nothing more counts yet
            el = acc
        cur = e
        fcur = fe
        if e == _INF:
            return due, risk, acc if el is None else el, True
    if due is None:
        due = fcur + (w - acc)
    if risk is None:
        risk = fcur + (risk_w - acc)
    if el is None:
        el = acc + (f_end - fcur if t_end > cur else 0.0)
    return due, risk, el, False


def _clock(
    c: _Target,
    a0: float,
    fa: float,
    spans: list[_Span],
    stop: float | None,
    f_end: float,
    stopped_at: datetime | None,
    now: float,
    cancelled: bool,
) -> TargetStatus:
    """One target's state, from work values its caller shares between targets.

    `fa` is F(a0), `spans` the pauses on this target's calendar, `stop` the meeting
    event's epoch (None while unmet) and `f_end` F(stop or now). This is the hot path
    of `evaluate`, so it favours fewer calls over tidiness.
    """
    w = c.w
    risk_w = c.risk
    td = c.td
    hours = c.hours
    if hours is not None and not hours._open_at(a0):
        w = c.w_out  # type: ignore[assignment]  # set whenever `hours` is
        risk_w = c.risk_out  # type: ignore[assignment]
        td = c.td_out  # type: ignore[assignment]
    paused = False
    risk_x: float | None = None
    due_x: float | None
    if not spans:
        due_x = fa + w
        if stop is None:
            risk_x = fa + risk_w
            el = f_end - fa if now > a0 else 0.0
        else:
            el = f_end - fa if stop > a0 else 0.0
    else:
        due_x, risk_x, el, paused = _walk(
            a0,
            fa,
            spans,
            _INF if stop is None else stop,
            w,
            risk_w,
            now if stop is None else stop,
            f_end,
        )
        if stop is not None:
            risk_x = None
    if c.always:
        due, risk = due_x, risk_x
    else:
        instant_at = c.calendar._instant_at
        due = None if due_x is None else instant_at(due_x)
        risk = None if risk_x is None else instant_at(risk_x)

    if cancelled:
        state = _MET
        due = risk = None
    elif stop is not None:
        state = _MET if due is None or stop <= due else _BREACHED
    elif due is not None and now >= due:
        state = _BREACHED
    elif paused:
        state = _PAUSED
        due = None
    else:
        state = _RUNNING
    elapsed = _SECOND * el
    # TargetStatus(...) without the frozen-dataclass __init__: see _status_slot_setters.
    out: TargetStatus = _new_object(TargetStatus)
    _set_kind(out, c.kind)
    _set_state(out, state)
    _set_target(out, td)
    _set_due(out, None if due is None else _fromts(due, UTC))
    _set_risk_at(out, None if risk is None else _fromts(risk, UTC))
    _set_remaining(out, td - elapsed)
    _set_elapsed(out, elapsed)
    _set_at_risk(out, (state is _RUNNING or state is _PAUSED) and el >= risk_w)
    _set_stopped(out, stopped_at)
    return out


def _resolution_stop(ticket: Ticket) -> datetime | None:
    """When the resolution clock stopped, or None while it counts.

    Only a resolved or closed ticket has stopped it: a reopened ticket may still carry
    the old `resolved_at`, but its clock runs again (the resolved stretch is a pause).
    """
    status = ticket.status
    if status is _RESOLVED_STATUS or status is _CLOSED:
        # A ticket closed without a recorded instant never shows as breaching.
        return ticket.resolved_at or ticket.closed_at or ticket.created_at
    return None


def evaluate(ticket: Ticket, policy: Policy, now: datetime) -> list[TargetStatus]:
    """Every SLA clock of `ticket` under `policy` at instant `now`.

    Order: first response, resolution, update (those the policy sets for the ticket's
    current priority). Targets are measured from `created_at`; the update target from
    the last public update (or first response, or creation). Pauses count only for
    the policy's `pause_statuses`.

    The first response is met by `first_response_at`, or by the resolution of a ticket
    resolved without a separate reply (the resolution reaches the customer). The update
    target is never met: it runs while the ticket is active and is left out once it is
    resolved, closed or cancelled. A cancelled ticket's clocks all read `met` with no
    due time, so duplicates and spam never show as breaching.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got naive {now.isoformat()})")
    return _evaluate(ticket, policy, now.timestamp(), {})


def evaluate_many(
    tickets: Iterable[Ticket], policy: Policy, now: datetime
) -> list[list[TargetStatus]]:
    """`evaluate` for many tickets at one instant; F(now) is computed once per calendar."""
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got naive {now.isoformat()})")
    now_ts = now.timestamp()
    f_now: dict[int, float] = {}
    return [_evaluate(ticket, policy, now_ts, f_now) for ticket in tickets]


def _evaluate(
    ticket: Ticket, policy: Policy, now: float, f_now: dict[int, float]
) -> list[TargetStatus]:
    """`evaluate` on epoch seconds; `f_now` caches F(now) by calendar index."""
    targets = policy._compiled.get(ticket.priority)
    if not targets:
        return []
    created = ticket.created_at
    if created.tzinfo is None:
        raise ValueError(f"created_at must be timezone-aware (got naive {created.isoformat()})")
    a0 = created.timestamp()
    raw = _pause_spans(ticket, policy.pause_statuses) if ticket.pauses else []
    status = ticket.status
    cancelled = status is _CANCELLED
    # A cancelled ticket stops every clock when it was cancelled (or, lacking that
    # instant, at creation).
    if cancelled:
        resolution_stop: datetime | None = ticket.closed_at or created
    elif status is _RESOLVED_STATUS or status is _CLOSED:
        resolution_stop = ticket.resolved_at or ticket.closed_at or created  # as _resolution_stop
    else:
        resolution_stop = None
    first_stop = ticket.first_response_at or resolution_stop
    res_ts = first_ts = None
    if resolution_stop is not None:
        if resolution_stop.tzinfo is None:
            raise ValueError(f"resolved_at/closed_at must be timezone-aware ({ticket.key})")
        res_ts = resolution_stop.timestamp()
    if first_stop is not None:
        if first_stop.tzinfo is None:
            raise ValueError(f"first_response_at must be timezone-aware ({ticket.key})")
        first_ts = res_ts if first_stop is resolution_stop else first_stop.timestamp()
    out: list[TargetStatus] = []
    # Work values are per calendar; consecutive targets usually share one, so F(a0),
    # the pauses' F values and F(now) are computed once for them.
    last_cal: Calendar | None = None
    fa = a0
    spans = raw
    fn = now
    for c in targets:
        cal = c.calendar
        always = c.always
        if cal is not last_cal:
            last_cal = cal
            if always:
                fa, spans, fn = a0, raw, now
            else:
                fa = cal._work_at(a0)
                spans = _on_calendar(raw, cal) if raw else raw
                cached = f_now.get(c.ci)
                if cached is None:
                    cached = f_now[c.ci] = cal._work_at(now)
                fn = cached
        kind = c.kind
        if kind is _FIRST:
            stop = first_ts
        elif kind is _RESOLUTION:
            stop = res_ts
        else:
            if status in ACTIVE_STATUSES:
                # _update_anchor, inlined: an active ticket's first_stop is its reply.
                anchor = a0 if first_ts is None or first_ts < a0 else first_ts
                last = ticket.last_public_update_at
                if last is not None:
                    at = _ts(last, "last_public_update_at")
                    if at > anchor:
                        anchor = at
                fu = anchor if always else cal._work_at(anchor)
                out.append(_clock(c, anchor, fu, spans, None, fn, None, now, False))
            continue
        f_end = fn if stop is None else (stop if always else cal._work_at(stop))
        out.append(
            _clock(
                c,
                a0,
                fa,
                spans,
                stop,
                f_end,
                first_stop if kind is _FIRST else resolution_stop,
                now,
                cancelled,
            )
        )
    return out


def _update_anchor(ticket: Ticket, created: float) -> float:
    """When the customer last heard from us: the update clock restarts there."""
    anchor = created
    for dt in (ticket.last_public_update_at, ticket.first_response_at):
        if dt is not None:
            t = _ts(dt)
            if t > anchor:
                anchor = t
    return anchor


def next_due(statuses: Iterable[TargetStatus]) -> TargetStatus | None:
    """The clock to show as the ticket's countdown: the unmet one due soonest.

    Breached clocks still counting sort first (most overdue first); paused clocks
    (no due time) and stopped clocks are left out. A clock that breached before the
    ticket was paused still shows, frozen and overdue: the agent should see it, though
    `sla_columns` keeps paused tickets out of "due before" filters.
    """
    best: TargetStatus | None = None
    best_key: tuple[bool, datetime] | None = None
    for st in statuses:
        if st.due_at is None or st.stopped_at is not None or st.state is _MET:
            continue
        key = (st.state is not _BREACHED, st.due_at)
        if best_key is None or key < best_key:
            best, best_key = st, key
    return best


def sla_columns(ticket: Ticket, policy: Policy) -> tuple[datetime | None, datetime | None]:
    """(sla_due_at, sla_risk_at) for a store's indexed columns; independent of `now`.

    `sla_due_at` is the earliest due instant of the clocks still counting (overdue
    ones included), `sla_risk_at` the earliest instant any of them turns at-risk, so
    `sla_risk_at <= now` means "at risk or breached" and `sla_due_at <= now + 30 min`
    means "breaching within 30 minutes". Both are None for a paused, finished or
    cancelled ticket.

    Why no `now`: a running clock's due instant depends only on its anchor and on
    pauses that have already ended, all fixed when the ticket was last written; the
    passing of time changes whether that instant is past, never the instant itself.
    A clock that is paused has no due instant until the pause ends (a write), so the
    service recomputes these columns on every write and they stay exact in between.
    """
    targets = policy._compiled.get(ticket.priority)
    status = ticket.status
    if not targets or status is _CANCELLED:
        return None, None
    a0 = _ts(ticket.created_at, "created_at")
    raw = _pause_spans(ticket, policy.pause_statuses) if ticket.pauses else []
    if raw and raw[-1][1] == _INF:
        return None, None
    resolution_stop = _resolution_stop(ticket)
    first_stop = ticket.first_response_at or resolution_stop
    due: float | None = None
    risk: float | None = None
    for c in targets:
        if c.kind is _FIRST:
            if first_stop is not None:
                continue
            anchor = a0
        elif c.kind is _RESOLUTION:
            if resolution_stop is not None:
                continue
            anchor = a0
        elif status in ACTIVE_STATUSES:
            anchor = _update_anchor(ticket, a0)
        else:
            continue
        w, risk_w = c.w, c.risk
        if c.hours is not None and not c.hours._open_at(anchor):
            w, risk_w = c.w_out, c.risk_out  # type: ignore[assignment]
        cal = c.calendar
        spans = _on_calendar(raw, cal) if raw and not c.always else raw
        fa = cal._work_at(anchor)
        d, r, _, _ = _walk(anchor, fa, spans, _INF, w, risk_w, anchor, fa)
        # No open pause (checked above), so both thresholds are reached.
        assert d is not None and r is not None
        d, r = cal._instant_at(d), cal._instant_at(r)
        if due is None or d < due:
            due = d
        if risk is None or r < risk:
            risk = r
    return (None if due is None else _dt(due)), (None if risk is None else _dt(risk))


def format_remaining(remaining: timedelta) -> str:
    """A short table-cell countdown: "45s", "4m12s", "1h05m", "3d02h"; "-" when overdue.

    Magnitudes are truncated, so a countdown never shows more time than is left.
    """
    secs = remaining.total_seconds()
    whole = int(abs(secs))
    sign = "-" if secs < 0 and whole else ""
    if whole < 60:
        return f"{sign}{whole}s"
    if whole < 3600:
        m, s = divmod(whole, 60)
        return f"{sign}{m}m{s:02d}s"
    if whole < _DAY:
        h, r = divmod(whole, 3600)
        return f"{sign}{h}h{r // 60:02d}m"
    d, r = divmod(whole, _DAY)
    return f"{sign}{d}d{r // 3600:02d}h"


# ----------------------------------------------------------------------- TOML policies

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(bd|bh|d|h|m|s)", re.IGNORECASE)
_DURATION_ALL = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*(?:bd|bh|d|h|m|s)\s*)+", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "bh": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str, calendar: Calendar = ALWAYS_OPEN) -> timedelta:
    """Working time from "15m", "4h", "1h30m", "1bd", "3bd", "24bh", "90s" or "1d".

    "bd" is a business day, the length of `calendar`'s standard working day (9 h for
    09:00-18:00); "bh" is a business hour. Both need a business calendar, and "d" (24
    hours) needs a 24x7 one: on a business clock "1d" would silently mean 24 working
    hours, almost three business days. Raises ValueError with a one-line reason.
    """
    if not isinstance(text, str) or not _DURATION_ALL.fullmatch(text):
        raise ValueError(f"cannot read {text!r} as a duration (examples: 15m, 4h, 1h30m, 1bd)")
    total = 0.0
    for number, unit in _DURATION_PART.findall(text):
        unit = unit.lower()
        if unit in ("bd", "bh") and calendar.always_open:
            raise ValueError(f"{text!r} counts business time but the clock is 24x7 (use h or d)")
        if unit == "d" and not calendar.always_open:
            raise ValueError(
                f"{text!r}: 'd' means 24 hours; on business hours write 'bd' for a business day"
            )
        per = calendar.day_seconds if unit == "bd" else _UNIT_SECONDS[unit]
        total += float(number) * per
    if total <= 0:
        raise ValueError(f"duration {text!r} must be longer than zero")
    return timedelta(seconds=total)


_TOP_KEYS = ("name", "description", "at_risk_share", "pause_on_hold", "calendars", "priorities")
_CALENDAR_KEYS = ("timezone", "weekdays", "hours", "holidays", *WEEKDAYS)
_PRIORITY_KEYS = (
    "clock",
    "first_response",
    "resolution",
    "update_every",
    "on_at_risk",
    "on_breach",
)
_TARGET_KEYS = ("within", "clock", "outside_hours", "hours")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}: " if path else ""
            raise PolicyError(f"{where}unknown key {key!r} (expected one of {', '.join(allowed)})")


def _table(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{path}: expected a table, got {type(value).__name__}")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{path}: expected a string, got {value!r}")
    return value


def _parse_time(text: str, path: str) -> time:
    m = _TIME.match(text)
    if not m:
        raise PolicyError(f"{path}: cannot read {text.strip()!r} as a time (expected HH:MM)")
    h, mi = int(m[1]), int(m[2])
    if (h, mi) == (24, 0):
        return time(0, 0)  # end of the day
    if h > 23 or mi > 59:
        raise PolicyError(f"{path}: {text.strip()!r} is not a time of day")
    return time(h, mi)


def _parse_windows(value: object, path: str) -> tuple[Window, ...]:
    """ "09:00-18:00", "09:00-12:00, 13:00-17:00", ["09:00-12:00", ...] or "closed"."""
    items: list[str]
    if isinstance(value, str):
        items = [] if value.strip().lower() in ("", "closed", "none") else value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise PolicyError(f'{path}: expected hours like "09:00-18:00", got {value!r}')
    windows: list[Window] = []
    for item in items:
        start, sep, end = item.partition("-")
        if not sep:
            raise PolicyError(
                f"{path}: cannot read {item.strip()!r} as hours (expected HH:MM-HH:MM)"
            )
        t0 = _parse_time(start, path)
        if t0 == time(0, 0) and start.strip().startswith("24"):
            raise PolicyError(f"{path}: a window cannot start at 24:00")
        windows.append((t0, _parse_time(end, path)))
    try:
        _day_spans(path, windows)
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    return tuple(windows)


def _parse_calendar(name: str, value: object) -> BusinessCalendar:
    path = f"calendars.{name}"
    if name == ALWAYS_CALENDAR_NAME:
        raise PolicyError(
            f"{path}: the name {ALWAYS_CALENDAR_NAME!r} is reserved for the 24/7 clock"
        )
    table = _table(value, path)
    _check_keys(table, _CALENDAR_KEYS, path)
    timezone = _string(table.get("timezone", "UTC"), f"{path}.timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            f"{path}.timezone: unknown timezone {timezone!r} (an IANA name like Europe/Stockholm)"
        ) from None
    hours: list[tuple[Window, ...]] = [() for _ in WEEKDAYS]
    if "weekdays" in table or "hours" in table:
        if "weekdays" not in table or "hours" not in table:
            missing = "hours" if "weekdays" in table else "weekdays"
            raise PolicyError(f"{path}.{missing}: missing (weekdays and hours go together)")
        days = table["weekdays"]
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            raise PolicyError(f'{path}.weekdays: expected a list like ["mon", "tue"], got {days!r}')
        shared = _parse_windows(table["hours"], f"{path}.hours")
        for d in days:
            key = d.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise PolicyError(f"{path}.weekdays: unknown weekday {d!r} (use mon..sun)")
            hours[WEEKDAYS.index(key)] = shared
    for i, day in enumerate(WEEKDAYS):
        if day in table:  # a day of its own overrides the shorthand
            hours[i] = _parse_windows(table[day], f"{path}.{day}")
    if not any(hours):
        raise PolicyError(
            f'{path}: no working hours (set weekdays and hours, or e.g. mon = "09:00-18:00")'
        )
    holidays: set[date] = set()
    raw = table.get("holidays", [])
    if not isinstance(raw, list):
        raise PolicyError(f"{path}.holidays: expected a list of dates, got {raw!r}")
    for item in raw:
        if isinstance(item, date) and not isinstance(item, datetime):
            holidays.add(item)
        elif isinstance(item, str):
            try:
                holidays.add(date.fromisoformat(item.strip()))
            except ValueError:
                raise PolicyError(
                    f"{path}.holidays: cannot read {item!r} as a date (expected YYYY-MM-DD)"
                ) from None
        else:
            raise PolicyError(f"{path}.holidays: expected a date like 2026-12-25, got {item!r}")
    try:
        return BusinessCalendar(name, timezone, hours, frozenset(holidays))
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _resolve_clock(
    name: object, path: str, calendars: Mapping[str, Calendar]
) -> tuple[str, Calendar]:
    text = _string(name, path)
    if text == ALWAYS_CALENDAR_NAME:
        return text, ALWAYS_OPEN
    if text not in calendars:
        known = ", ".join([repr(ALWAYS_CALENDAR_NAME), *(repr(n) for n in calendars)])
        raise PolicyError(f"{path}: unknown calendar {text!r} (known: {known})")
    return text, calendars[text]


def _duration(value: object, path: str, calendar: Calendar) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PolicyError(f'{path}: {value!r} needs a unit, e.g. "{value}m" or "{value}h"')
    try:
        return parse_duration(value, calendar)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _parse_target(
    value: object, path: str, clock: object, clock_path: str, calendars: Mapping[str, Calendar]
) -> TargetSpec:
    if isinstance(value, dict):
        _check_keys(value, _TARGET_KEYS, path)
        if "within" not in value:
            raise PolicyError(f'{path}.within: missing (how long, e.g. "4h")')
        if "clock" in value:
            clock, clock_path = value["clock"], f"{path}.clock"
        within, within_path = value["within"], f"{path}.within"
    else:
        within, within_path = value, path
    if clock is None:
        raise PolicyError(f'{clock_path}: missing (name a calendar from [calendars] or "24x7")')
    cal_name, cal = _resolve_clock(clock, clock_path, calendars)
    duration = _duration(within, within_path, cal)
    outside: timedelta | None = None
    hours_name: str | None = None
    if isinstance(value, dict) and ("outside_hours" in value or "hours" in value):
        if "outside_hours" not in value or "hours" not in value:
            missing = "hours" if "outside_hours" in value else "outside_hours"
            raise PolicyError(f"{path}.{missing}: missing (outside_hours and hours go together)")
        outside = _duration(value["outside_hours"], f"{path}.outside_hours", cal)
        hours_name, hours_cal = _resolve_clock(value["hours"], f"{path}.hours", calendars)
        if hours_cal.always_open:
            raise PolicyError(
                f"{path}.hours: 24x7 is never closed, so outside_hours would never apply"
            )
    return TargetSpec(duration, cal_name, outside, hours_name)


def _parse_action(value: object, path: str) -> BreachAction | None:
    if value is None:
        return None
    text = _string(value, path)
    if text.strip().lower() in ("", "none"):
        return None
    try:
        return BreachAction.parse(text)
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def parse_policy(text: str) -> Policy:
    """Read a policy from TOML text. Raises PolicyError with one line naming the key.

    See `policies/default.toml` for the format, with comments.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {str(exc).splitlines()[0]}") from None
    _check_keys(data, _TOP_KEYS, "")
    name = _string(data.get("name"), "name") if "name" in data else None
    if not name or not name.strip():
        raise PolicyError("name: missing (every policy needs a name)")
    description = _string(data.get("description", ""), "description")
    share = data.get("at_risk_share", 0.75)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise PolicyError(f"at_risk_share: expected a number above 0 and at most 1, got {share!r}")
    pause_on_hold = data.get("pause_on_hold", False)
    if not isinstance(pause_on_hold, bool):
        raise PolicyError(f"pause_on_hold: expected true or false, got {pause_on_hold!r}")

    calendars: dict[str, Calendar] = {}
    for cal_name, value in _table(data.get("calendars", {}), "calendars").items():
        calendars[cal_name] = _parse_calendar(cal_name, value)

    priorities = _table(data.get("priorities"), "priorities") if "priorities" in data else None
    if priorities is None:
        raise PolicyError(
            "priorities: missing (one table per priority: critical, high, medium, low)"
        )
    known = [p.value for p in Priority]
    for key in priorities:
        if key not in known:
            raise PolicyError(f"priorities: unknown priority {key!r} (expected {', '.join(known)})")
    targets: dict[Priority, PriorityTargets] = {}
    rules: dict[Priority, BreachRule] = {}
    for priority in Priority:
        path = f"priorities.{priority}"
        if priority.value not in priorities:
            raise PolicyError(f"{path}: missing (an empty table means no targets)")
        table = _table(priorities[priority.value], path)
        _check_keys(table, _PRIORITY_KEYS, path)
        clock = table.get("clock")
        specs = {
            key: _parse_target(table[key], f"{path}.{key}", clock, f"{path}.clock", calendars)
            for key in ("first_response", "resolution", "update_every")
            if key in table
        }
        if "clock" in table:
            _resolve_clock(clock, f"{path}.clock", calendars)
        targets[priority] = PriorityTargets(**specs)
        rules[priority] = BreachRule(
            _parse_action(table.get("on_at_risk"), f"{path}.on_at_risk"),
            _parse_action(table.get("on_breach"), f"{path}.on_breach"),
        )
    pause = set(_ALWAYS_PAUSE)
    if pause_on_hold:
        pause.add(Status.ON_HOLD)
    return Policy(
        name=name.strip(),
        description=description.strip(),
        calendars=calendars,
        targets=targets,
        breach_rules=rules,
        at_risk_share=float(share),
        pause_statuses=frozenset(pause),
    )
