"""Time left on an SLA clock: the one definition and the one cell formatter.

The default policy's business calendar is 09:00-18:00 UTC, Monday to Friday, with
2026-12-24/25 and 2026-12-31/2027-01-01 off. The reference instant is Wednesday
2026-12-23 16:30 UTC: Thursday and Friday are holidays, then a weekend.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import (
    ClockCell,
    ClockState,
    TargetKind,
    TargetStatus,
    clock_cell,
    evaluate,
    format_moment,
    format_span,
    list_clock,
    sla_columns,
    stands_still_before_due,
    ticket_cell,
    time_left,
)
from helpdesk_tui.settings.policies import load_builtin

DEFAULT = load_builtin("default")
NOW = datetime(2026, 12, 23, 16, 30, tzinfo=UTC)
FR = TargetKind.FIRST_RESPONSE
RES = TargetKind.RESOLUTION


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(priority: str, created: str, **fields: Any) -> Ticket:
    return Ticket(
        key="HD-1", subject="s", priority=Priority(priority), created_at=utc(created), **fields
    )


def clock(t: Ticket, kind: TargetKind, now: datetime = NOW) -> TargetStatus:
    (found,) = [s for s in evaluate(t, DEFAULT, now) if s.kind is kind]
    return found


def status(**fields: Any) -> TargetStatus:
    """A clock as the engine would hand it out, for the cases a ticket makes awkward."""
    base: dict[str, Any] = {
        "kind": FR,
        "state": ClockState.RUNNING,
        "target": timedelta(hours=1),
        "due_at": NOW + timedelta(minutes=30),
        "at_risk_at": None,
        "remaining": timedelta(minutes=30),
        "elapsed": timedelta(minutes=30),
        "at_risk": False,
        "stopped_at": None,
    }
    base.update(fields)
    return TargetStatus(**base)


# ------------------------------------------------------------------- the definition


def test_time_left_is_the_wall_clock_to_the_due_instant_not_the_working_time() -> None:
    # Created Monday 17:00, 4 working hours: due Tuesday 12:00. On Wednesday 16:30 it
    # is 1 day 4½ hours past due on the clock, 13½ working hours past its target.
    late = clock(ticket("medium", "2026-12-21 17:00"), FR)
    assert late.state is ClockState.BREACHED
    assert late.remaining == -timedelta(hours=13, minutes=30)
    assert time_left(late, NOW) == -timedelta(days=1, hours=4, minutes=30)
    assert clock_cell(late, NOW) == ClockCell("-1d04h", "breached")


def test_a_clock_that_stands_still_before_it_is_due_names_its_due_moment() -> None:
    # Created Wednesday 15:00: 3 working hours today, then two holidays and a weekend;
    # the fourth hour is Monday 09:00-10:00.
    fr = clock(ticket("medium", "2026-12-23 15:00"), FR)
    assert fr.due_at == utc("2026-12-28 10:00")
    assert fr.remaining == timedelta(hours=2, minutes=30)
    assert time_left(fr, NOW) == timedelta(days=4, hours=17, minutes=30)
    assert stands_still_before_due(fr, NOW)
    assert clock_cell(fr, NOW) == ClockCell("Mon 10:00", "running")


def test_a_24_7_clock_counts_down_even_across_a_holiday() -> None:
    # Critical runs 24/7: its resolution (4 h) is due at 20:20, holidays or not.
    res = clock(ticket("critical", "2026-12-23 16:20"), RES)
    assert time_left(res, NOW) == res.remaining == timedelta(hours=3, minutes=50)
    assert not stands_still_before_due(res, NOW)
    assert clock_cell(res, NOW).text == "3h50m"


def test_a_business_clock_open_until_it_is_due_counts_down() -> None:
    fr = clock(ticket("medium", "2026-12-23 13:00"), FR)  # due 17:00 today
    assert clock_cell(fr, NOW) == ClockCell("30m00s", "at-risk")


def test_exactly_due_reads_zero_and_breached() -> None:
    fr = clock(ticket("critical", "2026-12-23 16:15"), FR)  # 15 minutes: due now
    assert fr.state is ClockState.BREACHED and fr.due_at == NOW
    assert time_left(fr, NOW) == timedelta(0)
    assert clock_cell(fr, NOW) == ClockCell("0s", "breached")
    assert clock_cell(fr, NOW + timedelta(seconds=1)).text == "-1s"


def test_due_in_59_seconds() -> None:
    fr = clock(ticket("critical", "2026-12-23 16:15:59"), FR)
    assert clock_cell(fr, NOW) == ClockCell("59s", "at-risk")


def test_a_paused_clock_has_no_time_left() -> None:
    waiting = ticket(
        "medium",
        "2026-12-23 10:00",
        status=Status.PENDING,
        first_response_at=utc("2026-12-23 10:30"),
        pauses=(PauseInterval(utc("2026-12-23 11:00"), None, Status.PENDING),),
    )
    res = clock(waiting, RES)
    assert res.state is ClockState.PAUSED and res.in_pause
    assert time_left(res, NOW) is None
    assert clock_cell(res, NOW) == ClockCell("paused", "paused")
    assert ticket_cell(waiting.status, evaluate(waiting, DEFAULT, NOW), NOW).text == "paused"


def test_a_clock_broken_before_the_pause_reads_paused_in_red_and_sorts_with_the_paused() -> None:
    # High, created 08:00 (before opening): 4 h to a first response, due 12:00; put on
    # pending at 13:00. It keeps its due instant but stands still, and the store has
    # no due instant for the ticket: the lists show it with the paused ones.
    broken = ticket(
        "high",
        "2026-12-23 08:00",
        status=Status.PENDING,
        pauses=(PauseInterval(utc("2026-12-23 13:00"), None, Status.PENDING),),
    )
    fr = clock(broken, FR)
    assert fr.state is ClockState.BREACHED and fr.in_pause and fr.due_at == utc("2026-12-23 12:00")
    assert time_left(fr, NOW) is None
    assert clock_cell(fr, NOW) == ClockCell("paused", "breached")
    statuses = evaluate(broken, DEFAULT, NOW)
    assert list_clock(statuses) is None
    assert sla_columns(broken, DEFAULT) == (None, None)
    assert ticket_cell(broken.status, statuses, NOW) == ClockCell("paused", "breached")


def test_a_pause_that_ended_leaves_the_clock_counting() -> None:
    resumed = ticket(
        "medium",
        "2026-12-23 10:00",
        first_response_at=utc("2026-12-23 10:30"),
        pauses=(PauseInterval(utc("2026-12-23 11:00"), utc("2026-12-23 12:00"), Status.PENDING),),
    )
    res = clock(resumed, RES)
    assert not res.in_pause and res.state is ClockState.RUNNING
    # 9 working hours: 1 before the pause, 4½ since, 1½ more today, 2 on Monday.
    assert res.due_at == utc("2026-12-28 11:00")
    assert clock_cell(res, NOW).text == "Mon 11:00"


def test_met_and_missed_clocks_say_so() -> None:
    answered = ticket("medium", "2026-12-23 10:00", first_response_at=utc("2026-12-23 10:30"))
    assert clock_cell(clock(answered, FR), NOW) == ClockCell("met", "met")
    late = ticket("critical", "2026-12-23 10:00", first_response_at=utc("2026-12-23 11:00"))
    missed = clock(late, FR)
    assert missed.state is ClockState.BREACHED and time_left(missed, NOW) is None
    assert clock_cell(missed, NOW) == ClockCell("missed", "breached")
    assert clock_cell(None, NOW) == ClockCell("—", "met")


def test_a_ticket_cell_is_the_clock_it_is_sorted_by() -> None:
    # Critical, replied at 12:05: resolution due 16:00, update due 13:05. The store
    # sorts it by 13:05, and the cell shows that clock.
    replied = ticket(
        "critical",
        "2026-12-23 12:00",
        status=Status.OPEN,
        first_response_at=utc("2026-12-23 12:05"),
        last_public_update_at=utc("2026-12-23 12:05"),
    )
    statuses = evaluate(replied, DEFAULT, NOW)
    shown = list_clock(statuses)
    assert shown is not None and shown.kind is TargetKind.UPDATE
    assert shown.due_at == sla_columns(replied, DEFAULT)[0] == utc("2026-12-23 13:05")
    assert ticket_cell(replied.status, statuses, NOW) == ClockCell("-3h25m", "breached")


def test_finished_tickets_and_tickets_without_clocks() -> None:
    closed = ticket("medium", "2026-12-23 10:00", status=Status.CLOSED)
    assert ticket_cell(closed.status, evaluate(closed, DEFAULT, NOW), NOW) == ClockCell(
        "done", "met"
    )
    assert ticket_cell(Status.OPEN, [], NOW) == ClockCell("met", "met")


def test_far_away_due_moments_are_dated() -> None:
    # Low, answered Wednesday 17:05: 3 business days to resolve (27 h): Wednesday 1 h,
    # Monday and Tuesday 9 h each, Wednesday 30th 8 h: seven days away.
    slow = ticket("low", "2026-12-23 17:00", first_response_at=utc("2026-12-23 17:05"))
    res = clock(slow, RES)
    assert res.due_at == utc("2026-12-30 17:00")
    assert clock_cell(res, NOW).text == "12-30 17:00"
    assert format_moment(utc("2027-07-01 09:00"), NOW) == "2027-07-01"
    assert format_moment(utc("2026-12-29 09:00"), NOW) == "Tue 09:00"  # six days ahead
    assert format_moment(utc("2026-12-17 09:00"), NOW) == "Thu 09:00"  # six days back
    assert format_moment(utc("2026-12-16 09:00"), NOW) == "12-16 09:00"


def test_the_words_are_the_callers_language() -> None:
    fr = clock(ticket("medium", "2026-12-23 15:00"), FR)
    assert clock_cell(fr, NOW, words=str.upper).text == "MON 10:00"
    assert clock_cell(None, NOW, words=str.upper).text == "—"
    assert ticket_cell(Status.CLOSED, [], NOW, words=str.upper).text == "DONE"


def test_a_clock_running_late_by_float_rounding_still_counts_down() -> None:
    # due - now and the working time left differ by microseconds on a 24/7 clock.
    running = status(remaining=timedelta(minutes=30) - timedelta(microseconds=3))
    assert not stands_still_before_due(running, NOW)
    assert clock_cell(running, NOW).text == "30m00s"


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(hours=8), "8h"),
        (timedelta(minutes=4), "4m"),
        (timedelta(minutes=4, seconds=12), "4m12s"),
        (timedelta(hours=27), "27h"),
        (timedelta(hours=26, minutes=30, seconds=59), "26h30m"),
        (timedelta(hours=2, minutes=45), "2h45m"),
        (timedelta(0), "0s"),
        (-timedelta(milliseconds=400), "0s"),
        (-timedelta(hours=3), "-3h"),
        (timedelta(seconds=59), "59s"),
    ],
)
def test_format_span(span: timedelta, text: str) -> None:
    assert format_span(span) == text
