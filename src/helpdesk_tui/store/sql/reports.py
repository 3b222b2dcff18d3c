"""A report's cohort summed by the database (`ReportAggregates.cohort_figures`).

reporting/metrics.py defines every figure; this computes the same ones in one SQL
statement over the tickets created in the scanned range, on SQLite and PostgreSQL:

- counts, resolved, CSAT scores: grouped sums, by (cancelled, priority, tier,
  assignee, agreement, score) for the period and by (week, cancelled, score) for the
  trend;
- times from creation: the median and nearest-rank p90 by window functions
  (row_number over the sorted values, the rows at the ranks kept), overall and per
  agent;
- SLA states of the first-response and resolution targets: the due instant of each
  target as the engine computes it (calendar_sql.py: 24/7 in plain arithmetic,
  business calendars and the "outside hours" rule by table lookup), then met (stopped
  by then), breached (stopped later, or due by `now`) or running;
- the worst breaches: the tickets whose overdue seconds reach the N-th largest (less
  2 microseconds, for the engine's rounding of due instants), read whole so the caller
  ranks them with the engine.

What stays in Python: a ticket whose pauses may have stopped a clock (any counted
pause, except ones starting after both clocks stopped, as a resolved ticket's) has its
clocks walked through its pauses by the engine, read whole; those are few (pending or
on-hold stretches before the resolution, or still open). A policy whose calendars
cannot be put in rows exactly makes `cohort_figures` return None.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain import sla
from ...domain.model import Priority, Ticket
from ...domain.sla import ClockState, Policy, TargetKind, TargetSpec
from ..base import CohortCount, CohortFigures, CohortRequest, CohortTimes
from .calendar_sql import DAY, CalendarRows
from .rows import SELECT_TICKET, ticket_from_row
from .tables import tickets
from .transactions import SqlTransactions

KINDS = (TargetKind.FIRST_RESPONSE, TargetKind.RESOLUTION)
WEEK = timedelta(days=7)
UNKNOWN = 9
"""A state the rows could not decide (a calendar row missing): the report is read in
Python rather than guessed."""
OVERDUE_SLACK = 2e-6
CHUNK = 500


@dataclass(frozen=True, slots=True)
class _Target:
    agreement: int
    priority: Priority
    kind: int
    cal: int
    w: float
    hours: int
    """The "hours" calendar of an outside-hours rule; -1: none (or 24/7, always open)."""
    w_out: float
    width: int


class ReportQueries(SqlTransactions):
    """`cohort_figures`: the report's sums in SQL (see the module's docstring)."""

    def cohort_figures(self, request: CohortRequest) -> CohortFigures | None:
        """The cohort's counts, times and worst breaches; None for a policy whose
        calendars cannot be put in rows exactly (the caller reads the tickets)."""
        if request.organizations is not None and not request.organizations:
            return CohortFigures([], [], [])
        with self._read_transaction() as conn:
            agreements = self._agreements(conn, request)
            names = ["", *(terms.name for terms in agreements[1])]
            built = _targets(request, agreements[1])
            if built is None:
                return None
            targets, tables = built
            sql, params = self._cohort_sql(request, agreements[0], targets, tables)
            figures, rest = _figures(conn.execute(sa.text(sql), params), names)
            if rest.undecided:
                return None
            figures.breaches.extend(self._tickets(conn, rest.worst))
            self._walk_paused(conn, request, rest.walk, figures)
            for cell, count in self._backlog(conn, request).items():
                figures.backlog[cell] = figures.backlog.get(cell, 0) + count
        return figures

    def _backlog(self, conn: Connection, request: CohortRequest) -> dict[tuple[int, int], int]:
        """Open tickets now by tier and age bucket, of those outside the cohort (whose
        own are counted with it): one grouped count through the index that `is_active`
        and `created_at` lead, not one count per cell."""
        t = tickets.c
        age: Any = sa.literal(0)
        if request.ages:
            age = sa.case(
                *((t.created_at >= request.now - bound, n) for n, bound in enumerate(request.ages)),
                else_=len(request.ages),
            )
        counts: dict[tuple[int, int], int] = {}
        # Before the cohort, and after it: one index range each (an OR of the two
        # would read every open ticket on SQLite).
        for outside in (t.created_at < request.scan_since, t.created_at >= request.until):
            stmt = (
                sa.select(t.tier, age.label("age"), sa.func.count())
                .where(t.is_active == sa.true(), outside)
                .group_by(t.tier, sa.literal_column("age"))
            )
            if request.organizations is not None:
                stmt = stmt.where(t.organization.in_(sorted(request.organizations)))
            for r in conn.execute(stmt):
                cell = (int(r[0]), int(r[1]))
                counts[cell] = counts.get(cell, 0) + int(r[2])
        return counts

    # -- agreements ------------------------------------------------------------------

    def _agreements(
        self, conn: Connection, request: CohortRequest
    ) -> tuple[dict[str, int], list[Policy]]:
        """The cohort's organizations that have an agreement, each with its number
        (1.. in the returned list of agreement policies; 0 is the standard one)."""
        policy = request.policy
        if not policy.agreements:
            return {}, []
        t = tickets.c
        stmt = (
            sa.select(t.organization)
            .distinct()
            .where(*self._cohort_where(request), t.organization.is_not(None))
        )
        numbers: dict[int, int] = {}
        terms_list: list[Policy] = []
        by_org: dict[str, int] = {}
        for (organization,) in conn.execute(stmt):
            terms = policy.agreement_of(organization)
            if terms is None:
                continue
            number = numbers.get(id(terms))
            if number is None:
                terms_list.append(terms)
                number = numbers[id(terms)] = len(terms_list)
            by_org[organization] = number
        return by_org, terms_list

    def _cohort_where(self, request: CohortRequest) -> list[Any]:
        t = tickets.c
        where = [
            # `is_active` leads the index on created_at: two range reads, in order.
            t.is_active.in_([True, False]),
            t.created_at >= request.scan_since,
            t.created_at < request.until,
        ]
        if request.organizations is not None:
            where.append(t.organization.in_(sorted(request.organizations)))
        return where

    # -- the statement ---------------------------------------------------------------

    def _cohort_sql(
        self,
        request: CohortRequest,
        orgs: dict[str, int],
        targets: list[_Target],
        tables: Tables,
    ) -> tuple[str, dict[str, Any]]:
        days, works, _ = tables
        d = _Dialect(self._sqlite)
        ts = self._ts_param
        params: dict[str, Any] = {
            "scan_since": ts(request.scan_since),
            "since": ts(request.since),
            "until": ts(request.until),
            "trend_end": ts(request.trend_end),
            "trend_end_s": request.trend_end.timestamp(),
            "weeks": request.weeks,
            "now": request.now.timestamp(),
            "last": max(0, request.worst - 1),
            "yes": True,
            "no": False,
        }
        ctes = [
            "tg(agr, prio, kind, cal, w, hcal, wout, bw) AS (VALUES "
            + ", ".join(
                f"({x.agreement}, '{x.priority.value}', {x.kind}, {x.cal}, {d.real(x.w)}, "
                f"{x.hours}, {d.real(x.w_out)}, {x.width})"
                for x in targets
            )
            + ")"
            if targets
            else "tg(agr, prio, kind, cal, w, hcal, wout, bw) AS (VALUES "
            f"(-1, '', -1, 0, {d.real(1.0)}, -1, {d.real(1.0)}, 1))",
        ]
        pieces = (len(days[0]) - 3) // 2 if days else 1
        columns = ", ".join(f"s{k}, e{k}" for k in range(1, pieces + 1))
        day_rows = days or [(-1, -1, 0, *([0, 0] * pieces))]
        ctes.append(
            f"days(cal, day, f0, {columns}) AS (VALUES "
            + ", ".join("(" + ", ".join(map(str, r)) + ")" for r in day_rows)
            + ")"
        )
        work_rows = works or [(-1, -1, 0, 0, -1, 0, 0, -1, 0, 0, -1)]
        ctes.append(
            "works(cal, b, s0, c0, ce0, s1, c1, ce1, s2, c2, ce2) AS (VALUES "
            + ", ".join("(" + ", ".join(map(str, r)) + ")" for r in work_rows)
            + ")"
        )
        agr = "0"
        join_orgs = ""
        if orgs:
            names = list(orgs)
            params.update({f"org{i}": name for i, name in enumerate(names)})
            ctes.append(
                "orgs(org, agr) AS (VALUES "
                + ", ".join(f"(:org{i}, {orgs[n]})" for i, n in enumerate(names))
                + ")"
            )
            agr = "COALESCE(o.agr, 0)"
            join_orgs = "LEFT JOIN orgs o ON o.org = t.organization"
        where = (
            "t.is_active IN (:yes, :no) AND t.created_at >= :scan_since AND t.created_at < :until"
        )
        if request.organizations is not None:
            names = sorted(request.organizations)
            params.update({f"scope{i}": name for i, name in enumerate(names)})
            where += (
                " AND t.organization IN ("
                + ", ".join(f":scope{i}" for i in range(len(names)))
                + ")"
            )
        ctes += _cohort_ctes(d, agr, join_orgs, where, pieces, tables[2], len(request.ages))
        params.update({f"age{n}": ts(request.now - bound) for n, bound in enumerate(request.ages)})
        return "WITH " + ",\n".join(ctes) + "\n" + _PARTS, params

    # -- the tickets whose pauses matter ------------------------------------------------

    def _tickets(self, conn: Connection, ids: list[int]) -> Iterator[Ticket]:
        for chunk in _chunks(ids):
            for row in conn.execute(SELECT_TICKET.where(tickets.c.id.in_(chunk))):
                yield ticket_from_row(row)

    def _walk_paused(
        self, conn: Connection, request: CohortRequest, ids: list[int], into: CohortFigures
    ) -> None:
        """The SLA states of the tickets the engine must walk through their pauses,
        added as counts of no tickets (the SQL rows counted the tickets themselves)."""
        candidates: list[tuple[float, Ticket]] = []
        for chunk in _chunks(ids):
            batch = list(self._tickets(conn, chunk))
            for ticket, statuses in zip(
                batch, sla.evaluate_many(batch, request.policy, request.now), strict=True
            ):
                candidates.extend(_walked(ticket, statuses, request, into))
        if candidates and request.worst:
            candidates.sort(key=lambda c: -c[0])
            floor = candidates[min(request.worst, len(candidates)) - 1][0] - OVERDUE_SLACK
            into.breaches.extend(t for overdue, t in candidates if overdue >= floor)


def _walked(
    ticket: Ticket, statuses: list[sla.TargetStatus], request: CohortRequest, into: CohortFigures
) -> list[tuple[float, Ticket]]:
    """Add one walked ticket's states to `into`; its breaches as (overdue, ticket)."""
    created = ticket.created_at
    states: dict[TargetKind, tuple[int, int, int]] = {}
    breaches: list[tuple[float, Ticket]] = []
    in_period = request.since <= created < request.until
    for status in statuses:
        if status.kind not in KINDS:
            continue
        state = status.state
        states[status.kind] = (
            int(state is ClockState.MET),
            int(state is ClockState.BREACHED),
            int(state not in (ClockState.MET, ClockState.BREACHED)),
        )
        if status.state is ClockState.BREACHED and in_period:
            if status.due_at is not None:
                overdue = ((status.stopped_at or request.now) - status.due_at).total_seconds()
            else:
                overdue = -status.remaining.total_seconds()
            breaches.append((overdue, ticket))
    first = states.get(TargetKind.FIRST_RESPONSE, (0, 0, 0))
    resolution = states.get(TargetKind.RESOLUTION, (0, 0, 0))
    back = (request.trend_end - created) // WEEK
    if created < request.trend_end and back < request.weeks:
        week = request.weeks - 1 - back
        into.counts.append(
            CohortCount(week, False, None, 0, first_response=first, resolution=resolution)
        )
    if in_period:
        into.counts.append(
            CohortCount(
                None,
                False,
                None,
                0,
                ticket.priority,
                ticket.tier,
                ticket.assignee,
                sla.agreement_name(request.policy, ticket.organization),
                0,
                first,
                resolution,
            )
        )
    return breaches


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


