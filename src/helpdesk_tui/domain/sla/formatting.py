"""Time left on an SLA clock, as every screen, the command line and the reports show it.

What "time left" means
----------------------
The time left of a clock is its due instant minus `now` on the wall clock: negative
past due, none while the ticket stands in a pause (the clock has no due instant to
count towards) and none once the clock has stopped. It is the order the store sorts
"by SLA" in (`sla_due_at` ascending, no due instant last), so a list sorted that way
reads in the order of its SLA column.

The working time a clock has used and has left (`TargetStatus.elapsed`, `.remaining`)
is what the policy measures; it is shown beside the time left on the ticket, never in
its place. Where the two differ the clock will stand still before it is due (a night,
a weekend or a holiday of its calendar lies in between): a countdown would run through
hours in which the clock does not, so the cell names the due moment instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from ..model import DONE_STATUSES, Status
from ..text import N_
from .calendar import DAY_SECONDS
from .evaluation import TargetStatus, next_due
from .policy import ClockState

WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
"""Weekday names for a due moment, without the locale's strftime (the process locale
may not be set); the outer rings translate them as they translate every marked word."""

DONE, MET, MISSED, PAUSED = N_("done"), N_("met"), N_("missed"), N_("paused")

WEEKDAY_SPAN = 6
"""A due moment up to this many days ahead is named by its weekday ("Mon 09:31");
further away the weekday would be ambiguous, so it is dated ("12-28 09:31")."""

DATED_SPAN = 183
"""Further than this many days the year could be mistaken: the date stands alone."""

DISPLAY_ZONE: tzinfo = UTC
"""The zone times are shown in. Every screen, the command line and the reports show
UTC and say so (ticket fields, conversation, history, the status line, the report
header); no setting changes it, so a due moment is in UTC like every other time."""

STANDS_STILL_SLACK = 1.0
"""Seconds by which the time left may exceed the working time left before the clock
counts as standing still before it is due (float rounding of the engine's instants)."""

Words = Callable[[str], str]
"""Translates a marked English word ("met", "Mon"); the command line keeps English."""


def _same(word: str) -> str:
    return word


@dataclass(frozen=True, slots=True)
class ClockCell:
    """What an SLA cell shows: its text, and its tone ("running", "at-risk",
    "breached", "paused", "met") for the screens' colours."""

    text: str
    tone: str


def format_remaining(remaining: timedelta) -> str:
    """A short countdown: "45s", "4m12s", "1h05m", "3d02h"; "-" when overdue.

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
    if whole < DAY_SECONDS:
        h, r = divmod(whole, 3600)
        return f"{sign}{h}h{r // 60:02d}m"
    d, r = divmod(whole, DAY_SECONDS)
    return f"{sign}{d}d{r // 3600:02d}h"


def format_span(duration: timedelta) -> str:
    """Working time: "8h", "2h45m", "27h", "4m", "4m12s", "59s". Hours are not made into
    days: a day of working time is not 24 hours, so "27h" never reads as "1d03h"."""
    secs = duration.total_seconds()
    whole = int(abs(secs))
    sign = "-" if secs < 0 and whole else ""
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}m" if minutes else f"{sign}{hours}h"
    if minutes:
        return f"{sign}{minutes}m{seconds:02d}s" if seconds else f"{sign}{minutes}m"
    return f"{sign}{seconds}s"


def time_left(status: TargetStatus, now: datetime) -> timedelta | None:
    """The clock's due instant minus `now`: negative past due; None for a clock that
    has stopped (met in time or late) or stands in a pause."""
    if status.due_at is None or not status.is_unmet or status.in_pause:
        return None
    return status.due_at - now


def stands_still_before_due(status: TargetStatus, now: datetime) -> bool:
    """Whether the clock's calendar closes between `now` and its due instant: its
    working time left is less than its time left."""
    left = time_left(status, now)
    if left is None or left <= timedelta(0):
        return False
    return left.total_seconds() - status.remaining.total_seconds() >= STANDS_STILL_SLACK


def format_moment(
    at: datetime, now: datetime, zone: tzinfo = DISPLAY_ZONE, words: Words = _same
) -> str:
    """An instant near `now` as "Mon 09:31"; more than WEEKDAY_SPAN days away (either
    way) "12-28 09:31", and further than DATED_SPAN days "2027-06-30"."""
    local = at.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    if abs(days) <= WEEKDAY_SPAN:
        return f"{words(WEEKDAY_NAMES[local.weekday()])} {local:%H:%M}"
    if abs(days) < DATED_SPAN:
        return f"{local:%m-%d %H:%M}"
    return f"{local:%Y-%m-%d}"


def clock_cell(
    status: TargetStatus | None,
    now: datetime,
    *,
    zone: tzinfo = DISPLAY_ZONE,
    words: Words = _same,
) -> ClockCell:
    """One clock as a cell: its countdown ("45s", "2h10m", "-3h32m", "1d04h"), or its
    due moment ("Mon 09:31") when it will stand still before it is due; "met",
    "missed" or "paused" when it has no time left to count; "—" for no clock."""
    if status is None:
        return ClockCell("—", "met")
    if status.state is ClockState.MET:
        return ClockCell(words(MET), "met")
    if status.stopped_at is not None:
        return ClockCell(words(MISSED), "breached")
    left = time_left(status, now)
    if left is None:
        # It stands in a pause. One that broke before the pause stays red: the agent
        # should still see it.
        broken = status.state is ClockState.BREACHED
        return ClockCell(words(PAUSED), "breached" if broken else "paused")
    if left <= timedelta(0) or status.state is ClockState.BREACHED:
        return ClockCell(format_remaining(min(left, timedelta(0))), "breached")
    tone = "at-risk" if status.at_risk else "running"
    if stands_still_before_due(status, now):
        return ClockCell(format_moment(now + left, now, zone, words), tone)
    return ClockCell(format_remaining(left), tone)


def list_clock(statuses: Sequence[TargetStatus]) -> TargetStatus | None:
    """The clock a list shows a ticket by, and the store sorts it by (`sla_due_at`):
    the unmet one due soonest, overdue ones first; none while the ticket stands in a
    pause or once every clock has stopped."""
    if any(s.in_pause for s in statuses):
        return None
    return next_due(statuses)


def ticket_cell(
    ticket_status: Status,
    statuses: Sequence[TargetStatus],
    now: datetime,
    *,
    zone: tzinfo = DISPLAY_ZONE,
    words: Words = _same,
) -> ClockCell:
    """A ticket's SLA cell in a list: its clock due soonest (`next_due`), which is
    the clock whose due instant the store sorts it by. A ticket standing in a pause
    reads "paused" (the store has no due instant for it either), a finished one
    "done", one whose clocks have all stopped "met"."""
    if ticket_status in DONE_STATUSES:
        return ClockCell(words(DONE), "met")
    standing = [s for s in statuses if s.in_pause]
    if standing:
        broken = any(s.state is ClockState.BREACHED for s in standing)
        return ClockCell(words(PAUSED), "breached" if broken else "paused")
    headline = list_clock(statuses)
    if headline is None:
        return ClockCell(words(MET), "met")
    return clock_cell(headline, now, zone=zone, words=words)
