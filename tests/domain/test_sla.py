"""The SLA engine: calendars, the default policy row by row, clock states, TOML errors.

No wall clock anywhere: every instant is spelled out. March 2026 is the reference
month (Fri 13, Sat 14, Sun 15, Mon 16, Tue 17, Wed 18, Thu 19, Fri 20); the default
policy's business hours are 09:00-18:00 UTC, Monday to Friday, with 2026-12-24/25 off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import (
    ALWAYS_OPEN,
    ActionVerb,
    BreachAction,
    BusinessCalendar,
    Calendar,
    ClockState,
    Policy,
    PolicyError,
    PriorityTargets,
    TargetKind,
    TargetSpec,
    TargetStatus,
    evaluate,
    evaluate_many,
    format_remaining,
    next_due,
    parse_duration,
    parse_policy,
    sla_columns,
)
from helpdesk_tui.settings.policies import builtin_names, load_builtin, read_builtin

FR = TargetKind.FIRST_RESPONSE
RES = TargetKind.RESOLUTION
UPD = TargetKind.UPDATE

DEFAULT = load_builtin("default")
NEXLY = load_builtin("nexly")
HOURS = timedelta(hours=1)
MINUTES = timedelta(minutes=1)


def utc(text: str) -> datetime:
    """ "2026-03-16 10:00" as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(priority: str, created: str, *, status: Status = Status.OPEN, **fields: Any) -> Ticket:
    return Ticket(
        key="HD-1",
        subject="printer on fire",
        priority=Priority(priority),
        status=status,
        created_at=utc(created),
        **fields,
    )


def pause(start: str, end: str | None, status: Status = Status.PENDING) -> PauseInterval:
    return PauseInterval(utc(start), None if end is None else utc(end), status)


def clock(statuses: list[TargetStatus], kind: TargetKind) -> TargetStatus:
    (found,) = [s for s in statuses if s.kind is kind]
    return found


def weekdays(start: time, end: time) -> list[tuple[tuple[time, time], ...]]:
    return [((start, end),)] * 5 + [(), ()]


STOCKHOLM = BusinessCalendar("sthlm", "Europe/Stockholm", weekdays(time(9), time(18)))
# Open every day around the clock in local time, so its days are 23 h and 25 h long at
# the DST changes; and a Sunday-night window straddling the change itself.
STOCKHOLM_ALL_DAY = BusinessCalendar("sthlm-all", "Europe/Stockholm", [((time(0), time(0)),)] * 7)
STOCKHOLM_SUNDAY = BusinessCalendar(
    "sthlm-sun", "Europe/Stockholm", [()] * 6 + [((time(1), time(4)),)]
)
NEW_YORK = BusinessCalendar("nyc", "America/New_York", weekdays(time(9), time(17)))


# ------------------------------------------------------------- default policy, row by row

# (priority, target, created, extra ticket fields, due) for every row of the default
# policy (product.md "Priorities and SLAs"), in and out of business hours.
DEFAULT_ROWS = [
    # critical: 15 min / 4 h / update every hour, all 24/7
    ("critical", FR, "2026-03-16 10:00", {}, "2026-03-16 10:15"),
    ("critical", FR, "2026-03-14 03:00", {}, "2026-03-14 03:15"),  # Saturday night
    ("critical", FR, "2026-12-25 10:00", {}, "2026-12-25 10:15"),  # holiday
    ("critical", RES, "2026-03-16 10:00", {}, "2026-03-16 14:00"),
    ("critical", RES, "2026-03-14 22:00", {}, "2026-03-15 02:00"),  # over midnight, weekend
    ("critical", UPD, "2026-03-16 10:00", {}, "2026-03-16 11:00"),
    ("critical", UPD, "2026-03-14 23:30", {}, "2026-03-15 00:30"),
    (
        "critical",
        UPD,
        "2026-03-16 10:00",
        {
            "first_response_at": utc("2026-03-16 10:05"),
            "last_public_update_at": utc("2026-03-16 10:40"),
        },
        "2026-03-16 11:40",
    ),
    # high: 1 h in business hours, 4 h outside, on a 24/7 clock; 8 h resolution
    ("high", FR, "2026-03-16 10:00", {}, "2026-03-16 11:00"),
    ("high", FR, "2026-03-16 09:00", {}, "2026-03-16 10:00"),  # opening instant: in hours
    ("high", FR, "2026-03-16 17:30", {}, "2026-03-16 18:30"),  # in hours; runs past closing
    ("high", FR, "2026-03-16 18:00", {}, "2026-03-16 22:00"),  # closing instant: outside
    ("high", FR, "2026-03-16 08:59", {}, "2026-03-16 12:59"),
    ("high", FR, "2026-03-14 10:00", {}, "2026-03-14 14:00"),  # Saturday
    ("high", FR, "2026-12-25 10:00", {}, "2026-12-25 14:00"),  # holiday (a Friday)
    ("high", RES, "2026-03-16 10:00", {}, "2026-03-16 18:00"),
    ("high", RES, "2026-03-14 20:00", {}, "2026-03-15 04:00"),
    # medium: 4 h / 1 business day (9 h), business hours
    ("medium", FR, "2026-03-16 10:00", {}, "2026-03-16 14:00"),
    ("medium", FR, "2026-03-16 16:00", {}, "2026-03-17 11:00"),  # over the night
    ("medium", FR, "2026-03-13 20:00", {}, "2026-03-16 13:00"),  # Friday evening -> Monday
    ("medium", FR, "2026-03-14 12:00", {}, "2026-03-16 13:00"),  # Saturday
    ("medium", FR, "2026-12-23 16:00", {}, "2026-12-28 11:00"),  # Wed; 24th and 25th are off
    ("medium", RES, "2026-03-16 10:00", {}, "2026-03-17 10:00"),
    ("medium", RES, "2026-03-16 09:00", {}, "2026-03-16 18:00"),  # ends at closing time
    ("medium", RES, "2026-03-13 20:00", {}, "2026-03-16 18:00"),
    # low: 1 business day / 3 business days, business hours
    ("low", FR, "2026-03-16 10:00", {}, "2026-03-17 10:00"),
    ("low", FR, "2026-03-13 17:00", {}, "2026-03-16 17:00"),  # Friday, 1 h before closing
    ("low", RES, "2026-03-16 10:00", {}, "2026-03-19 10:00"),
    ("low", RES, "2026-03-18 10:00", {}, "2026-03-23 10:00"),  # Wed -> Mon over a weekend
    ("low", RES, "2026-03-14 10:00", {}, "2026-03-18 18:00"),  # Saturday -> counts from Mon
]


