"""Calendar arithmetic for reports and retention: spans ("24m", "7d") and periods.

Pure Python, no clock: `now` is always a parameter. Periods are in UTC (the store's
time), weeks are ISO weeks (Monday to Monday), months are calendar months.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

_SPAN_RE = re.compile(r"^(?P<number>[0-9]{1,6})\s*(?P<unit>[dwmy])$")
_WEEK_RE = re.compile(r"^(?P<year>[0-9]{4})-?W(?P<week>[0-9]{1,2})$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})$")

MAX_SPAN_DAYS = 1000 * 366
MAX_SPAN_MONTHS = 1000 * 12
"""Longer spans mean nothing to a helpdesk, and reach past the calendar's first year."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(5000, 1, 1, tzinfo=UTC)
"""A period outside these holds no ticket, and the weekly steps of a report (and the
periods before and after it) would run off the calendar's ends (years 1 and 9999).

LATEST is well before the store's own end (year 9000): a report's periods before and
after it, and its trend's weeks, stay far from the calendar's end with room to spare
(reporting/metrics.py also stops its doubling read windows at the period's end)."""


def months_before(at: datetime, months: int) -> datetime:
    """The same wall time `months` calendar months earlier; the 31st becomes the month's
    last day where the month is shorter (31 March minus one month is 28/29 February)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class Span:
    """A length of time as people say it: `months` calendar months plus `days` days.

    "24m" is 24 calendar months, not 720 days: a retention of 24 months must not purge
    a ticket closed 725 days ago.
    """

    days: int = 0
    months: int = 0

    @classmethod
    def parse(cls, text: str) -> Span:
        """`90d`, `12w`, `24m` (months) or `2y`; ValueError on anything else."""
        match = _SPAN_RE.match(text.strip().lower())
        if not match or int(match["number"]) < 1:
            raise ValueError(f"cannot read {text!r} as a period (try 24m, 90d, 12w or 2y)")
        number, unit = int(match["number"]), match["unit"]
        if unit == "d":
            span = cls(days=number)
        elif unit == "w":
            span = cls(days=7 * number)
        else:
            span = cls(months=number * (12 if unit == "y" else 1))
        if span.days > MAX_SPAN_DAYS or span.months > MAX_SPAN_MONTHS:
            raise ValueError(f"{text.strip()!r} is longer than 1000 years")
        return span

    def before(self, at: datetime) -> datetime:
        """The instant this span before `at`; ValueError if that is before year 1."""
        try:
            return months_before(at, self.months) - timedelta(days=self.days)
        except (OverflowError, ValueError):
            raise ValueError(f"{self} before {at:%Y-%m-%d} is before the year 1") from None

    def __str__(self) -> str:
        parts = []
        if self.months:
            parts.append(_plural(self.months, "month"))
        if self.days or not parts:
            parts.append(_plural(self.days, "day"))
        return " ".join(parts)


class PeriodKind(enum.StrEnum):
    ROLLING = "rolling"
    """The last N days up to an instant."""
    WEEK = "week"
    """An ISO week, Monday 00:00 to Monday 00:00 UTC."""
    MONTH = "month"
    """A calendar month."""
    RANGE = "range"
    """Any two instants."""


@dataclass(frozen=True, slots=True)
class Period:
    """The instants [since, until) a report covers; `kind` says how to step it."""

    since: datetime
    until: datetime
    kind: PeriodKind = PeriodKind.RANGE
    days: int = 0
    """ROLLING: its length in days."""
    name: str = ""
    """What to call it ("last 3 months"): set for a period that ends now, cleared when
    it is shifted. A live screen re-anchors such a period to its clock at each refresh."""

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
            # Only what people ask for is checked (the constructors below); a period a
            # screen steps to by `shifted` may leave the range and simply holds nothing.
        if self.until <= self.since:
            raise ValueError(
                f"the period ends ({self.until:%Y-%m-%d %H:%M}) before it starts "
                f"({self.since:%Y-%m-%d %H:%M})"
            )

    # -- making one -------------------------------------------------------------------

    @classmethod
    def rolling(cls, now: datetime, days: int) -> Period:
        """The last `days` days up to `now`."""
        if days < 1:
            raise ValueError(f"a period is at least one day, not {days}")
        if days > MAX_SPAN_DAYS:
            raise ValueError(f"a period is at most {MAX_SPAN_DAYS} days, not {days}")
        return cls._checked(
            now - timedelta(days=days),
            now,
            PeriodKind.ROLLING,
            days,
            f"last {_plural(days, 'day')}",
        )

    @classmethod
    def last(cls, now: datetime, span: Span) -> Period:
        """The `span` up to `now` ("--last 7d", "--last 3m")."""
        if not span.months:
            return cls.rolling(now, span.days)
        return cls._checked(span.before(now), now, name=f"last {span}")

    @classmethod
    def week(cls, now: datetime, which: str | None = None) -> Period:
        """An ISO week: `which` as "2026-W09", or by default the last complete week
        before `now` (what a weekly SLA review looks at on a Monday morning)."""
        if which is None:
            today = now.astimezone(UTC).date()
            monday = today - timedelta(days=today.weekday() + 7)
        else:
            match = _WEEK_RE.match(which.strip())
            if not match:
                raise ValueError(f"cannot read {which!r} as a week (expected e.g. 2026-W09)")
            try:
                monday = date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
            except ValueError:
                raise ValueError(f"{which!r} is not a week of that year") from None
            _check_year(monday.year, which)
        start = _midnight(monday)
        return cls._checked(start, start + timedelta(days=7), PeriodKind.WEEK)

    @classmethod
    def month(cls, now: datetime, which: str | None = None) -> Period:
        """A calendar month: `which` as "2026-02", or by default the last complete one."""
        if which is None:
            first = now.astimezone(UTC).date().replace(day=1)
            year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
        else:
            match = _MONTH_RE.match(which.strip())
            if not match or not 1 <= int(match["month"]) <= 12:
                raise ValueError(f"cannot read {which!r} as a month (expected e.g. 2026-02)")
            year, month = int(match["year"]), int(match["month"])
            _check_year(year, which)
        return cls._month(year, month)

    @classmethod
    def _month(cls, year: int, month: int) -> Period:
        start = _midnight(date(year, month, 1))
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(start, _midnight(end), PeriodKind.MONTH)

    @classmethod
    def between(cls, since: datetime, until: datetime) -> Period:
        return cls._checked(since, until)

    @classmethod
    def _checked(
        cls,
        since: datetime,
        until: datetime,
        kind: PeriodKind = PeriodKind.RANGE,
        days: int = 0,
        name: str = "",
    ) -> Period:
        """A period people asked for: within EARLIEST and LATEST, or ValueError."""
        for at in (since, until):
            if at.tzinfo is not None and not EARLIEST <= at <= LATEST:
                raise ValueError(  # isoformat: strftime writes year 1 as "1", not "0001"
                    f"{at.date().isoformat()} is outside the years {EARLIEST.year} to "
                    f"{LATEST.year - 1}"
                )
        return cls(since, until, kind, days, name)

    # -- stepping ---------------------------------------------------------------------

    def shifted(self, steps: int) -> Period:
        """The period `steps` lengths later (negative: earlier), of the same kind."""
        if self.kind is PeriodKind.MONTH:
            index = self.since.year * 12 + self.since.month - 1 + steps
            return self._month(index // 12, index % 12 + 1)
        length = self.until - self.since
        return replace(
            self, since=self.since + steps * length, until=self.until + steps * length, name=""
        )

    # -- naming -----------------------------------------------------------------------

    def describe(self) -> str:
        """How people name it: "last 7 days", "week 2026-W09", "February 2026", ..."""
        if self.name:
            return self.name
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.since.isocalendar()
            return f"week {year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.since:%B %Y}"
        if self.kind is PeriodKind.ROLLING:
            return f"{_plural(self.days, 'day')} to {self.until:%Y-%m-%d %H:%M}"
        return f"{day_or_instant(self.since)} to {day_or_instant(self.until)}"

    def title(self) -> str:
        """Its name and, where the name does not give them, its bounds."""
        name = self.describe()
        bounds = self.range_text()
        return name if name == bounds.replace(" → ", " to ") else f"{name} ({bounds})"

    def range_text(self) -> str:
        """The bounds as dates (or instants where they are not midnight): "a → b"."""
        if self.kind in (PeriodKind.WEEK, PeriodKind.MONTH):
            last_day = (self.until - timedelta(days=1)).date()
            return f"{self.since:%Y-%m-%d} → {last_day:%Y-%m-%d}"
        return f"{day_or_instant(self.since)} → {day_or_instant(self.until)}"


def parse_instant(text: str) -> datetime:
    """An instant from "2026-01-01" (midnight UTC) or ISO 8601 (UTC if it names no zone)."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a date (expected 2026-01-01 or 2026-01-01T09:00)"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _check_year(year: int, which: str) -> None:
    if not EARLIEST.year <= year < LATEST.year:
        raise ValueError(
            f"{which.strip()!r} is outside the years {EARLIEST.year} to {LATEST.year - 1}"
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_or_instant(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%d}" if at.time() == time() else f"{at:%Y-%m-%d %H:%M}"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
