"""The report summed by the store (SQL) gives the very Metrics of the old scan.

A seeded store of varied tickets (every status, reopened, paused while pending or on
hold, cancelled, CSAT, five agents and nobody, three tiers, two agreements besides
the standard one, one of them on a business calendar in Auckland whose day crosses
UTC midnight and changes with DST) is reported on by both paths, on SQLite and
PostgreSQL, for several periods and agents; every field must be equal. Tickets stopped
exactly at their due instant, and just after it, are seeded on purpose: they are where
the database's arithmetic would differ from the engine's if it were not exact.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Agent, PauseInterval, Priority, Role, Status, Ticket
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.domain.sla import Policy, parse_policy, with_agreements
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import metrics
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.store.base import CohortRequest
from helpdesk_tui.store.sql import SqlRepository

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday
AGENTS = ["alice", "bob", "chen", "dana", "eve", None]
ORGS = ["Acme", "Globex", "Kiwi Ltd", " kiwi LTD ", None, "Initech"]

AUCKLAND = """
name = "kiwi"
pause_on_hold = true
[calendars.nz]
timezone = "Pacific/Auckland"
mon = "09:00-12:00, 13:00-18:00"
tue = "09:00-12:00, 13:00-18:00"
wed = "09:00-12:00, 13:00-18:00"
thu = "09:00-12:00, 13:00-18:00"
fri = "09:00-12:00, 13:00-17:00"
holidays = [2026-02-06]
[priorities.critical]
clock = "24x7"
first_response = { within = "30m", outside_hours = "2h", hours = "nz" }
resolution = "6h"
[priorities.high]
clock = "nz"
first_response = "2h"
resolution = "2bd"
[priorities.medium]
clock = "nz"
first_response = "1bd"
[priorities.low]
clock = "nz"
resolution = "5bd"
"""


def policy() -> Policy:
    return with_agreements(
        load_policy("default"), {"globex": load_policy("nexly"), "kiwi ltd": parse_policy(AUCKLAND)}
    )


def _ticket(rng: random.Random, n: int) -> Ticket:
    created = NOW - timedelta(
        seconds=rng.randrange(0, 100 * 86400), microseconds=rng.randrange(10**6)
    )
    status = rng.choice(list(Status))
    later = [created + timedelta(seconds=rng.randrange(60, 6 * 86400)) for _ in range(4)]
    later.sort()
    first = later[0] if status is not Status.NEW and rng.random() < 0.85 else None
    resolved = closed = None
    pauses: list[PauseInterval] = []
    if rng.random() < 0.25:  # waited on the customer before going on
        pauses.append(
            PauseInterval(later[0], later[1], rng.choice([Status.PENDING, Status.ON_HOLD]))
        )
    if status in (Status.RESOLVED, Status.CLOSED):
        resolved = later[2] if rng.random() < 0.9 else None
        closed = later[3] if status is Status.CLOSED else None
        if resolved is not None:
            pauses.append(PauseInterval(resolved, closed, Status.RESOLVED))
    elif status is Status.CANCELLED:
        closed = later[1] if rng.random() < 0.8 else None
    elif status in (Status.PENDING, Status.ON_HOLD):
        pauses.append(PauseInterval(later[2], None, status))
    elif status is Status.OPEN and rng.random() < 0.2:  # reopened after a resolution
        pauses.append(PauseInterval(later[1], later[2], Status.RESOLVED))
        resolved = later[1]
    pauses = [p for p in pauses if p.end is None or p.end > p.start]
    if any(p.start > NOW for p in pauses) or max(later) > NOW:
        pauses = [p for p in pauses if p.start <= NOW]
    return Ticket(
        key="",
        subject=f"ticket {n}",
        priority=rng.choice(list(Priority)),
        status=status,
        tier=rng.choice([1, 2, 3]),
        assignee=rng.choice(AGENTS),
        organization=rng.choice(ORGS),
        created_at=created,
        updated_at=created,
        first_response_at=first,
        resolved_at=resolved,
        closed_at=closed,
        pauses=tuple(pauses),
        csat_score=rng.choice([None, None, 1, 2, 3, 4, 5]) if status is not Status.NEW else None,
    )


def _edges() -> list[Ticket]:
    """Stopped exactly at the due instant and one microsecond after, on business time
    (default policy, 09:00-18:00 UTC weekdays): from a Monday 09:00, and from a Saturday
    (counting starts Monday 09:00), where a stop in the evening has worked exactly the
    target and still breaches."""
    out: list[Ticket] = []
    monday = datetime(2026, 2, 23, 9, 0, tzinfo=UTC)
    saturday = datetime(2026, 2, 21, 11, 0, tzinfo=UTC)
    for created in (monday, saturday):
        for first, resolved in (
            (monday + timedelta(hours=4), monday + timedelta(hours=9)),
            (
                monday + timedelta(hours=4, microseconds=1),
                monday + timedelta(hours=9, microseconds=1),
            ),
            (monday + timedelta(hours=3), monday + timedelta(hours=10)),  # Monday 19:00
        ):
            out.append(
                Ticket(
                    key="",
                    subject="edge",
                    priority=Priority.MEDIUM,
                    status=Status.RESOLVED,
                    assignee="alice",
                    organization="Acme",
                    created_at=created,
                    updated_at=resolved,
                    first_response_at=first,
                    resolved_at=resolved,
                    pauses=(PauseInterval(resolved, None, Status.RESOLVED),),
                )
            )
    return out


@pytest.fixture
def seeded(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    repo = SqlRepository.open(store_url, tmp_path / "files")
    rng = random.Random(18)
    for ticket in [_ticket(rng, n) for n in range(500)] + _edges():
        repo.create(ticket, "seed")  # as given: status, times, pauses, CSAT
    try:
        yield repo
    finally:
        repo.close()


def _both(
    service: HelpdeskService, period: Period, worst: int = 10
) -> tuple[metrics.Metrics, metrics.Metrics]:
    in_store = metrics.compute(service, period, worst=worst)
    scanned = metrics.compute(service, period, worst=worst, in_store=False)
    return in_store, scanned


def _assert_same(in_store: metrics.Metrics, scanned: metrics.Metrics) -> None:
    for f in fields(metrics.Metrics):
        assert getattr(in_store, f.name) == getattr(scanned, f.name), f.name
    assert in_store == scanned


PERIODS = [
    Period.week(NOW, "2026-W09"),
    Period.rolling(NOW, 30),
    Period.between(datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)),
    Period.month(NOW, "2026-02"),
]


def test_the_store_sums_the_figures_of_the_scan(seeded: SqlRepository) -> None:
    boss = Agent("boss", "Bo Boss", tier=3, role=Role.ADMIN)
    service = HelpdeskService(seeded, policy(), lambda: NOW, boss)
    for period in PERIODS:
        in_store, scanned = _both(service, period)
        _assert_same(in_store, scanned)
        # Figures worth comparing: every state, every agreement, breaches named, times.
        total = in_store.sla
        assert total.overall.met and total.overall.breached and total.overall.running
        assert all(a.tickets for a in in_store.by_agreement.values())
        assert len(in_store.worst) == 10
        assert in_store.first_response_times.median is not None and in_store.csat_answers
    # The edges of a due instant, and the last place of a short list of breaches.
    _assert_same(*_both(service, PERIODS[0], worst=3))

    # An agent who serves two organizations: their sums only.
    ann = Agent("ann", "Ann", tier=3, organizations=("Acme", "Kiwi Ltd"))
    scoped = HelpdeskService(seeded, policy(), lambda: NOW, ann)
    in_store, scanned = _both(scoped, PERIODS[2])
    _assert_same(in_store, scanned)
    assert 0 < in_store.created < metrics.compute(service, PERIODS[2]).created


def test_paused_tickets_are_walked_and_the_rest_summed(seeded: SqlRepository) -> None:
    """The store decides most clocks itself and leaves the paused ones to the engine:
    both kinds are in the seeded store, so both ways were taken above."""
    weeks = metrics.trend_weeks(PERIODS[2], NOW)
    request = CohortRequest(
        PERIODS[2].since,
        PERIODS[2].until,
        weeks[0].since,
        weeks[-1].until,
        len(weeks),
        NOW,
        policy(),
    )
    figures = seeded.cohort_figures(request)
    assert figures is not None
    walked = [c for c in figures.counts if c.tickets == 0]
    summed = [c for c in figures.counts if c.tickets and sum(c.first_response + c.resolution)]
    assert walked and summed