@pytest.mark.parametrize(
    ("priority", "kind", "created", "fields", "due"),
    DEFAULT_ROWS,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in DEFAULT_ROWS],
)
def test_default_policy_due_times(
    priority: str, kind: TargetKind, created: str, fields: dict[str, Any], due: str
) -> None:
    t = ticket(priority, created, **fields)
    status = clock(evaluate(t, DEFAULT, utc(created)), kind)
    assert status.due_at == utc(due)
    assert status.state is ClockState.RUNNING
    assert status.stopped_at is None


@pytest.mark.parametrize(
    ("priority", "kinds", "target"),
    [
        ("critical", [FR, RES, UPD], [15 * MINUTES, 4 * HOURS, 1 * HOURS]),
        ("high", [FR, RES], [1 * HOURS, 8 * HOURS]),
        ("medium", [FR, RES], [4 * HOURS, 9 * HOURS]),
        ("low", [FR, RES], [9 * HOURS, 27 * HOURS]),
    ],
)
def test_default_policy_targets_per_priority(
    priority: str, kinds: list[TargetKind], target: list[timedelta]
) -> None:
    statuses = evaluate(ticket(priority, "2026-03-16 10:00"), DEFAULT, utc("2026-03-16 10:00"))
    assert [s.kind for s in statuses] == kinds
    assert [s.target for s in statuses] == target


def test_high_priority_outside_hours_target_is_four_hours() -> None:
    statuses = evaluate(ticket("high", "2026-03-14 10:00"), DEFAULT, utc("2026-03-14 10:00"))
    assert clock(statuses, FR).target == 4 * HOURS


def test_default_policy_breach_rules() -> None:
    critical = DEFAULT.rule(Priority.CRITICAL)
    assert critical.on_at_risk == BreachAction(ActionVerb.NOTIFY, "lead")
    assert critical.on_breach == BreachAction(ActionVerb.ESCALATE, "tier3")
    assert DEFAULT.rule(Priority.HIGH).on_breach == BreachAction(ActionVerb.ESCALATE, "tier2")
    assert DEFAULT.rule(Priority.LOW).on_at_risk is None
    assert DEFAULT.action_for(Priority.CRITICAL, "breached") == critical.on_breach
    assert DEFAULT.action_for(Priority.MEDIUM, "at_risk") is None
    with pytest.raises(ValueError, match="unknown SLA event"):
        DEFAULT.action_for(Priority.MEDIUM, "late")
    assert Status.ON_HOLD not in DEFAULT.pause_statuses
    assert {Status.PENDING, Status.RESOLVED} <= DEFAULT.pause_statuses


# ----------------------------------------------------------------------------- calendars


def test_business_seconds_over_a_weekend_and_a_holiday() -> None:
    cal = DEFAULT.calendar("business")
    # Friday 17:00 -> Monday 10:00: one hour on Friday, one on Monday.
    assert cal.business_seconds(utc("2026-03-13 17:00"), utc("2026-03-16 10:00")) == 7200
    # Wednesday 17:00 -> Monday 10:00 around Christmas: the 24th and 25th are holidays.
    assert cal.business_seconds(utc("2026-12-23 17:00"), utc("2026-12-28 10:00")) == 7200
    assert cal.business_seconds(utc("2026-03-14 00:00"), utc("2026-03-16 00:00")) == 0
    assert cal.business_seconds(utc("2026-03-16 12:00"), utc("2026-03-16 11:00")) == 0


def test_add_starts_counting_at_the_next_opening() -> None:
    cal = DEFAULT.calendar("business")
    assert cal.add(utc("2026-03-13 20:00"), 3600) == utc("2026-03-16 10:00")
    assert cal.add(utc("2026-03-16 07:00"), 60) == utc("2026-03-16 09:01")
    # Exactly a day's work ends at closing time, not at the next opening.
    assert cal.add(utc("2026-03-16 09:00"), 9 * 3600) == utc("2026-03-16 18:00")
    assert cal.add(utc("2026-03-14 12:00"), 0) == utc("2026-03-14 12:00")


