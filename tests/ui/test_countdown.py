"""How a clock reads in the SLA cells of the queue, the board and the ticket: the time
to its due instant on the wall clock, and the working time beside it on the ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import evaluate
from helpdesk_tui.settings.policies import load_builtin
from helpdesk_tui.ui.widgets.countdown import clock_text, working_time_text

DEFAULT = load_builtin("default")
SUNDAY = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _ticket(created: datetime, **fields: object) -> Ticket:
    return Ticket(key="HD-1", subject="s", priority=Priority.MEDIUM, created_at=created, **fields)  # type: ignore[arg-type]


def test_a_target_missed_as_work_stopped_reads_the_clock_time_since() -> None:
    # Due at Friday 18:00 and seen on Sunday noon: no working time has passed since,
    # but the customer has waited 1 day 18 hours; the cell says that, not "overdue".
    late = _ticket(datetime(2026, 3, 13, 14, 0, tzinfo=UTC))
    (fr, _res) = evaluate(late, DEFAULT, SUNDAY)
    assert fr.remaining == timedelta(0)
    assert clock_text(fr, SUNDAY).text == "-1d18h"
    assert working_time_text([fr], SUNDAY) == (
        "first response: was due Fri 18:00 · 0s working time over 4h"
    )


def test_the_ticket_line_shows_the_working_time_of_the_clock_the_lists_show() -> None:
    # Created Friday 17:00: one working hour on Friday, three on Monday, due 12:00.
    friday = _ticket(datetime(2026, 3, 13, 17, 0, tzinfo=UTC))
    statuses = evaluate(friday, DEFAULT, SUNDAY)
    assert clock_text(statuses[0], SUNDAY).text == "Mon 12:00"
    assert working_time_text(statuses, SUNDAY) == (
        "first response: due Mon 12:00 · 3h working time left of 4h"
    )


def test_the_ticket_line_of_a_paused_and_of_a_finished_ticket() -> None:
    waiting = _ticket(
        datetime(2026, 3, 13, 10, 0, tzinfo=UTC),
        status=Status.PENDING,
        first_response_at=datetime(2026, 3, 13, 10, 30, tzinfo=UTC),
        pauses=(PauseInterval(datetime(2026, 3, 13, 11, 0, tzinfo=UTC), None, Status.PENDING),),
    )
    statuses = evaluate(waiting, DEFAULT, SUNDAY)
    assert working_time_text(statuses, SUNDAY) == (
        "resolution: paused · 8h working time left of 9h"
    )
    done = _ticket(
        datetime(2026, 3, 13, 10, 0, tzinfo=UTC),
        status=Status.RESOLVED,
        first_response_at=datetime(2026, 3, 13, 10, 30, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 13, 12, 0, tzinfo=UTC),
    )
    assert working_time_text(evaluate(done, DEFAULT, SUNDAY), SUNDAY) == (
        "resolution: met · 2h working time used of 9h"
    )
    assert working_time_text([], SUNDAY) == ""
