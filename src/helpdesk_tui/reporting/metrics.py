"""Support metrics over a period, for the weekly SLA review: SLA compliance by priority
and tier, first response and resolution times, breaches, CSAT, per agent, a weekly
trend, and the backlog by tier and age. Shared by the metrics screen and `report`.

Pure computation: no Textual, no formatting beyond `format_duration`.

What is counted
---------------
- The period's tickets are those *created* in [since, until) (a cohort), as they stand
  when the report runs (`computed_at`): a ticket created last week and resolved this
  morning counts as resolved. Cancelled tickets (duplicates, spam) count as created and
  nowhere else: no promise was made to them, none kept or broken.
- SLA compliance: each first-response and resolution target of the policy is *met*
  (stopped in time), *breached* (stopped late, or still running past due) or *running*
  (not due yet; left out of the share). Compliance is met / (met + breached).
- Times are calendar time from creation (what the customer waited, pauses included):
  to the first public reply (or the resolution, for a ticket resolved without a
  separate reply, as the SLA engine counts it), and to the resolution (or the closing,
  for a ticket closed without being resolved). Median is the middle value (mean of the
  two middle ones); p90 is the nearest rank (the smallest value that 90 % of the
  tickets did not exceed).
- Per agent and per tier: the ticket's current assignee and tier. Per agreement: the
  SLA agreement of the ticket's organization now (`sla.agreement_name`), each ticket
  measured by its agreement's policy; every configured agreement has its row.
- CSAT: the scores (1-5) of the period's tickets; "satisfied" is the share of 4 and 5.
- Backlog: the open tickets *now* (new, open, pending, on hold) by tier and age; it is
  counted by the store, whatever the period.
- Time spent: the minutes agents recorded on replies and notes *written* in the period
  (work done then, whatever ticket it was on: not the cohort), summed by the message's
  author and by its ticket's organization and type now; the store sums them
  (`TicketRepository.time_spent`), over the tickets the agent may see.
- The weekly trend: 7-day buckets ending where the period ends (or now, if sooner),
  at least 8 and at most 52 of them.

Where it is computed: a store that can (SQL, `ReportAggregates`) sums the cohort
itself in one statement: counts, CSAT, the SLA state of every target (the engine's due
instants, business calendars included, by lookup tables: store/sql/calendar_sql.py),
the worst breaches' tickets (which are then evaluated and ranked here), each ticket's
times (whose median and p90 are folded here) and the backlog. Tickets whose pauses may
have stopped a clock are walked by the SLA engine in the store. Elsewhere (RT), or for
a policy the store cannot put in rows, tickets are read a page at a time
(`created_between`) and only counters and durations (8 bytes each) are kept, so memory
grows with the period's ticket count in bytes, not in tickets. Both ways give the same
Metrics (tests/reporting/test_metrics_in_store.py).
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise

from ..domain import sla
from ..domain.model import ACTIVE_STATUSES, DONE_STATUSES, TIERS, Priority, Status, Ticket
from ..domain.periods import Period
from ..domain.sla import ClockState, TargetKind, TargetStatus
from ..service import HelpdeskService
from ..settings.i18n import N_
from ..store.base import CohortCount, CohortFigures, CohortRequest, Query, SortKey, TimeSpent

__all__ = [
    "AGE_BUCKETS",
    "AgeBucket",
    "AgentFigures",
    "AgreementFigures",
    "Breach",
    "Cancelled",
    "Compliance",
    "Durations",
    "Metrics",
    "SlaFigures",
    "WeekFigures",
    "compute",
    "created_between",
    "format_duration",
]

WEEK = timedelta(days=7)
TREND_MIN_WEEKS = 8
TREND_MAX_WEEKS = 52
WORST_BREACHES = 10
"""How many breaches a report lists by name (the most overdue ones)."""
PAGE_SIZE = 1000
FIRST_WINDOW = timedelta(days=1)
"""The first time window `created_between` reads; it then adapts to the store's rate."""
TARGET_KINDS = (TargetKind.FIRST_RESPONSE, TargetKind.RESOLUTION)


class Cancelled(Exception):
    """`compute` was told to stop before it finished."""


@dataclass(frozen=True, slots=True)
class AgeBucket:
    """Open tickets created between `older_than` and `younger_than` ago."""

    label: str
    older_than: timedelta
    younger_than: timedelta | None