def test_is_open_windows_are_closed_open() -> None:
    cal = DEFAULT.calendar("business")
    assert cal.is_open(utc("2026-03-16 09:00"))
    assert cal.is_open(utc("2026-03-16 17:59:59"))
    assert not cal.is_open(utc("2026-03-16 18:00"))
    assert not cal.is_open(utc("2026-03-14 12:00"))
    assert not cal.is_open(utc("2026-12-25 12:00"))
    assert ALWAYS_OPEN.is_open(utc("2026-12-25 03:00"))


def test_business_window_on_the_dst_monday_stockholm() -> None:
    # Clocks go forward on Sunday 2026-03-29: Friday opens 08:00 UTC (CET), Monday 07:00 (CEST).
    assert STOCKHOLM.is_open(utc("2026-03-27 08:00"))
    assert not STOCKHOLM.is_open(utc("2026-03-27 07:30"))
    assert STOCKHOLM.is_open(utc("2026-03-30 07:00"))
    assert not STOCKHOLM.is_open(utc("2026-03-30 16:00"))  # 18:00 CEST
    # Friday 17:00 CET -> Monday 10:00 CEST is two business hours.
    assert STOCKHOLM.business_seconds(utc("2026-03-27 16:00"), utc("2026-03-30 08:00")) == 7200
    assert STOCKHOLM.add(utc("2026-03-27 16:00"), 7200) == utc("2026-03-30 08:00")


def test_business_window_on_the_dst_sunday() -> None:
    # 01:00-04:00 local on the spring-forward night is two real hours, on the fall-back
    # night four: the window is converted through the zone, not assumed 3 h long.
    spring = STOCKHOLM_SUNDAY.business_seconds(utc("2026-03-28 12:00"), utc("2026-03-29 12:00"))
    autumn = STOCKHOLM_SUNDAY.business_seconds(utc("2026-10-24 12:00"), utc("2026-10-25 12:00"))
    assert (spring, autumn) == (2 * 3600, 4 * 3600)
    assert STOCKHOLM_SUNDAY.add(utc("2026-03-28 12:00"), 3600) == utc("2026-03-29 01:00")


def test_dst_days_are_23_and_25_hours_long() -> None:
    def local_day(d: date) -> tuple[datetime, datetime]:
        zone = ZoneInfo("Europe/Stockholm")
        start = datetime(d.year, d.month, d.day, tzinfo=zone)
        end = start.replace(day=d.day + 1)
        return start.astimezone(UTC), end.astimezone(UTC)

    assert STOCKHOLM_ALL_DAY.business_seconds(*local_day(date(2026, 3, 29))) == 23 * 3600
    assert STOCKHOLM_ALL_DAY.business_seconds(*local_day(date(2026, 10, 25))) == 25 * 3600
    assert STOCKHOLM_ALL_DAY.business_seconds(*local_day(date(2026, 3, 30))) == 24 * 3600


def test_24x7_span_over_the_dst_change() -> None:
    # Saturday noon to Sunday noon in Stockholm across spring-forward: 23 real hours,
    # and a 24x7 clock counts real hours.
    zone = ZoneInfo("Europe/Stockholm")
    start = datetime(2026, 3, 28, 12, tzinfo=zone)
    end = datetime(2026, 3, 29, 12, tzinfo=zone)
    assert ALWAYS_OPEN.business_seconds(start, end) == 23 * 3600
    assert ALWAYS_OPEN.add(start, 24 * 3600) == datetime(2026, 3, 29, 13, tzinfo=zone)


def test_new_york_dst_weekend() -> None:
    # 2026-03-08: EST -> EDT. Friday 16:00 EST = 21:00Z; Monday 10:00 EDT = 14:00Z.
    assert NEW_YORK.business_seconds(utc("2026-03-06 21:00"), utc("2026-03-09 14:00")) == 7200
    assert NEW_YORK.add(utc("2026-03-06 21:00"), 3600 * 2) == utc("2026-03-09 14:00")