Tables = tuple[list[tuple[int, ...]], list[tuple[int, ...]], dict[int, int]]


def _targets(
    request: CohortRequest, agreements: list[Policy]
) -> tuple[list[_Target], Tables] | None:
    """The first-response and resolution targets of each agreement and priority."""
    calendars = CalendarRows(request.scan_since.timestamp(), request.until.timestamp())
    specs: list[tuple[int, Priority, int, Policy, TargetSpec]] = []
    for number, policy in enumerate([request.policy, *agreements]):
        for priority, spec in policy.targets.items():
            for kind, target in enumerate((spec.first_response, spec.resolution)):
                if target is not None:
                    specs.append((number, priority, kind, policy, target))
    out: list[tuple[int, Priority, int, int, float, int, float]] = []
    for number, priority, kind, policy, target in specs:
        w = target.duration.total_seconds()
        w_out = w
        hours = -1
        if target.outside_hours_duration is not None and target.hours_calendar is not None:
            w_out = target.outside_hours_duration.total_seconds()
            hours = calendars.id_of(policy.calendar(target.hours_calendar))
            hours = -1 if hours == 0 else hours  # 24/7 is always open: never outside
        cal = calendars.id_of(policy.calendar(target.calendar), max(w, w_out))
        out.append((number, priority, kind, cal, w, hours, w_out))
    tables = calendars.rows()
    if tables is None:
        return None
    widths = tables[2]
    made = [_Target(n, p, k, cal, w, h, wo, widths.get(cal, 1)) for n, p, k, cal, w, h, wo in out]
    return made, tables


