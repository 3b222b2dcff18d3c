"""How fast is the SLA engine? Run by hand: `.venv/bin/python benchmarks/bench_sla.py`.

Generates 200,000 realistic tickets in memory (a store's mix of priorities and
statuses, 0-2 pauses, business and 24/7 clocks), then times `evaluate` over all of them
several times and prints the median tickets per second. Also times `evaluate_many`
(page by page), `sla_columns`, and the active tickets alone (what a queue or the SLA
board shows).
Deterministic: a fixed seed and a fixed `now`.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import Policy, evaluate, evaluate_many, sla_columns
from helpdesk_tui.settings.policies import load_builtin

NOW = datetime(2026, 3, 18, 14, 30, tzinfo=UTC)  # a Wednesday afternoon

PRIORITIES = ([Priority.CRITICAL] * 5) + ([Priority.HIGH] * 20) + ([Priority.MEDIUM] * 50)
PRIORITIES += [Priority.LOW] * 25
# A store holds more finished tickets than live ones.
STATUSES = (
    [Status.NEW] * 8
    + [Status.OPEN] * 20
    + [Status.PENDING] * 8
    + [Status.ON_HOLD] * 4
    + [Status.RESOLVED] * 15
    + [Status.CLOSED] * 42
    + [Status.CANCELLED] * 3
)
PAUSE_COUNTS = [0] * 60 + [1] * 30 + [2] * 10
PAGE = 1_000


def make_tickets(n: int, seed: int = 42) -> list[Ticket]:
    """`n` tickets created over the 30 days before NOW, each internally consistent."""
    rng = random.Random(seed)
    tickets: list[Ticket] = []
    for i in range(n):
        priority = rng.choice(PRIORITIES)
        status = rng.choice(STATUSES)
        created = NOW - timedelta(seconds=rng.randrange(60, 30 * 86400))
        span = (NOW - created).total_seconds()
        # Pauses: disjoint, oldest first, inside [created, NOW]; the last one is open
        # when the ticket is currently pending/on hold/resolved.
        pauses: list[PauseInterval] = []
        cuts = sorted(rng.uniform(0.05, 0.95) * span for _ in range(2 * rng.choice(PAUSE_COUNTS)))
        for k in range(0, len(cuts), 2):
            start = created + timedelta(seconds=cuts[k])
            end = created + timedelta(seconds=cuts[k + 1])
            pauses.append(PauseInterval(start, end, rng.choice((Status.PENDING, Status.ON_HOLD))))
        last = pauses[-1].end if pauses else created
        assert last is not None
        at = last + (NOW - last) * rng.uniform(0.2, 0.9)
        first_response = None
        if status is not Status.NEW and rng.random() < 0.9:
            first_response = created + (at - created) * rng.uniform(0.01, 0.3)
        resolved = closed = None
        if status in (Status.PENDING, Status.ON_HOLD, Status.RESOLVED):
            pauses.append(PauseInterval(at, None, status))
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = at
        if status in (Status.CLOSED, Status.CANCELLED):
            closed = at + (NOW - at) * 0.5
        tickets.append(
            Ticket(
                key=f"HD-{i + 1}",
                subject="benchmark",
                priority=priority,
                status=status,
                created_at=created,
                updated_at=at,
                first_response_at=first_response,
                resolved_at=resolved,
                closed_at=closed,
                last_public_update_at=first_response,
                pauses=tuple(pauses),
            )
        )
    return tickets


def timed(label: str, n: int, runs: int, fn: Callable[[], object]) -> float:
    """Run `fn` `runs` times; print and return the median rate in tickets per second."""
    times: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    rate = n / statistics.median(times)
    best = n / min(times)
    print(f"  {label:<36} median {rate:>10,.0f} tickets/s   (best {best:,.0f})")
    return rate


def bench(policy: Policy, tickets: Sequence[Ticket], runs: int) -> float:
    n = len(tickets)
    active = [t for t in tickets if t.status.is_active]
    print(f"policy {policy.name!r}: {n:,} tickets ({len(active):,} active), {runs} runs")

    def one_by_one() -> None:
        for t in tickets:
            evaluate(t, policy, NOW)

    def active_only() -> None:
        for t in active:
            evaluate(t, policy, NOW)

    def columns() -> None:
        for t in tickets:
            sla_columns(t, policy)

    rate = timed("evaluate (all tickets)", n, runs, one_by_one)

    def paged() -> None:
        # As the SLA board or a sweep would: a page at a time, results dropped after
        # use. Holding 200k results at once mostly measures the garbage collector.
        for i in range(0, n, PAGE):
            evaluate_many(tickets[i : i + PAGE], policy, NOW)

    timed(f"evaluate_many (pages of {PAGE:,})", n, runs, paged)
    timed("evaluate (active tickets only)", len(active), runs, active_only)
    timed("sla_columns (all tickets)", n, runs, columns)
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--tickets", type=int, default=200_000)
    parser.add_argument("-r", "--runs", type=int, default=5)
    parser.add_argument("--policy", action="append", help="built-in policy (default: both)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    tickets = make_tickets(args.tickets)
    # The generated tickets live for the whole run; keep the collector from walking
    # them over and over (an app pages tickets from its store instead).
    gc.collect()
    gc.freeze()
    print(f"generated {len(tickets):,} tickets in {time.perf_counter() - t0:.1f} s")
    rates = [
        bench(load_builtin(name), tickets, args.runs)
        for name in args.policy or ("default", "nexly")
    ]
    print(f"slowest median: {min(rates):,.0f} tickets/s (goal: 100,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