def test_calendar_grows_without_changing_what_it_answered() -> None:
    cal = BusinessCalendar("grow", "Europe/Stockholm", weekdays(time(9), time(17)))
    a, b = utc("2026-03-13 10:00"), utc("2026-03-17 10:00")
    before = cal.business_seconds(a, b)
    # Reaching far back and far ahead extends the table on both sides...
    assert cal.business_seconds(utc("1999-01-04 00:00"), utc("1999-01-05 00:00")) == 8 * 3600
    assert cal.add(utc("2031-01-01 00:00"), 8 * 3600) == utc("2031-01-01 16:00")
    # ...and spans across the old edges still add up.
    assert cal.business_seconds(a, b) == before == 2 * 8 * 3600
    assert cal.add(utc("2024-12-31 12:00"), 16 * 3600) == utc("2025-01-02 12:00")


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 16, 10)
    cal = DEFAULT.calendar("business")
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.business_seconds(naive, utc("2026-03-16 11:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(ticket("medium", "2026-03-16 10:00"), DEFAULT, naive)
    bad = Ticket(key="HD-1", subject="x", created_at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(bad, DEFAULT, utc("2026-03-16 10:00"))


def test_calendar_validation() -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        BusinessCalendar("x", "Mars/Olympus", weekdays(time(9), time(17)))
    with pytest.raises(ValueError, match="at least one opening"):
        BusinessCalendar("x", "UTC", [()] * 7)
    with pytest.raises(ValueError, match="ends before it starts"):
        BusinessCalendar("x", "UTC", weekdays(time(18), time(9)))
    with pytest.raises(ValueError, match="7 entries"):
        BusinessCalendar("x", "UTC", [((time(9), time(17)),)])


# ------------------------------------------------------------------------- clock states


def test_first_response_met_and_breached() -> None:
    now = utc("2026-03-16 12:00")
    met = clock(
        evaluate(
            ticket("critical", "2026-03-16 10:00", first_response_at=utc("2026-03-16 10:15")),
            DEFAULT,
            now,
        ),
        FR,
    )
    assert met.state is ClockState.MET
    assert met.stopped_at == utc("2026-03-16 10:15")
    assert met.remaining == timedelta(0)
    assert met.elapsed == 15 * MINUTES
    assert not met.at_risk

    late = clock(
        evaluate(
            ticket("critical", "2026-03-16 10:00", first_response_at=utc("2026-03-16 10:20")),
            DEFAULT,
            now,
        ),
        FR,
    )
    assert late.state is ClockState.BREACHED
    assert late.stopped_at == utc("2026-03-16 10:20")
    assert late.remaining == -5 * MINUTES
    assert late.due_at == utc("2026-03-16 10:15")


def test_running_at_risk_and_breached() -> None:
    t = ticket("medium", "2026-03-16 10:00")  # FR due 14:00, at risk from 13:00
    early, risky, late = (
        clock(evaluate(t, DEFAULT, utc(f"2026-03-16 {hh}")), FR)
        for hh in ("12:59", "13:00", "15:30")
    )
    assert (early.state, early.at_risk) == (ClockState.RUNNING, False)
    assert (risky.state, risky.at_risk) == (ClockState.RUNNING, True)
    assert risky.at_risk_at == utc("2026-03-16 13:00")
    assert risky.remaining == HOURS
    assert (late.state, late.at_risk) == (ClockState.BREACHED, False)
    assert late.stopped_at is None
    assert late.remaining == -90 * MINUTES
    assert format_remaining(late.remaining) == "-1h30m"


def test_pending_pauses_the_clock() -> None:
    t = ticket(
        "medium",
        "2026-03-16 10:00",
        status=Status.PENDING,
        first_response_at=utc("2026-03-16 10:30"),
        pauses=(pause("2026-03-16 12:00", None),),
    )
    res = clock(evaluate(t, DEFAULT, utc("2026-03-18 12:00")), RES)
    assert res.state is ClockState.PAUSED
    assert res.due_at is None
    assert res.elapsed == 2 * HOURS
    assert res.remaining == 7 * HOURS  # frozen at the pause
    assert sla_columns(t, DEFAULT) == (None, None)


def test_pause_over_a_weekend() -> None:
    # Friday 16:00, medium: 1 h counted before the pause; pending until Monday 11:00;
    # the remaining 3 h run from there.
    t = ticket(
        "medium", "2026-03-13 16:00", pauses=(pause("2026-03-13 17:00", "2026-03-16 11:00"),)
    )
    fr = clock(evaluate(t, DEFAULT, utc("2026-03-16 12:00")), FR)
    assert fr.due_at == utc("2026-03-16 14:00")
    assert fr.elapsed == 2 * HOURS
    assert fr.state is ClockState.RUNNING
    # Without the pause: Friday 16-18 and Monday 09-11.
    plain = clock(
        evaluate(ticket("medium", "2026-03-13 16:00"), DEFAULT, utc("2026-03-16 10:00")), FR
    )
    assert plain.due_at == utc("2026-03-16 11:00")


def test_overlapping_pauses_count_once() -> None:
    # Stores keep pauses disjoint; if two overlap anyway, the still time is their union.
    t = ticket(
        "critical",
        "2026-03-16 10:00",
        pauses=(
            pause("2026-03-16 11:00", "2026-03-16 12:00"),
            pause("2026-03-16 11:30", "2026-03-16 12:30", Status.RESOLVED),
            pause("2026-03-16 09:00", "2026-03-16 10:30"),  # began before the ticket
        ),
    )
    res = clock(evaluate(t, DEFAULT, utc("2026-03-16 13:00")), RES)
    assert res.elapsed == 60 * MINUTES  # 10:30-11:00 and 12:30-13:00
    assert res.due_at == utc("2026-03-16 16:00")


def test_on_hold_pauses_only_when_the_policy_says_so() -> None:
    fields: dict[str, Any] = {
        "pauses": (pause("2026-03-16 10:30", "2026-03-16 12:30", Status.ON_HOLD),)
    }
    now = utc("2026-03-16 13:00")
    default = clock(evaluate(ticket("high", "2026-03-16 10:00", **fields), DEFAULT, now), RES)
    nexly = clock(evaluate(ticket("high", "2026-03-16 10:00", **fields), NEXLY, now), RES)
    assert default.elapsed == 3 * HOURS
    assert nexly.elapsed == 1 * HOURS
    assert nexly.due_at == utc("2026-03-18 12:00")  # 48 h + 2 h on hold


def test_breached_before_a_pause_stays_breached() -> None:
    t = ticket(
        "critical",
        "2026-03-16 10:00",
        status=Status.PENDING,
        pauses=(pause("2026-03-16 10:30", None),),
    )
    fr = clock(evaluate(t, DEFAULT, utc("2026-03-16 11:00")), FR)
    assert fr.state is ClockState.BREACHED
    assert fr.due_at == utc("2026-03-16 10:15")
    assert fr.remaining == -15 * MINUTES  # frozen while paused


def test_resolution_met_and_time_awaiting_confirmation_does_not_count() -> None:
    resolved = ticket(
        "high",
        "2026-03-16 10:00",
        status=Status.RESOLVED,
        first_response_at=utc("2026-03-16 10:10"),
        resolved_at=utc("2026-03-16 15:00"),
        pauses=(pause("2026-03-16 15:00", None, Status.RESOLVED),),
    )
    statuses = evaluate(resolved, DEFAULT, utc("2026-03-17 09:00"))
    assert [s.state for s in statuses] == [ClockState.MET, ClockState.MET]
    assert clock(statuses, RES).due_at == utc("2026-03-16 18:00")
    assert clock(statuses, RES).stopped_at == utc("2026-03-16 15:00")
    assert sla_columns(resolved, DEFAULT) == (None, None)

    # Reopened next morning: the clock resumes with 3 h left, whatever resolved_at says.
    reopened = ticket(
        "high",
        "2026-03-16 10:00",
        status=Status.OPEN,
        first_response_at=utc("2026-03-16 10:10"),
        resolved_at=utc("2026-03-16 15:00"),
        pauses=(pause("2026-03-16 15:00", "2026-03-17 09:00", Status.RESOLVED),),
    )
    res = clock(evaluate(reopened, DEFAULT, utc("2026-03-17 10:00")), RES)
    assert res.state is ClockState.RUNNING
    assert res.due_at == utc("2026-03-17 12:00")
    assert res.remaining == 2 * HOURS


def test_resolution_without_a_reply_counts_as_the_first_response() -> None:
    t = ticket(
        "medium",
        "2026-03-16 10:00",
        status=Status.CLOSED,
        resolved_at=utc("2026-03-16 11:00"),
        closed_at=utc("2026-03-18 11:00"),
    )
    statuses = evaluate(t, DEFAULT, utc("2026-03-20 10:00"))
    assert [(s.kind, s.state, s.stopped_at) for s in statuses] == [
        (FR, ClockState.MET, utc("2026-03-16 11:00")),
        (RES, ClockState.MET, utc("2026-03-16 11:00")),
    ]


def test_cancelled_tickets_never_breach() -> None:
    t = ticket(
        "critical", "2026-03-16 10:00", status=Status.CANCELLED, closed_at=utc("2026-03-16 13:00")
    )
    statuses = evaluate(t, DEFAULT, utc("2026-03-20 10:00"))
    assert [s.kind for s in statuses] == [FR, RES]  # no update clock
    assert all(s.state is ClockState.MET and s.due_at is None for s in statuses)
    assert next_due(statuses) is None
    assert sla_columns(t, DEFAULT) == (None, None)


def test_update_target() -> None:
    base: dict[str, Any] = {
        "first_response_at": utc("2026-03-16 10:05"),
        "last_public_update_at": utc("2026-03-16 10:05"),
    }
    running = ticket("critical", "2026-03-16 10:00", **base)
    upd = clock(evaluate(running, DEFAULT, utc("2026-03-16 11:30")), UPD)
    assert upd.due_at == utc("2026-03-16 11:05")
    assert upd.state is ClockState.BREACHED
    assert upd.remaining == -25 * MINUTES
    # Omitted once the ticket is resolved.
    done = ticket(
        "critical",
        "2026-03-16 10:00",
        status=Status.RESOLVED,
        resolved_at=utc("2026-03-16 12:00"),
        **base,
    )
    assert [s.kind for s in evaluate(done, DEFAULT, utc("2026-03-16 13:00"))] == [FR, RES]
    # Pending: the update clock waits with the others.
    waiting = ticket(
        "critical",
        "2026-03-16 10:00",
        status=Status.PENDING,
        pauses=(pause("2026-03-16 10:30", None),),
        **base,
    )
    assert (
        clock(evaluate(waiting, DEFAULT, utc("2026-03-16 13:00")), UPD).state is ClockState.PAUSED
    )


def test_next_due_prefers_breached_then_soonest() -> None:
    t = ticket("critical", "2026-03-16 10:00", last_public_update_at=utc("2026-03-16 10:40"))
    statuses = evaluate(t, DEFAULT, utc("2026-03-16 10:30"))
    # FR breached at 10:15; resolution due 14:00; update due 11:40.
    nd = next_due(statuses)
    assert nd is not None and nd.kind is FR and nd.state is ClockState.BREACHED
    answered = ticket(
        "critical",
        "2026-03-16 10:00",
        first_response_at=utc("2026-03-16 10:10"),
        last_public_update_at=utc("2026-03-16 10:40"),
    )
    nd = next_due(evaluate(answered, DEFAULT, utc("2026-03-16 10:30")))
    assert nd is not None and nd.kind is UPD and nd.due_at == utc("2026-03-16 11:40")
    assert next_due([]) is None


def test_sla_columns_track_the_next_due_and_earliest_risk() -> None:
    t = ticket("medium", "2026-03-16 10:00")
    assert sla_columns(t, DEFAULT) == (utc("2026-03-16 14:00"), utc("2026-03-16 13:00"))
    answered = ticket("medium", "2026-03-16 10:00", first_response_at=utc("2026-03-16 10:30"))
    # Resolution: due Tue 10:00; 75 % of 9 h = 6 h 45 m -> Mon 16:45.
    assert sla_columns(answered, DEFAULT) == (utc("2026-03-17 10:00"), utc("2026-03-16 16:45"))
    assert sla_columns(ticket("low", "2026-03-16 10:00", status=Status.CLOSED), DEFAULT) == (
        None,
        None,
    )


def test_evaluate_many_matches_evaluate() -> None:
    tickets = [ticket(p.value, "2026-03-16 10:00") for p in Priority]
    now = utc("2026-03-16 15:00")
    assert evaluate_many(tickets, DEFAULT, now) == [evaluate(t, DEFAULT, now) for t in tickets]


def test_a_priority_without_targets_has_no_clocks() -> None:
    policy = Policy(name="bare", targets={Priority.LOW: PriorityTargets()})
    assert evaluate(ticket("low", "2026-03-16 10:00"), policy, utc("2026-03-17 10:00")) == []
    assert evaluate(ticket("high", "2026-03-16 10:00"), policy, utc("2026-03-17 10:00")) == []
    assert sla_columns(ticket("high", "2026-03-16 10:00"), policy) == (None, None)


def test_programmatic_policy_is_checked() -> None:
    with pytest.raises(
        PolicyError, match=r"priorities\.high\.first_response\.calendar: unknown calendar 'biz'"
    ):
        Policy(
            name="x",
            targets={Priority.HIGH: PriorityTargets(first_response=TargetSpec(HOURS, "biz"))},
        )
    with pytest.raises(PolicyError, match="at_risk_share"):
        Policy(name="x", at_risk_share=0)
    assert Policy(name="x", pause_statuses=frozenset()).pause_statuses == {
        Status.PENDING,
        Status.RESOLVED,
    }


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=4, seconds=12), "4m12s"),
        (timedelta(hours=1, minutes=5, seconds=59), "1h05m"),
        (timedelta(days=3, hours=2, minutes=30), "3d02h"),
        (-timedelta(hours=3, minutes=20), "-3h20m"),
        (-timedelta(seconds=0.4), "0s"),
        (timedelta(0), "0s"),
    ],
)
def test_format_remaining(td: timedelta, text: str) -> None:
    assert format_remaining(td) == text