class _Dialect:
    """The few expressions SQLite and PostgreSQL spell differently. Timestamps are
    epoch microseconds on SQLite, timestamptz on PostgreSQL; both give the same float
    seconds (an exact integer of microseconds, divided once)."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def real(self, value: float) -> str:
        text = repr(float(value))
        return text if self.sqlite else f"CAST({text} AS DOUBLE PRECISION)"

    def seconds(self, col: str) -> str:
        """Epoch seconds of a timestamp column, as the engine's `timestamp()`."""
        if self.sqlite:
            return f"({col} / 1000000.0)"
        # date_part (not EXTRACT, which is numeric) divides the microseconds as a float
        return f"date_part('epoch', {col})"

    def between(self, later: str, earlier: str) -> str:
        """Seconds from `earlier` to `later`, as timedelta.total_seconds()."""
        if self.sqlite:
            return f"(({later} - {earlier}) / 1000000.0)"
        # Whole microseconds in float8 (exact below 2**53; the float seconds times 10**6
        # are within half a microsecond of them), their difference divided once: the
        # numeric EXTRACT gives the same value at several times the cost.
        return (
            f"((round(date_part('epoch', {later}) * 1000000) "
            f"- round(date_part('epoch', {earlier}) * 1000000)) "
            "/ CAST(1000000 AS DOUBLE PRECISION))"
        )

    def day(self, col: str) -> str:
        if self.sqlite:
            return f"({col} / {DAY * 1_000_000})"
        return f"CAST(FLOOR(date_part('epoch', {col}) / {DAY}) AS BIGINT)"

    def weeks_back(self, col: str) -> str:
        """Whole weeks from `col` to the trend's end (`col` before it)."""
        if self.sqlite:
            return f"((:trend_end - {col}) / {7 * DAY * 1_000_000})"
        # In float seconds: the difference is exact, and a quotient a microsecond short
        # of a whole week is still far (1e-12) from it, so the floor is the exact one.
        return f"CAST(FLOOR((:trend_end_s - {self.seconds(col)}) / {7 * DAY}) AS BIGINT)"

    def materialized(self) -> str:
        """How a CTE is kept once: PostgreSQL inlines one used once (computing its long
        expressions again at every reference), SQLite may too; both know the hint
        (SQLite since 3.35: older ones keep these CTEs anyway, as used more than once
        or joined)."""
        if self.sqlite and sqlite3.sqlite_version_info < (3, 35):
            return ""
        return "MATERIALIZED "

    def floor(self, expr: str) -> str:
        """The whole part of a non-negative float."""
        # "+ 0": an expression without affinity, which SQLite may look up by an index
        # on a column without one (as the VALUES tables' columns are)
        return f"(CAST({expr} AS INTEGER) + 0)" if self.sqlite else f"CAST(FLOOR({expr}) AS BIGINT)"

    def later(self, a: str, b: str) -> str:
        return f"max({a}, {b})" if self.sqlite else f"GREATEST({a}, {b})"

    def first_pause(self) -> str:
        """When the ticket's first recorded pause began (pauses are JSON, oldest first:
        [["2026-03-02T10:00:00[.ffffff]+00:00", end, status], ...]), comparable with
        the timestamp columns."""
        p = "t.pauses"
        if self.sqlite:
            return (
                f"(CAST(strftime('%s', substr({p}, 4, 19)) AS INTEGER) * 1000000 + "
                f"CASE WHEN substr({p}, 23, 1) = '.' "
                f"THEN CAST(substr({p}, 24, 6) AS INTEGER) ELSE 0 END)"
            )
        return (
            f"(CAST(substr({p}, 4, CASE WHEN substr({p}, 23, 1) = '.' THEN 26 ELSE 19 END) "
            "AS TIMESTAMP) AT TIME ZONE 'UTC')"
        )


