"""The follow-up rules, pure: which step a waiting ticket is due for at a frozen `now`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_tui.domain import lifecycle
from helpdesk_tui.domain.followup import (
    FollowUpAction,
    FollowUpError,
    FollowUpPolicy,
    next_step,
    waiting_since,
)
from helpdesk_tui.domain.model import Status, Ticket
from tests.conftest import FROZEN

DAY = timedelta(days=1)
POLICY = FollowUpPolicy(
    remind_after=3 * DAY, reminders=2, close_pending_after=10 * DAY, close_resolved_after=5 * DAY
)


def moved(ticket: Ticket, status: Status, at: object) -> Ticket:
    return ticket.with_changes(**lifecycle.status_fields(ticket, status, at))  # type: ignore[arg-type]


def pending(at: object = FROZEN) -> Ticket:
    opened = Ticket(key="HD-1", subject="VPN", status=Status.OPEN, created_at=FROZEN - DAY)
    return moved(opened, Status.PENDING, at).with_changes(last_public_update_at=at)


def test_nothing_for_tickets_that_wait_on_nobody() -> None:
    ticket = Ticket(key="HD-1", subject="x", status=Status.OPEN)
    assert waiting_since(ticket) is None
    assert next_step(ticket, POLICY, FROZEN + 30 * DAY) is None


def test_reminders_then_close_on_schedule() -> None:
    ticket = pending()
    assert next_step(ticket, POLICY, FROZEN + 3 * DAY - timedelta(seconds=1)) is None
    first = next_step(ticket, POLICY, FROZEN + 3 * DAY)
    assert first is not None and first.action is FollowUpAction.REMIND
    assert first.number == 1 and first.closes_at == FROZEN + 10 * DAY
    ticket = ticket.with_changes(sla_flags=first.flags)
    # Done once: the same reminder is never due again.
    assert next_step(ticket, POLICY, FROZEN + 5 * DAY) is None
    second = next_step(ticket, POLICY, FROZEN + 6 * DAY)
    assert second is not None and second.number == 2
    ticket = ticket.with_changes(sla_flags=second.flags)
    assert next_step(ticket, POLICY, FROZEN + 9 * DAY) is None  # at most two reminders
    close = next_step(ticket, POLICY, FROZEN + 10 * DAY)
    assert close is not None and close.action is FollowUpAction.CLOSE
    assert "10 days" in close.reason


def test_missed_sweeps_send_one_reminder_not_all() -> None:
    step = next_step(pending(), POLICY, FROZEN + 7 * DAY)
    assert step is not None and step.number == 2
    assert [f for f in step.flags if f.startswith("followup:")] == [
        f"followup:{FROZEN.isoformat()}:reminder:2"
    ]


def test_an_agent_reply_starts_the_wait_again_and_drops_old_flags() -> None:
    ticket = pending()
    first = next_step(ticket, POLICY, FROZEN + 3 * DAY)
    assert first is not None
    later = FROZEN + 4 * DAY
    ticket = ticket.with_changes(
        sla_flags=(*first.flags, "resolution:at_risk"), last_public_update_at=later
    )
    assert waiting_since(ticket) == later
    assert next_step(ticket, POLICY, later + 3 * DAY - timedelta(minutes=1)) is None
    again = next_step(ticket, POLICY, later + 3 * DAY)
    assert again is not None and again.number == 1
    assert "resolution:at_risk" in again.flags  # SLA flags are not the follow-up's to drop
    assert not any(f.startswith(f"followup:{FROZEN.isoformat()}") for f in again.flags)


def test_without_mail_a_pending_ticket_is_only_closed() -> None:
    assert next_step(pending(), POLICY, FROZEN + 4 * DAY, remind=False) is None
    step = next_step(pending(), POLICY, FROZEN + 10 * DAY, remind=False)
    assert step is not None and step.action is FollowUpAction.CLOSE


def test_resolved_closes_after_the_confirmation_window() -> None:
    resolved = moved(pending(), Status.RESOLVED, FROZEN + DAY)
    assert waiting_since(resolved) == FROZEN + DAY
    assert next_step(resolved, POLICY, FROZEN + 6 * DAY - timedelta(seconds=1)) is None
    step = next_step(resolved, POLICY, FROZEN + 6 * DAY)
    assert step is not None and step.action is FollowUpAction.CLOSE
    assert "5 days" in step.reason


def test_periods_can_be_off() -> None:
    never = FollowUpPolicy(reminders=0, close_pending_after=None, close_resolved_after=None)
    assert next_step(pending(), never, FROZEN + 400 * DAY) is None
    resolved = moved(pending(), Status.RESOLVED, FROZEN)
    assert next_step(resolved, never, FROZEN + 400 * DAY) is None


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ({"remind_after": timedelta(0)}, "remind_after"),
        ({"reminders": 11}, "reminders"),
        ({"close_pending_after": -DAY}, "close_pending_after"),
    ],
)
def test_impossible_policies_are_refused(periods: dict[str, object], message: str) -> None:
    with pytest.raises(FollowUpError, match=message):
        FollowUpPolicy(**periods)  # type: ignore[arg-type]