AGE_BUCKETS = (
    AgeBucket(N_("< 1 day"), timedelta(0), timedelta(days=1)),
    AgeBucket(N_("1-3 days"), timedelta(days=1), timedelta(days=3)),
    AgeBucket(N_("3-7 days"), timedelta(days=3), timedelta(days=7)),
    AgeBucket(N_("1-4 weeks"), timedelta(days=7), timedelta(days=28)),
    AgeBucket(N_("> 4 weeks"), timedelta(days=28), None),
)
AGE_BOUNDS = tuple(b.younger_than for b in AGE_BUCKETS if b.younger_than is not None)
"""Where one age bucket ends and the next begins (the buckets are contiguous)."""
assert all(a.younger_than == b.older_than for a, b in pairwise(AGE_BUCKETS))


class Durations:
    """Durations in seconds, 8 bytes each, sorted once when first read; or only their
    count, median and p90, as a store that summed them in SQL gives them
    (`summarised`). Two are equal when those three are."""

    __slots__ = ("_sorted", "_summary", "_values")

    def __init__(self) -> None:
        self._values = array("d")
        self._sorted = True
        self._summary: tuple[int, float | None, float | None] | None = None

    @classmethod
    def summarised(cls, count: int, median: float | None, p90: float | None) -> Durations:
        made = cls()
        made._summary = (count, median, p90)
        return made

    def add(self, seconds: float) -> None:
        if self._summary is not None:
            raise ValueError("a summary of durations takes no more values")
        if self._values and seconds < self._values[-1]:
            self._sorted = False
        self._values.append(seconds)

    def __len__(self) -> int:
        return self._values.__len__() if self._summary is None else self._summary[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Durations):
            return NotImplemented
        return (len(self), self.median, self.p90) == (len(other), other.median, other.p90)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Durations(count={len(self)}, median={self.median}, p90={self.p90})"

    def _ordered(self) -> array[float]:
        if not self._sorted:
            self._values = array("d", sorted(self._values))
            self._sorted = True
        return self._values

    @property
    def median(self) -> float | None:
        if self._summary is not None:
            return self._summary[1]
        values = self._ordered()
        n = len(values)
        if not n:
            return None
        middle = n // 2
        return values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2

    def percentile(self, share: float) -> float | None:
        """Nearest rank: the smallest value that `share` of the values do not exceed."""
        if self._summary is not None:
            if share != 0.9:
                raise ValueError("a summary of durations knows its p90 only")
            return self._summary[2]
        values = self._ordered()
        if not values:
            return None
        rank = max(1, math.ceil(share * len(values)))
        return values[rank - 1]

    @property
    def p90(self) -> float | None:
        return self.percentile(0.9)


@dataclass(slots=True)
class Compliance:
    """One kind of target over many tickets: met, breached, or still running."""

    met: int = 0
    breached: int = 0
    running: int = 0
    """Not due yet (or paused short of due): neither kept nor broken so far."""

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        """Met among the decided; None when nothing was decided."""
        return self.met / self.decided if self.decided else None

    def add(self, state: ClockState) -> None:
        if state is ClockState.MET:
            self.met += 1
        elif state is ClockState.BREACHED:
            self.breached += 1
        else:
            self.running += 1

    def __add__(self, other: Compliance) -> Compliance:
        return Compliance(
            self.met + other.met, self.breached + other.breached, self.running + other.running
        )


@dataclass(slots=True)
class SlaFigures:
    """First response and resolution compliance of one group of tickets."""

    first_response: Compliance = field(default_factory=Compliance)
    resolution: Compliance = field(default_factory=Compliance)

    def of(self, kind: TargetKind) -> Compliance:
        return self.first_response if kind is TargetKind.FIRST_RESPONSE else self.resolution

    @property
    def overall(self) -> Compliance:
        """Both kinds together: the one number of a weekly review."""
        return self.first_response + self.resolution

    def __add__(self, other: SlaFigures) -> SlaFigures:
        return SlaFigures(
            self.first_response + other.first_response, self.resolution + other.resolution
        )