def _cohort_ctes(
    d: _Dialect,
    agr: str,
    join_orgs: str,
    where: str,
    pieces: int,
    widths: dict[int, int],
    bounds: int,
) -> list[str]:
    """x: one row per ticket, with the work value each target falls due at; s: the
    states (0 met, 1 breached, 2 running, 9 unknown, NULL not measured) and seconds
    overdue; br: the period's breaches. Two levels only: each level SQLite keeps costs
    a copy of every row, and each reference to an expression PostgreSQL inlines
    computes it again, so what is used more than once is a column of the level below."""
    cals = sorted(widths)
    x = f"""x AS {d.materialized()}(
  SELECT {_ticket_columns(d, agr, bounds)},
    f.kind AS fk, f.cal AS fcal, r.kind AS rk, r.cal AS rcal,
    {_due_work(d, "f", pieces, cals)} AS fw, {_due_work(d, "r", pieces, cals)} AS rw
  FROM tickets t {join_orgs}
  LEFT JOIN tg f ON f.agr = {agr} AND f.prio = t.priority AND f.kind = 0
  LEFT JOIN tg r ON r.agr = {agr} AND r.prio = t.priority AND r.kind = 1
{_day_joins(d, cals)}
  WHERE {where})"""

    def state(kind: str, stopped: str, due_at: str) -> str:
        return (
            f"CASE WHEN canc = 1 OR ok = 0 OR {kind} IS NULL THEN NULL "
            f"WHEN {due_at} IS NULL THEN {UNKNOWN} "
            f"WHEN {stopped} IS NOT NULL THEN CASE WHEN {stopped} <= {due_at} THEN 0 ELSE 1 END "
            f"WHEN :now >= {due_at} THEN 1 ELSE 2 END"
        )

    fdue, rdue = _due(d, "x.fw", "x.fcal", "wf", cals), _due(d, "x.rw", "x.rcal", "wr", cals)
    work_joins = "\n".join(
        f"  LEFT JOIN works {k}{n} ON {k}{n}.cal = {n} AND x.{k[1]}cal = {n} "
        f"AND {k}{n}.b = {d.floor(f'x.{k[1]}w / {widths[n]}')}"
        for n in cals
        for k in ("wf", "wr")
    )
    once = ""
    if not d.sqlite:
        # PostgreSQL computes an expression again at every reference: the due instants
        # once per row in a LATERAL subquery (OFFSET 0 keeps it from being inlined).
        once = f"\n  CROSS JOIN LATERAL (SELECT {fdue} AS fdue, {rdue} AS rdue OFFSET 0) z"
        fdue, rdue = "z.fdue", "z.rdue"
    s = f"""s AS {d.materialized()}(
  SELECT id, prio, tier, who, csat, canc, inp, wk, agr, ok, frd, rsd, done, ab,
    {state("fk", "fs", fdue)} AS fst, {state("rk", "rs", rdue)} AS rst,
    COALESCE(fs, :now) - ({fdue}) AS fov, COALESCE(rs, :now) - ({rdue}) AS rov
  FROM x
{work_joins}{once})"""
    breaches = """br AS (
  SELECT id, fov AS ov FROM s WHERE inp = 1 AND fst = 1
  UNION ALL SELECT id, rov FROM s WHERE inp = 1 AND rst = 1)"""
    return [x, s, breaches]


