"""Support metrics over a period: SLA compliance, response and resolution times,
backlog, CSAT. Shared by the metrics screen and the command line."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .domain import sla
from .domain.model import ACTIVE_STATUSES, TIERS, Priority, Status
from .service import HelpdeskService, iter_all
from .store.base import Query, SortKey


@dataclass(slots=True)
class Compliance:
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclass(slots=True)
class Metrics:
    since: datetime
    until: datetime
    tickets: int = 0
    first_response: dict[Priority, Compliance] = field(default_factory=dict)
    resolution: dict[Priority, Compliance] = field(default_factory=dict)
    first_response_times: list[float] = field(default_factory=list)
    resolution_times: list[float] = field(default_factory=list)
    backlog_by_tier: dict[int, int] = field(default_factory=dict)
    csat: Counter[int] = field(default_factory=Counter)

    @staticmethod
    def _median(values: list[float]) -> timedelta | None:
        return timedelta(seconds=statistics.median(values)) if values else None

    @staticmethod
    def _p90(values: list[float]) -> timedelta | None:
        if len(values) < 2:
            return Metrics._median(values)
        return timedelta(seconds=statistics.quantiles(values, n=10)[-1])

    @property
    def median_first_response(self) -> timedelta | None:
        return self._median(self.first_response_times)

    @property
    def p90_first_response(self) -> timedelta | None:
        return self._p90(self.first_response_times)

    @property
    def median_resolution(self) -> timedelta | None:
        return self._median(self.resolution_times)

    @property
    def p90_resolution(self) -> timedelta | None:
        return self._p90(self.resolution_times)

    @property
    def csat_average(self) -> float | None:
        answers = sum(self.csat.values())
        return sum(score * n for score, n in self.csat.items()) / answers if answers else None


def compute(service: HelpdeskService, days: int = 30) -> Metrics:
    """Metrics for tickets created in the last `days` days, plus today's backlog."""
    until = service.clock()
    since = until - timedelta(days=days)
    result = Metrics(since, until)
    result.first_response = {p: Compliance() for p in Priority}
    result.resolution = {p: Compliance() for p in Priority}
    query = Query(created_after=since, sort=SortKey.CREATED)
    for ticket in iter_all(service, query):
        result.tickets += 1
        if ticket.status is Status.CANCELLED:
            continue  # duplicates and spam: no promise was made, none was kept or broken
        for status in sla.evaluate(ticket, service.policy, until):
            if status.stopped_at is None and status.state is not sla.ClockState.BREACHED:
                continue
            bucket = {
                sla.TargetKind.FIRST_RESPONSE: result.first_response,
                sla.TargetKind.RESOLUTION: result.resolution,
            }.get(status.kind)
            if bucket is None:
                continue
            if status.state is sla.ClockState.MET:
                bucket[ticket.priority].met += 1
            else:
                bucket[ticket.priority].breached += 1
        if ticket.first_response_at:
            result.first_response_times.append(
                (ticket.first_response_at - ticket.created_at).total_seconds()
            )
        if ticket.resolved_at:
            result.resolution_times.append((ticket.resolved_at - ticket.created_at).total_seconds())
        if ticket.csat_score:
            result.csat[ticket.csat_score] += 1
    for tier in TIERS:
        result.backlog_by_tier[tier] = service.count(
            Query(statuses=ACTIVE_STATUSES, tiers=frozenset({tier}))
        )
    return result