# --------------------------------------------------------------------------- the nexly policy


def test_builtin_policies() -> None:
    assert set(builtin_names()) >= {"default", "nexly"}
    assert "[priorities.critical]" in read_builtin("default")
    for bad in ("nope", "../default", "default.toml"):
        with pytest.raises(PolicyError, match="no built-in policy"):
            load_builtin(bad)


def test_nexly_policy() -> None:
    p0 = evaluate(ticket("critical", "2026-03-14 10:00"), NEXLY, utc("2026-03-14 10:00"))
    assert [(s.kind, s.due_at) for s in p0] == [
        (FR, utc("2026-03-14 11:00")),  # work begins within 1 h, 24/7
        (UPD, utc("2026-03-15 10:00")),  # daily status updates; no resolution target
    ]
    p1 = evaluate(ticket("high", "2026-03-16 10:00"), NEXLY, utc("2026-03-16 10:00"))
    assert [s.due_at for s in p1] == [utc("2026-03-16 14:00"), utc("2026-03-18 10:00")]
    # Standard: 24 business hours of 8 h days = three business days.
    for priority in ("medium", "low"):
        std = evaluate(ticket(priority, "2026-03-13 20:00"), NEXLY, utc("2026-03-13 20:00"))
        assert [(s.kind, s.due_at) for s in std] == [(FR, utc("2026-03-18 17:00"))]
    assert Status.ON_HOLD in NEXLY.pause_statuses