def _ticket_columns(d: _Dialect, agr: str, bounds: int) -> str:
    """What every part needs of a ticket: its groups, its clocks' stops, its times."""
    done = "t.status IN ('resolved', 'closed')"
    stop = f"CASE WHEN {done} THEN COALESCE(t.resolved_at, t.closed_at, t.created_at) END"
    shown = f"CASE WHEN {done} THEN COALESCE(t.resolved_at, t.closed_at) END"
    first_shown = f"COALESCE(t.first_response_at, {shown})"
    first_stop = f"COALESCE(t.first_response_at, {stop})"

    def nonneg(expr: str) -> str:  # max(0.0, expr), computing it once
        return f"max({expr}, 0.0)" if d.sqlite else f"GREATEST({expr}, 0.0)"

    unpaused = (
        f"t.pauses = '[]' OR ({done} AND substr(t.pauses, 1, 3) = '[[\"' AND "
        f"{d.first_pause()} >= {d.later(first_stop, stop)})"
    )
    back = d.weeks_back("t.created_at")
    ages = (
        "CASE "
        + " ".join(f"WHEN t.created_at >= :age{n} THEN {n}" for n in range(bounds))
        + f" ELSE {bounds} END"
        if bounds
        else "0"
    )
    return f"""t.id, t.priority AS prio, t.tier, t.assignee AS who, t.csat_score AS csat,
    CASE WHEN t.status = 'cancelled' THEN 1 ELSE 0 END AS canc,
    CASE WHEN t.created_at >= :since THEN 1 ELSE 0 END AS inp,
    CASE WHEN t.created_at < :trend_end AND {back} < :weeks THEN :weeks - 1 - {back} END AS wk,
    {agr} AS agr,
    CASE WHEN {unpaused} THEN 1 ELSE 0 END AS ok,
    {d.seconds(first_stop)} AS fs, {d.seconds(stop)} AS rs,
    CASE WHEN {first_shown} IS NOT NULL
      THEN {nonneg(d.between(first_shown, "t.created_at"))} END AS frd,
    CASE WHEN {shown} IS NOT NULL THEN {nonneg(d.between(shown, "t.created_at"))} END AS rsd,
    CASE WHEN {shown} IS NOT NULL THEN 1 ELSE 0 END AS done,
    CASE WHEN t.is_active = :yes THEN {ages} END AS ab"""