@dataclass(frozen=True, slots=True)
class Breach:
    """One breached target of one ticket."""

    key: str
    priority: Priority
    tier: int
    assignee: str | None
    kind: TargetKind
    due_at: datetime | None
    overdue: float
    """Seconds past due: until it was met late, or until now if it still runs."""
    running: bool
    """Still not met (the ticket still waits)."""
    clock: TargetStatus | None = None
    """The clock as it stood when the metrics were computed: what `sla.clock_cell`
    shows for it, as every SLA cell does."""


@dataclass(slots=True)
class AgentFigures:
    """The period's tickets that one agent holds now (`agent` None: nobody)."""

    agent: str | None
    tickets: int = 0
    resolved: int = 0
    sla: SlaFigures = field(default_factory=SlaFigures)
    first_response_times: Durations = field(default_factory=Durations)
    resolution_times: Durations = field(default_factory=Durations)
    csat: Counter[int] = field(default_factory=Counter)

    @property
    def csat_average(self) -> float | None:
        return _average(self.csat)


@dataclass(slots=True)
class AgreementFigures:
    """The period's tickets measured under one SLA agreement; `sla.STANDARD_AGREEMENT`
    holds those of the organizations without one."""

    agreement: str
    tickets: int = 0
    sla: SlaFigures = field(default_factory=SlaFigures)


@dataclass(slots=True)
class WeekFigures:
    """One 7-day bucket of the trend."""

    since: datetime
    until: datetime
    created: int = 0
    sla: SlaFigures = field(default_factory=SlaFigures)
    csat: Counter[int] = field(default_factory=Counter)


@dataclass(slots=True)
class Metrics:
    """Everything a report shows. Build it with `compute`."""

    period: Period
    computed_at: datetime
    created: int = 0
    """Tickets created in the period, cancelled ones included."""
    cancelled: int = 0
    resolved: int = 0
    by_priority: dict[Priority, SlaFigures] = field(default_factory=dict)
    by_tier: dict[int, SlaFigures] = field(default_factory=dict)
    first_response_times: Durations = field(default_factory=Durations)
    resolution_times: Durations = field(default_factory=Durations)
    worst: list[Breach] = field(default_factory=list)
    """The most overdue breaches, most overdue first (at most WORST_BREACHES)."""
    csat: Counter[int] = field(default_factory=Counter)
    agents: dict[str | None, AgentFigures] = field(default_factory=dict)
    by_agreement: dict[str, AgreementFigures] = field(default_factory=dict)
    """Agreement name → its figures: every configured agreement, and the standard one."""
    weeks: list[WeekFigures] = field(default_factory=list)
    backlog: dict[int, dict[str, int]] = field(default_factory=dict)
    """Open tickets now: tier → age bucket label → count."""
    time_spent: TimeSpent = field(default_factory=TimeSpent)
    """Minutes recorded on the period's replies and notes, by agent, organization, type."""

    @property
    def sla(self) -> SlaFigures:
        total = SlaFigures()
        for figures in self.by_priority.values():
            total = total + figures
        return total

    @property
    def breaches(self) -> int:
        return self.sla.overall.breached

    @property
    def csat_answers(self) -> int:
        return sum(self.csat.values())

    @property
    def csat_average(self) -> float | None:
        return _average(self.csat)

    @property
    def csat_satisfied(self) -> float | None:
        """The share of answers scoring 4 or 5 (the usual CSAT %)."""
        answers = self.csat_answers
        return (self.csat[4] + self.csat[5]) / answers if answers else None

    @property
    def backlog_total(self) -> int:
        return sum(sum(ages.values()) for ages in self.backlog.values())

    def backlog_by_age(self) -> dict[str, int]:
        return {
            bucket.label: sum(self.backlog.get(tier, {}).get(bucket.label, 0) for tier in TIERS)
            for bucket in AGE_BUCKETS
        }

    def agreements_by_name(self) -> list[AgreementFigures]:
        """The agreements in name order; the standard one (no agreement) last."""
        return sorted(
            self.by_agreement.values(),
            key=lambda a: (a.agreement == sla.STANDARD_AGREEMENT, a.agreement.casefold()),
        )

    def agents_by_load(self) -> list[AgentFigures]:
        """Agents with the most tickets first; the unassigned last."""
        return sorted(
            self.agents.values(),
            key=lambda a: (a.agent is None, -a.tickets, a.agent or ""),
        )