# --------------------------------------------------------------------------- parse errors

_BAD_POLICIES = [
    (
        'resolution = "8h"',
        'resolution = "8x"',
        "priorities.high.resolution: cannot read '8x' as a duration",
    ),
    ('resolution = "8h"', 'resolve = "8h"', "priorities.high: unknown key 'resolve'"),
    (
        'timezone = "UTC"',
        'timezone = "Mars/Olympus"',
        "calendars.business.timezone: unknown timezone 'Mars/Olympus'",
    ),
    (
        'hours = "09:00-18:00"',
        'hours = "9-18"',
        "calendars.business.hours: cannot read '9' as a time",
    ),
    (
        'hours = "09:00-18:00"',
        'hours = "18:00-09:00"',
        "calendars.business.hours: window 18:00-09:00 ends before",
    ),
    (
        'hours = "09:00-18:00"',
        'hours = "09:00-12:00, 11:00-18:00"',
        "calendars.business.hours: windows overlap",
    ),
    (
        "2026-01-01,",
        '"2026-13-01",',
        "calendars.business.holidays: cannot read '2026-13-01' as a date",
    ),
    (
        'weekdays = ["mon", "tue", "wed", "thu", "fri"]',
        'weekdays = ["mon", "funday"]',
        "calendars.business.weekdays: unknown weekday 'funday'",
    ),
    ('clock = "business"', 'clock = "biz"', "priorities.medium.clock: unknown calendar 'biz'"),
    (
        'on_breach = "escalate:tier3"',
        'on_breach = "page:cto"',
        "priorities.critical.on_breach: cannot read 'page:cto' as an action",
    ),
    (
        "at_risk_share = 0.75",
        "at_risk_share = 1.5",
        "at_risk_share: expected a number above 0 and at most 1",
    ),
    ("pause_on_hold = false", 'pause_on_hold = "no"', "pause_on_hold: expected true or false"),
    (
        'first_response = "15m"',
        'first_response = "1bd"',
        "priorities.critical.first_response: '1bd' counts business time but the clock is 24x7",
    ),
    (
        'first_response = "4h"',
        'first_response = "1d"',
        "priorities.medium.first_response: '1d': 'd' means 24 hours",
    ),
    (
        'first_response = "4h"',
        "first_response = 4",
        "priorities.medium.first_response: 4 needs a unit",
    ),
    (
        'first_response = "4h"',
        'first_response = "0m"',
        "priorities.medium.first_response: duration '0m' must be longer than zero",
    ),
    (
        'outside_hours = "4h", hours = "business"',
        'outside_hours = "4h"',
        "priorities.high.first_response.hours: missing",
    ),
    (
        'hours = "business" }',
        'hours = "24x7" }',
        "priorities.high.first_response.hours: 24x7 is never closed",
    ),
    (
        '{ within = "1h",',
        '{ inside = "1h",',
        "priorities.high.first_response: unknown key 'inside'",
    ),
    ("[calendars.business]", '[calendars."24x7"]', "calendars.24x7: the name '24x7' is reserved"),
    ('name = "default"', 'name = ""', "name: missing"),
    ("[priorities.low]", "[priorities.p4]", "priorities: unknown priority 'p4'"),
    ("[priorities.critical]", "[priorities.critical", "not valid TOML:"),
    ('name = "default"', 'name = "default"\ncolour = "blue"', "unknown key 'colour'"),
]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    _BAD_POLICIES,
    ids=[m.split(":")[0] + f"-{i}" for i, (_, _, m) in enumerate(_BAD_POLICIES)],
)
def test_policy_errors_name_the_key_in_one_line(old: str, new: str, message: str) -> None:
    text = read_builtin("default")
    assert old in text
    with pytest.raises(PolicyError) as info:
        parse_policy(text.replace(old, new, 1))
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_policy_missing_a_priority() -> None:
    text = read_builtin("default")
    cut = text[: text.index("[priorities.low]")]
    with pytest.raises(PolicyError, match=r"^priorities\.low: missing"):
        parse_policy(cut)