def _day_joins(d: _Dialect, cals: list[int]) -> str:
    # One join per business calendar, on a constant `cal`: both planners then look the
    # day up by an index (SQLite's automatic one), whichever targets use the calendar.
    day = d.day("t.created_at")
    return "\n".join(f"  LEFT JOIN days d{n} ON d{n}.cal = {n} AND d{n}.day = {day}" for n in cals)


def _due_work(d: _Dialect, g: str, pieces: int, cals: list[int]) -> str:
    """The work value target `g` falls due at: F(creation) on its calendar plus its
    duration (the outside-hours one when its hours calendar was closed then)."""
    a0 = d.seconds("t.created_at")

    def work(day: str) -> str:  # F(a0) on the day row `day`
        parts = " + ".join(
            f"CASE WHEN {a0} <= {day}.s{k} THEN 0 WHEN {a0} >= {day}.e{k} "
            f"THEN {day}.e{k} - {day}.s{k} ELSE {a0} - {day}.s{k} END"
            for k in range(1, pieces + 1)
        )
        return f"{day}.f0 + {parts}"

    def is_open(day: str) -> str:
        return " OR ".join(
            f"({a0} >= {day}.s{k} AND {a0} < {day}.e{k})" for k in range(1, pieces + 1)
        )

    f = " ".join(f"WHEN {n} THEN {work(f'd{n}')}" for n in cals)
    closed = " ".join(
        f"WHEN {g}.hcal = {n} AND NOT ({is_open(f'd{n}')}) THEN {g}.wout" for n in cals
    )
    duration = f"CASE {closed} ELSE {g}.w END" if cals else f"{g}.w"
    return f"CASE {g}.cal WHEN 0 THEN {a0} {f} END + {duration}"