def _average(scores: Counter[int]) -> float | None:
    answers = sum(scores.values())
    return sum(score * n for score, n in scores.items()) / answers if answers else None


# ------------------------------------------------------------------------- reading


def created_between(
    service: HelpdeskService, since: datetime, until: datetime, page_size: int = PAGE_SIZE
) -> Iterator[list[Ticket]]:
    """Every ticket (the agent may see) created in [since, until), a page at a time.

    Keyset paging on creation time, never a growing OFFSET: each page starts at the
    last one's creation instant (skipping the tickets already seen at exactly that
    instant), inside a time window that adapts to hold about a page, so no query skips
    or counts more than a few pages of rows however big the store is. Open and done
    tickets are read apart: `is_active` leads the store's index on created_at, so each
    part is one index range read in order.
    """
    for statuses in (ACTIVE_STATUSES, DONE_STATUSES):
        base = Query(statuses=statuses, sort=SortKey.CREATED, limit=page_size)
        cursor, seen_at_cursor, window = since, 0, FIRST_WINDOW
        while cursor < until:
            # Compared, not added first: a doubled window can run past the calendar's end.
            end = until if until - cursor <= window else cursor + window
            page = service.query(
                replace(base, created_after=cursor, created_before=end, offset=seen_at_cursor)
            )
            if page.tickets:
                yield page.tickets
            if not page.tickets or seen_at_cursor + len(page.tickets) >= page.total:
                cursor, seen_at_cursor = end, 0
                if page.total < page_size // 2:
                    window *= 2  # a quiet stretch: read more of it at once
                continue
            if page.total > 4 * page_size and window > timedelta(seconds=2):
                window /= 2  # a busy stretch: keep each count small
            last = page.tickets[-1].created_at
            ties = sum(1 for t in page.tickets if t.created_at == last)
            seen_at_cursor = seen_at_cursor + ties if last == cursor else ties
            cursor = last


# ----------------------------------------------------------------------- computing


def trend_weeks(period: Period, now: datetime) -> list[WeekFigures]:
    """The trend's empty buckets, oldest first, ending at the period's end or now."""
    end = min(period.until, now)
    length = max(period.until - period.since, WEEK)
    count = min(TREND_MAX_WEEKS, max(TREND_MIN_WEEKS, math.ceil(length / WEEK)))
    return [
        WeekFigures(end - (count - i) * WEEK, end - (count - i - 1) * WEEK) for i in range(count)
    ]


def compute(
    service: HelpdeskService,
    period: Period,
    *,
    page_size: int = PAGE_SIZE,
    worst: int = WORST_BREACHES,
    should_stop: Callable[[], bool] | None = None,
    in_store: bool = True,
) -> Metrics:
    """The metrics of `period` as they stand at the service's clock.

    A store that sums the cohort itself (SQL: `ReportAggregates`) is asked to, unless
    `in_store` is off; otherwise, or when it cannot express the policy, every ticket
    of the cohort is read here a page at a time. Both give the same figures.
    `should_stop` is asked before each page (and before and after the store's sums);
    when it says yes, Cancelled is raised (the screen asks for another period while a
    big store is still being read).
    """

    def check() -> None:
        if should_stop is not None and should_stop():
            raise Cancelled(f"metrics of {period.describe()} no longer wanted")

    now = service.clock()
    result = Metrics(period, now)
    result.by_priority = {p: SlaFigures() for p in Priority}
    result.by_tier = {tier: SlaFigures() for tier in TIERS}
    result.by_agreement = {name: AgreementFigures(name) for name in agreements(service.policy)}
    result.weeks = trend_weeks(period, now)
    scan_since = min(period.since, result.weeks[0].since)
    figures: CohortFigures | None = None
    if in_store:
        check()
        request = CohortRequest(
            period.since,
            period.until,
            scan_since,
            result.weeks[-1].until,
            len(result.weeks),
            now,
            service.policy,
            worst=worst,
            ages=AGE_BOUNDS,
        )
        figures = service.cohort_figures(request)
    if figures is not None:
        check()
        _add_cohort(result, figures, service.policy, worst)
        result.backlog = {
            tier: {b.label: figures.backlog.get((tier, n), 0) for n, b in enumerate(AGE_BUCKETS)}
            for tier in TIERS
        }
    else:
        tally = _Tally(result, now, worst, service.policy)
        for page in created_between(service, scan_since, period.until, page_size):
            check()
            for ticket, statuses in zip(
                page, sla.evaluate_many(page, service.policy, now), strict=True
            ):
                tally.add(ticket, statuses)
        result.worst = tally.worst()
        result.backlog = backlog(service, now)
    result.time_spent = service.time_spent_between(period.since, period.until)
    return result