def test_calendar_toml_shorthands() -> None:
    text = """
        name = "split"
        [calendars.office]
        timezone = "Europe/Stockholm"
        weekdays = ["mon", "tue", "wed", "thu", "fri"]
        hours = "08:00-12:00, 13:00-17:00"
        fri = "08:00-12:00"
        sat = "closed"
        holidays = ["2026-12-25", 2026-12-24]
        [priorities.critical]
        clock = "24x7"
        first_response = { within = "1h", clock = "office" }
        [priorities.high]
        [priorities.medium]
        clock = "office"
        resolution = "2bd"
        [priorities.low]
    """
    policy = parse_policy(text)
    office = policy.calendar("office")
    assert office.day_seconds == 8 * 3600  # the usual day, not the short Friday
    assert policy.targets[Priority.MEDIUM].resolution == TargetSpec(16 * HOURS, "office")
    assert policy.targets[Priority.CRITICAL].first_response == TargetSpec(HOURS, "office")
    assert policy.targets[Priority.HIGH] == PriorityTargets()
    # Lunch does not count; Friday afternoon is closed.
    assert office.business_seconds(utc("2026-03-16 10:00"), utc("2026-03-16 13:00")) == 2 * 3600
    assert office.business_seconds(utc("2026-03-20 07:00"), utc("2026-03-23 07:00")) == 4 * 3600