def _due(d: _Dialect, w: str, cal: str, kind: str, cals: list[int]) -> str:
    """G(w): the instant the work value `w` is reached, from the `works` row joined."""
    found = []
    for n in cals:
        g = f"{kind}{n}"
        found.append(
            f"WHEN {cal} = {n} THEN CASE WHEN {w} <= {g}.ce0 THEN {g}.s0 + ({w} - {g}.c0) "
            f"WHEN {w} <= {g}.ce1 THEN {g}.s1 + ({w} - {g}.c1) "
            f"WHEN {w} <= {g}.ce2 THEN {g}.s2 + ({w} - {g}.c2) END"
        )
    return f"CASE WHEN {cal} = 0 THEN {w} {' '.join(found)} END"


def _sums(prefix: str) -> str:
    return ", ".join(f"SUM(CASE WHEN {prefix}st = {n} THEN 1 ELSE 0 END)" for n in range(3))


# Parts of the one result, by its first column: 0 the period's groups, 1 the trend's,
# 2 the worst breaches' tickets, 3 the tickets to walk in Python, 4 undecided states,
# 5 each ticket's times, 6 the cohort's open tickets by tier and age bucket (in wk).
# Columns: part, canc, prio, tier, who, agr, csat, wk, n (or id), resolved, 3 + 3
# state counts, two values (overdue; the times).
_PARTS = f"""
SELECT 0 AS part, canc, prio, tier, who, agr, csat, CAST(NULL AS INTEGER) AS wk,
    COUNT(*) AS n, SUM(done) AS resolved, {_sums("f")}, {_sums("r")},
    CAST(NULL AS DOUBLE PRECISION) AS v, CAST(NULL AS DOUBLE PRECISION) AS v2
  FROM s WHERE inp = 1 GROUP BY canc, prio, tier, who, agr, csat
UNION ALL
SELECT 1, canc, NULL, NULL, NULL, NULL, csat, wk, COUNT(*), 0, {_sums("f")}, {_sums("r")},
    NULL, NULL
  FROM s WHERE wk IS NOT NULL GROUP BY wk, canc, csat
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, id, 0, 0, 0, 0, 0, 0, 0, ov, NULL
  FROM br WHERE ov >= COALESCE(
    (SELECT ov FROM br ORDER BY ov DESC LIMIT 1 OFFSET :last), -1e300) - {OVERDUE_SLACK}
UNION ALL
SELECT 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, id, 0, 0, 0, 0, 0, 0, 0, NULL, NULL
  FROM s WHERE ok = 0 AND canc = 0 AND (inp = 1 OR wk IS NOT NULL)
UNION ALL
SELECT 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*), 0, 0, 0, 0, 0, 0, 0, NULL, NULL
  FROM s WHERE fst = {UNKNOWN} OR rst = {UNKNOWN}
UNION ALL
SELECT 6, NULL, NULL, tier, NULL, NULL, NULL, ab, COUNT(*), 0, 0, 0, 0, 0, 0, 0, NULL, NULL
  FROM s WHERE ab IS NOT NULL GROUP BY tier, ab
UNION ALL
SELECT 5, NULL, NULL, NULL, who, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, frd, rsd
  FROM s WHERE inp = 1 AND canc = 0 AND (frd IS NOT NULL OR rsd IS NOT NULL)
"""