def _add_cohort(into: Metrics, figures: CohortFigures, policy: sla.Policy, worst: int) -> None:
    """The store's sums of the cohort into `into`, as `_Tally` would have added them."""
    for count in figures.counts:
        if count.week is not None:
            week = into.weeks[count.week]
            week.created += count.tickets
            _add_states(week.sla, count)
            if count.csat is not None and count.tickets and not count.cancelled:
                week.csat[count.csat] += count.tickets
            continue
        into.created += count.tickets
        if count.cancelled:
            into.cancelled += count.tickets
            continue
        agent = into.agents.get(count.assignee)
        if agent is None:
            agent = into.agents[count.assignee] = AgentFigures(count.assignee)
        name = count.agreement or sla.STANDARD_AGREEMENT
        terms = into.by_agreement.get(name)
        if terms is None:
            terms = into.by_agreement[name] = AgreementFigures(name)
        agent.tickets += count.tickets
        agent.resolved += count.resolved
        terms.tickets += count.tickets
        into.resolved += count.resolved
        assert count.priority is not None and count.tier is not None
        for group in (into.by_priority[count.priority], into.by_tier[count.tier]):
            _add_states(group, count)
        _add_states(agent.sla, count)
        _add_states(terms.sla, count)
        if count.csat is not None and count.tickets:
            into.csat[count.csat] += count.tickets
            agent.csat[count.csat] += count.tickets
    for times in figures.times:
        summary = Durations.summarised(times.count, times.median, times.p90)
        holder: Metrics | AgentFigures = into
        if not times.overall:
            found = into.agents.get(times.agent)
            if found is None:
                found = into.agents[times.agent] = AgentFigures(times.agent)
            holder = found
        if times.kind == "first_response":
            holder.first_response_times = summary
        else:
            holder.resolution_times = summary
    into.worst = _worst_of(figures.breaches, policy, into.computed_at, worst)


def _add_states(figures: SlaFigures, count: CohortCount) -> None:
    for compliance, (met, breached, running) in (
        (figures.first_response, count.first_response),
        (figures.resolution, count.resolution),
    ):
        compliance.met += met
        compliance.breached += breached
        compliance.running += running


def _worst_of(tickets: list[Ticket], policy: sla.Policy, now: datetime, keep: int) -> list[Breach]:
    """The `keep` most overdue breaches of `tickets`, chosen and ordered as `_Tally`
    does (the largest by overdue, key and kind; shown most overdue first)."""
    entries: dict[tuple[str, str], tuple[float, str, str, Breach]] = {}
    for ticket in tickets:
        for status in sla.evaluate(ticket, policy, now):
            if status.kind in TARGET_KINDS and status.state is ClockState.BREACHED:
                made = breach_of(ticket, status, now)
                entries[(ticket.key, status.kind.value)] = (
                    made.overdue,
                    ticket.key,
                    status.kind.value,
                    made,
                )
    chosen = sorted(entries.values(), key=lambda e: e[:3], reverse=True)[:keep]
    return [e[3] for e in sorted(chosen, key=lambda e: (-e[0], e[1], e[2]))]


def agreements(policy: sla.Policy) -> list[str]:
    """The names of the configured agreements, and the standard one."""
    names = {terms.name for terms in policy.agreements.values()}
    return [*sorted(names), sla.STANDARD_AGREEMENT]


def backlog(service: HelpdeskService, now: datetime) -> dict[int, dict[str, int]]:
    """Open tickets by tier and age, counted by the store (one count per cell)."""
    counts: dict[int, dict[str, int]] = {}
    for tier in TIERS:
        counts[tier] = {}
        for bucket in AGE_BUCKETS:
            query = Query(
                statuses=ACTIVE_STATUSES,
                tiers=frozenset({tier}),
                created_after=None if bucket.younger_than is None else now - bucket.younger_than,
                created_before=now - bucket.older_than if bucket.older_than else None,
            )
            counts[tier][bucket.label] = service.count(query)
    return counts