def test_parse_duration_and_action() -> None:
    business = DEFAULT.calendar("business")
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1.5bd", business) == timedelta(hours=13.5)
    assert parse_duration("24bh", business) == timedelta(hours=24)
    assert parse_duration("2d") == timedelta(days=2)
    with pytest.raises(ValueError):
        parse_duration("soon")
    # Past timedelta's range (or a float's): a reason, not OverflowError.
    for huge in ("99999999999999999999h", "9" * 400 + "h"):
        with pytest.raises(ValueError, match="too long"):
            parse_duration(huge)
    longest = timedelta(days=365)
    assert parse_duration("8760h", ALWAYS_OPEN, longest) == longest
    with pytest.raises(ValueError, match="longer than 365 days"):
        parse_duration("8761h", ALWAYS_OPEN, longest)
    action = BreachAction.parse(" Escalate:Tier2 ")
    assert (action.verb, action.tier, str(action)) == (ActionVerb.ESCALATE, 2, "escalate:tier2")
    assert BreachAction.parse("notify:lead").tier is None
    with pytest.raises(ValueError, match="as an action"):
        BreachAction.parse("escalate:tier9")


# ------------------------------------------------------------------------------ properties

PROPS = settings(deadline=None, max_examples=150)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
calendars: st.SearchStrategy[Calendar] = st.sampled_from(
    [STOCKHOLM, STOCKHOLM_SUNDAY, NEW_YORK, DEFAULT.calendar("business"), ALWAYS_OPEN]
)


@PROPS
@given(calendars, instants, instants, instants)
def test_business_time_adds_up_over_any_split(
    cal: Calendar, x: datetime, y: datetime, z: datetime
) -> None:
    a, b, c = sorted((x, y, z))
    whole = cal.business_seconds(a, c)
    assert whole == pytest.approx(cal.business_seconds(a, b) + cal.business_seconds(b, c), abs=1e-6)
    assert whole >= 0


@PROPS
@given(calendars, instants, st.floats(min_value=0, max_value=60 * 86400, allow_nan=False))
def test_add_and_business_seconds_are_inverse(cal: Calendar, t: datetime, seconds: float) -> None:
    end = cal.add(t, seconds)
    assert end >= t
    assert cal.business_seconds(t, end) == pytest.approx(seconds, abs=1e-6)


@st.composite
def tickets(draw: st.DrawFn, open_pause: bool = True) -> Ticket:
    """A ticket with up to three disjoint pauses (pending or on hold), maybe still paused."""
    created = draw(
        st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
        )
    )
    offsets = sorted(
        draw(st.lists(st.integers(1, 20 * 86400), min_size=0, max_size=6, unique=True))
    )
    if len(offsets) % 2:
        offsets = offsets[:-1]
    pauses = [
        PauseInterval(
            created + timedelta(seconds=offsets[i]),
            created + timedelta(seconds=offsets[i + 1]),
            draw(st.sampled_from([Status.PENDING, Status.ON_HOLD])),
        )
        for i in range(0, len(offsets), 2)
    ]
    status = Status.OPEN
    if open_pause and draw(st.booleans()):
        last = offsets[-1] if offsets else 0
        pauses.append(PauseInterval(created + timedelta(seconds=last + 60), None, Status.PENDING))
        status = Status.PENDING
    responded = draw(st.none() | st.integers(1, 30 * 86400))
    return Ticket(
        key="HD-1",
        subject="prop",
        priority=draw(st.sampled_from(list(Priority))),
        status=status,
        created_at=created,
        first_response_at=None if responded is None else created + timedelta(seconds=responded),
        pauses=tuple(pauses),
    )


policies = st.sampled_from([DEFAULT, NEXLY])
later = st.integers(0, 40 * 86400).map(lambda s: timedelta(seconds=s))


@PROPS
@given(tickets(), policies, later)
def test_due_is_never_before_the_start(t: Ticket, policy: Policy, after: timedelta) -> None:
    for status in evaluate(t, policy, t.created_at + after):
        if status.due_at is not None:
            assert status.due_at > t.created_at
        if status.at_risk_at is not None and status.due_at is not None:
            assert status.at_risk_at <= status.due_at


@PROPS
@given(
    tickets(open_pause=False),
    policies,
    later,
    st.integers(0, 30 * 86400),
    st.integers(1, 5 * 86400),
)
def test_a_pause_never_shortens_what_remains(
    t: Ticket, policy: Policy, after: timedelta, start: int, length: int
) -> None:
    now = t.created_at + after
    extra = PauseInterval(
        t.created_at + timedelta(seconds=start),
        t.created_at + timedelta(seconds=start + length),
        Status.PENDING,
    )
    paused = t.with_changes(pauses=tuple(sorted((*t.pauses, extra), key=lambda p: p.start)))
    for before, after_pause in zip(
        evaluate(t, policy, now), evaluate(paused, policy, now), strict=True
    ):
        assert after_pause.remaining >= before.remaining
        if before.due_at is not None and after_pause.due_at is not None:
            assert after_pause.due_at >= before.due_at


@PROPS
@given(tickets(), policies, later)
def test_sla_columns_do_not_depend_on_now(t: Ticket, policy: Policy, after: timedelta) -> None:
    statuses = evaluate(t, policy, t.created_at + after)
    counting = [s for s in statuses if s.stopped_at is None and s.state is not ClockState.MET]
    due, risk = sla_columns(t, policy)
    if t.status is Status.PENDING:
        assert (due, risk) == (None, None)
    else:
        assert due == min((s.due_at for s in counting if s.due_at), default=None)
        assert risk == min((s.at_risk_at for s in counting if s.at_risk_at), default=None)
