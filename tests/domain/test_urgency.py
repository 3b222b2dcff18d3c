"""What "most urgent first" means (domain/sla/urgency.py), and which P1s wait for an
acknowledgement: the definitions every store's order is compared with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import ClockState, evaluate
from helpdesk_tui.domain.sla.urgency import (
    Urgency,
    awaits_acknowledgement,
    urgency_key,
    urgency_of,
)
from helpdesk_tui.settings.policies import load_builtin

NOW = datetime(2026, 12, 4, 15, 31, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def ticket(
    n: int, priority: Priority, due: datetime | None, risk: datetime | None = None, **fields: object
) -> Ticket:
    base = Ticket(
        key=f"HD-{n}",
        subject=f"Ticket {n}",
        priority=priority,
        status=Status.OPEN,
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=2),
        sla_due_at=due,
        sla_risk_at=risk,
    )
    return base.with_changes(**fields)


def test_the_classes_and_their_bounds() -> None:
    assert urgency_of(None, None, NOW) is Urgency.PAUSED
    assert urgency_of(NOW, NOW - MINUTE, NOW) is Urgency.BREACHED  # due now: breached
    assert urgency_of(NOW + MINUTE, NOW, NOW) is Urgency.AT_RISK  # at risk from that instant
    assert urgency_of(NOW + MINUTE, NOW + MINUTE / 2, NOW) is Urgency.RUNNING
    assert urgency_of(NOW + MINUTE, None, NOW) is Urgency.RUNNING  # no at-risk time: never


def test_due_now_is_breached_here_as_in_the_sla_engine() -> None:
    policy = load_builtin("default")
    p1 = Ticket(
        key="HD-1",
        subject="x",
        priority=Priority.CRITICAL,
        created_at=NOW - 15 * MINUTE,
        updated_at=NOW - 15 * MINUTE,
    )
    first = evaluate(p1, policy, NOW)[0]
    assert first.due_at == NOW and first.state is ClockState.BREACHED
    assert urgency_of(first.due_at, first.due_at - 4 * MINUTE, NOW) is Urgency.BREACHED


def test_breached_before_at_risk_before_running_then_priority_then_due() -> None:
    tickets = [
        ticket(1, Priority.CRITICAL, NOW + 3 * 60 * MINUTE, NOW + 60 * MINUTE),  # running P1
        ticket(2, Priority.LOW, NOW - 2 * 24 * 60 * MINUTE),  # breached P4, due first
        ticket(3, Priority.CRITICAL, NOW + 10 * MINUTE, NOW - 5 * MINUTE),  # at risk P1
        ticket(4, Priority.CRITICAL, None),  # paused P1
        ticket(5, Priority.HIGH, NOW - 277 * MINUTE),  # breached P2
        ticket(6, Priority.HIGH, NOW - 300 * MINUTE),  # breached P2, due earlier
    ]
    ordered = sorted(tickets, key=lambda t: urgency_key(t, NOW))
    assert [t.key for t in ordered] == ["HD-6", "HD-5", "HD-2", "HD-3", "HD-1", "HD-4"]


def test_which_p1s_wait_for_an_acknowledgement() -> None:
    new = ticket(1, Priority.CRITICAL, NOW, status=Status.NEW)
    assert awaits_acknowledgement(new)
    assert not awaits_acknowledgement(new.with_changes(priority=Priority.HIGH))
    assert not awaits_acknowledgement(new.with_changes(status=Status.OPEN))
    resolved = PauseInterval(NOW - 60 * MINUTE, NOW - 5 * MINUTE, Status.RESOLVED)
    reopened = ticket(
        2,
        Priority.CRITICAL,
        NOW + 60 * MINUTE,
        pauses=(resolved,),
        last_customer_reply_at=NOW - 5 * MINUTE,
        last_public_update_at=NOW - 61 * MINUTE,
    )
    assert awaits_acknowledgement(reopened)
    answered = reopened.with_changes(last_public_update_at=NOW - 2 * MINUTE)
    assert not awaits_acknowledgement(answered)
    # Writing again before anyone answered keeps it waiting; an agent who reopened it
    # before the customer's last word leaves nothing reopened by the customer.
    assert awaits_acknowledgement(reopened.with_changes(last_customer_reply_at=NOW - MINUTE))
    by_agent = reopened.with_changes(last_customer_reply_at=NOW - 30 * MINUTE)
    assert not awaits_acknowledgement(by_agent)
    still_pending = reopened.with_changes(
        pauses=(PauseInterval(NOW - 60 * MINUTE, None, Status.PENDING),), status=Status.PENDING
    )
    assert not awaits_acknowledgement(still_pending)