class _Tally:
    """Adds tickets one by one into a Metrics, keeping only counters and durations."""

    def __init__(self, into: Metrics, now: datetime, worst: int, policy: sla.Policy) -> None:
        self.m = into
        self.policy = policy
        self.now = now
        self.since = into.period.since
        self.until = into.period.until
        self.trend_end = into.weeks[-1].until
        self.n_weeks = len(into.weeks)
        self.keep = worst
        self._worst: list[tuple[float, str, str, Breach]] = []

    def _week(self, created: datetime) -> WeekFigures | None:
        back = (self.trend_end - created) // WEEK
        if created >= self.trend_end or back >= self.n_weeks:
            return None
        return self.m.weeks[self.n_weeks - 1 - back]

    def add(self, ticket: Ticket, statuses: list[TargetStatus]) -> None:
        m = self.m
        created = ticket.created_at
        in_period = self.since <= created < self.until
        week = self._week(created)
        if week is not None:
            week.created += 1
        if in_period:
            m.created += 1
        if ticket.status is Status.CANCELLED:
            if in_period:
                m.cancelled += 1
            return
        states = {s.kind: s for s in statuses if s.kind in TARGET_KINDS}
        if week is not None:
            for kind, status in states.items():
                week.sla.of(kind).add(status.state)
            if ticket.csat_score is not None:
                week.csat[ticket.csat_score] += 1
        if not in_period:
            return
        agent = m.agents.get(ticket.assignee)
        if agent is None:
            agent = m.agents[ticket.assignee] = AgentFigures(ticket.assignee)
        agent.tickets += 1
        name = sla.agreement_name(self.policy, ticket.organization)
        terms = m.by_agreement.get(name)
        if terms is None:
            terms = m.by_agreement[name] = AgreementFigures(name)
        terms.tickets += 1
        groups = (m.by_priority[ticket.priority], m.by_tier[ticket.tier], agent.sla, terms.sla)
        for kind, status in states.items():
            for group in groups:
                group.of(kind).add(status.state)
            if status.state is ClockState.BREACHED:
                self._breach(ticket, status)
        resolved_at = (
            ticket.resolved_at or ticket.closed_at
            if ticket.status in (Status.RESOLVED, Status.CLOSED)
            else None
        )
        first = ticket.first_response_at or resolved_at
        if first is not None:
            seconds = max(0.0, (first - created).total_seconds())
            m.first_response_times.add(seconds)
            agent.first_response_times.add(seconds)
        if resolved_at is not None:
            seconds = max(0.0, (resolved_at - created).total_seconds())
            m.resolved += 1
            agent.resolved += 1
            m.resolution_times.add(seconds)
            agent.resolution_times.add(seconds)
        if ticket.csat_score is not None:
            m.csat[ticket.csat_score] += 1
            agent.csat[ticket.csat_score] += 1

    def _breach(self, ticket: Ticket, status: TargetStatus) -> None:
        breach = breach_of(ticket, status, self.now)
        entry = (breach.overdue, ticket.key, status.kind.value, breach)
        if len(self._worst) < self.keep:
            heapq.heappush(self._worst, entry)
        elif self.keep and entry[:3] > self._worst[0][:3]:
            heapq.heapreplace(self._worst, entry)

    def worst(self) -> list[Breach]:
        return [e[3] for e in sorted(self._worst, key=lambda e: (-e[0], e[1], e[2]))]


def breach_of(ticket: Ticket, status: TargetStatus, now: datetime) -> Breach:
    """One breached target of `ticket` as the report lists it."""
    if status.due_at is not None:
        overdue = ((status.stopped_at or now) - status.due_at).total_seconds()
    else:
        overdue = -status.remaining.total_seconds()
    return Breach(
        ticket.key,
        ticket.priority,
        ticket.tier,
        ticket.assignee,
        status.kind,
        status.due_at,
        overdue,
        status.stopped_at is None,
        status,
    )


# ---------------------------------------------------------------------- formatting


def format_duration(seconds: float | None) -> str:
    """Durations as "44m", "5h27m", "3d04h"; "—" for no value."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds) // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