@dataclass
class _Rest:
    """What the result says besides the figures: read by `cohort_figures`."""

    worst: list[int] = field(default_factory=list)
    walk: list[int] = field(default_factory=list)
    undecided: int = 0


def _figures(rows: Iterable[Any], names: list[str]) -> tuple[CohortFigures, _Rest]:
    """The result's parts, read once as they come (a year's times are a row per ticket:
    only their floats are kept), as CohortFigures and the ids still to read."""
    rest = _Rest()
    backlog: dict[tuple[int, int], int] = {}
    counts: list[CohortCount] = []
    values: defaultdict[tuple[bool, str | None, str], array[float]] = defaultdict(
        lambda: array("d")
    )
    for r in rows:
        part = r[0]
        if part in (0, 1):
            first = (int(r[10]), int(r[11]), int(r[12]))
            resolution = (int(r[13]), int(r[14]), int(r[15]))
            cancelled = bool(r[1])
            csat = None if r[6] is None else int(r[6])
            if part == 0:
                agreement = names[int(r[5])] or sla.STANDARD_AGREEMENT
                counts.append(
                    CohortCount(
                        None,
                        cancelled,
                        csat,
                        int(r[8]),
                        Priority(r[2]),
                        int(r[3]),
                        r[4],
                        agreement,
                        int(r[9]),
                        first,
                        resolution,
                    )
                )
            else:
                counts.append(
                    CohortCount(
                        int(r[7]),
                        cancelled,
                        csat,
                        int(r[8]),
                        None,
                        None,
                        None,
                        None,
                        0,
                        first,
                        resolution,
                    )
                )
        elif part == 5:
            agent: str | None = r[4]
            for kind, value in (("first_response", r[16]), ("resolution", r[17])):
                if value is not None:
                    values[(False, agent, kind)].append(value)
                    values[(True, None, kind)].append(value)
        elif part == 2:
            rest.worst.append(int(r[8]))
        elif part == 3:
            rest.walk.append(int(r[8]))
        elif part == 4:
            rest.undecided += int(r[8])
        elif part == 6:
            backlog[(int(r[3]), int(r[7]))] = int(r[8])
    times = [_times(overall, agent, kind, v) for (overall, agent, kind), v in values.items()]
    return CohortFigures(counts, times, [], backlog), rest


def _times(overall: bool, agent: str | None, kind: str, values: array[float]) -> CohortTimes:
    """Median (the middle value, or the mean of the two middle ones) and nearest-rank
    p90, as reporting's Durations computes them. Sorting a column of floats here costs
    less than the database ranking them by window functions (measured: SQLite took
    about a second a kind at a year of a million tickets)."""
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    p90 = ordered[max(1, math.ceil(0.9 * n)) - 1]
    return CohortTimes(overall, agent, kind, n, median, p90)
