"""How a breached clock reads in the SLA cells of the queue, the board and the ticket."""

from __future__ import annotations

from datetime import timedelta

from helpdesk_tui.ui.widgets.countdown import overdue_text


def test_overdue_reads_the_working_time_since_the_target() -> None:
    assert overdue_text(-timedelta(minutes=5, seconds=3)) == "-5m03s"
    assert overdue_text(-timedelta(hours=26)) == "-1d02h"
    assert overdue_text(-timedelta(seconds=1)) == "-1s"


def test_a_target_missed_as_work_stopped_reads_overdue_not_minus_zero() -> None:
    # Missed at Friday 18:00 and seen on Sunday: no working time has passed since.
    assert overdue_text(timedelta(0)) == "overdue"
    assert overdue_text(-timedelta(milliseconds=400)) == "overdue"
