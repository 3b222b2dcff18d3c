"""The state of every SLA clock of a ticket at an instant `now`.

How a target is measured
------------------------
A target (first response, resolution, periodic update) starts at an anchor (the
ticket's creation, or its last public update), runs on its calendar, and stands still
during the ticket's pauses whose status the policy lists. Its due instant is where the
counted working time reaches the target duration. A stop event (first response,
resolution) meets it if it comes no later than the due instant, else breaches it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..model import ACTIVE_STATUSES, Status, Ticket
from .calendar import Calendar, epoch_seconds, utc_from_epoch
from .policy import ClockState, CompiledTarget, Policy, TargetKind

_INF = math.inf
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """The state of one SLA clock at an instant. Durations are working time.

    `due_at` is None while the clock is paused short of its target. `at_risk_at` is
    when the clock turns at-risk (None once the clock has stopped, or while paused
    short of that point). `remaining` is negative past due. `at_risk` is true for a
    clock that is unmet, not yet breached, and past its at-risk share. `in_pause` is
    true for a clock still counting while the ticket stands in a pause the policy
    counts: a paused clock, or one that breached before the pause began (it keeps its
    due instant, but stands still like the store's `sla_due_at`, which is None then).
    """

    kind: TargetKind
    state: ClockState
    target: timedelta
    due_at: datetime | None
    at_risk_at: datetime | None
    remaining: timedelta
    elapsed: timedelta
    at_risk: bool
    stopped_at: datetime | None
    in_pause: bool = False

    @property
    def is_unmet(self) -> bool:
        """Still counting (running, paused, or breached but not stopped)."""
        return self.stopped_at is None and self.state is not ClockState.MET


# A frozen dataclass's __init__ pays an object.__setattr__ call per field, which made
# it the single largest cost of `evaluate`. `_clock` instead sets the slots through
# their member descriptors: the identical object, built about three times faster.
_new_object = object.__new__
_status_slot_setters = tuple(TargetStatus.__dict__[name].__set__ for name in TargetStatus.__slots__)
(
    _set_kind,
    _set_state,
    _set_target,
    _set_due,
    _set_risk_at,
    _set_remaining,
    _set_elapsed,
    _set_at_risk,
    _set_stopped,
    _set_in_pause,
) = _status_slot_setters
assert TargetStatus.__slots__ == (
    "kind",
    "state",
    "target",
    "due_at",
    "at_risk_at",
    "remaining",
    "elapsed",
    "at_risk",
    "stopped_at",
    "in_pause",
)


_RUNNING = ClockState.RUNNING
_PAUSED = ClockState.PAUSED
_MET = ClockState.MET
_BREACHED = ClockState.BREACHED
_FIRST = TargetKind.FIRST_RESPONSE
_RESOLUTION = TargetKind.RESOLUTION
_UPDATE = TargetKind.UPDATE
_CANCELLED = Status.CANCELLED
_RESOLVED_STATUS = Status.RESOLVED
_CLOSED = Status.CLOSED
_fromts = datetime.fromtimestamp


_Span = tuple[float, float, float, float]
"""A counted pause as (start, end, F(start), F(end)) on one calendar; open: end = inf."""


def _pause_spans(ticket: Ticket, statuses: frozenset[Status]) -> list[_Span]:
    """The ticket's counted pauses, sorted and merged, with 24/7 work values (F(t) = t)."""
    raw: list[tuple[float, float]] = []
    for pause in ticket.pauses:
        if pause.status in statuses:
            start, end = pause.start, pause.end
            if start.tzinfo is None or (end is not None and end.tzinfo is None):
                raise ValueError(f"pause times must be timezone-aware (got {pause!r})")
            s = start.timestamp()
            e = _INF if end is None else end.timestamp()
            if e > s:
                raw.append((s, e))
    if len(raw) > 1:
        # Stores keep pauses oldest first and disjoint; merging anyway means a pause
        # can only ever add still time, never count a stretch twice.
        raw.sort()
        merged = [raw[0]]
        for s, e in raw[1:]:
            ls, le = merged[-1]
            if s <= le:
                if e > le:
                    merged[-1] = (ls, e)
            else:
                merged.append((s, e))
        raw = merged
    return [(s, e, s, e) for s, e in raw]


def _on_calendar(spans: list[_Span], cal: Calendar) -> list[_Span]:
    """The same pauses with work values on `cal` (computed once per ticket and calendar)."""
    work_at = cal._work_at
    return [(s, e, work_at(s), _INF if e == _INF else work_at(e)) for s, e, _, _ in spans]


def _walk(
    a0: float,
    fa: float,
    spans: list[_Span],
    horizon: float,
    w: float,
    risk_w: float,
    t_end: float,
    f_end: float,
) -> tuple[float | None, float | None, float, bool]:
    """Run a clock from `a0` through `spans`, all in work values (F) on its calendar.

    Returns the work values at which the clock has counted `w` and `risk_w` (None when
    an open pause comes first), the working seconds counted by `t_end` (F(t_end) is
    `f_end`), and whether the clock ends in an open pause. Pauses starting at or after
    `horizon` (the stop instant) are ignored, so a met clock still shows the due time
    it would have had. Thresholds are reached with w - counted > 0, so the instant G
    returns for them is strictly after the segment's start: no clamping needed.
    """
    acc = 0.0
    cur = a0
    fcur = fa
    due: float | None = None
    risk: float | None = None
    el: float | None = None
    for s, e, fs, fe in spans:
        if s >= horizon:
            break
        if e <= cur:
            continue
        if s > cur:  # the clock runs over [cur, s)
            seg = fs - fcur
            if due is None and acc + seg >= w:
                due = fcur + (w - acc)
            if risk is None and acc + seg >= risk_w:
                risk = fcur + (risk_w - acc)
            if el is None and t_end < s:
                el = acc + (f_end - fcur if t_end > cur else 0.0)
            acc += seg
        if el is None and t_end < e:  # inside the pause: nothing more counts yet
            el = acc
        cur = e
        fcur = fe
        if e == _INF:
            return due, risk, acc if el is None else el, True
    if due is None:
        due = fcur + (w - acc)
    if risk is None:
        risk = fcur + (risk_w - acc)
    if el is None:
        el = acc + (f_end - fcur if t_end > cur else 0.0)
    return due, risk, el, False


def _clock(
    c: CompiledTarget,
    a0: float,
    fa: float,
    spans: list[_Span],
    stop: float | None,
    f_end: float,
    stopped_at: datetime | None,
    now: float,
    cancelled: bool,
) -> TargetStatus:
    """One target's state, from work values its caller shares between targets.

    `fa` is F(a0), `spans` the pauses on this target's calendar, `stop` the meeting
    event's epoch (None while unmet) and `f_end` F(stop or now). The hot path of
    `evaluate`: it favours fewer calls over tidiness."""
    w = c.w
    risk_w = c.risk
    td = c.td
    hours = c.hours
    if hours is not None and not hours._open_at(a0):
        w = c.w_out  # type: ignore[assignment]  # set whenever `hours` is
        risk_w = c.risk_out  # type: ignore[assignment]
        td = c.td_out  # type: ignore[assignment]
    paused = False
    risk_x: float | None = None
    due_x: float | None
    if not spans:
        due_x = fa + w
        if stop is None:
            risk_x = fa + risk_w
            el = f_end - fa if now > a0 else 0.0
        else:
            el = f_end - fa if stop > a0 else 0.0
    else:
        due_x, risk_x, el, paused = _walk(
            a0,
            fa,
            spans,
            _INF if stop is None else stop,
            w,
            risk_w,
            now if stop is None else stop,
            f_end,
        )
        if stop is not None:
            risk_x = None
    if c.always:
        due, risk = due_x, risk_x
    else:
        instant_at = c.calendar._instant_at
        due = None if due_x is None else instant_at(due_x)
        risk = None if risk_x is None else instant_at(risk_x)

    if cancelled:
        state = _MET
        due = risk = None
    elif stop is not None:
        state = _MET if due is None or stop <= due else _BREACHED
    elif due is not None and now >= due:
        state = _BREACHED
    elif paused:
        state = _PAUSED
        due = None
    else:
        state = _RUNNING
    elapsed = _SECOND * el
    # TargetStatus(...) without the frozen-dataclass __init__: see _status_slot_setters.
    out: TargetStatus = _new_object(TargetStatus)
    _set_kind(out, c.kind)
    _set_state(out, state)
    _set_target(out, td)
    _set_due(out, None if due is None else _fromts(due, UTC))
    _set_risk_at(out, None if risk is None else _fromts(risk, UTC))
    _set_remaining(out, td - elapsed)
    _set_elapsed(out, elapsed)
    _set_at_risk(out, (state is _RUNNING or state is _PAUSED) and el >= risk_w)
    _set_stopped(out, stopped_at)
    _set_in_pause(out, paused and stop is None and not cancelled)
    return out


def _resolution_stop(ticket: Ticket) -> datetime | None:
    """When the resolution clock stopped, or None while it counts.

    Only a resolved or closed ticket has stopped it: a reopened ticket may still carry
    the old `resolved_at`, but its clock runs again (the resolved stretch is a pause).
    """
    status = ticket.status
    if status is _RESOLVED_STATUS or status is _CLOSED:
        # A ticket closed without a recorded instant never shows as breaching.
        return ticket.resolved_at or ticket.closed_at or ticket.created_at
    return None


def evaluate(ticket: Ticket, policy: Policy, now: datetime) -> list[TargetStatus]:
    """Every SLA clock of `ticket` under `policy` at instant `now`: under the policy of
    the ticket's agreement, when its organization has one (`Policy.for_organization`).

    Order: first response, resolution, update (those the policy sets for the ticket's
    current priority). Targets are measured from `created_at`; the update target from
    the last public update (or first response, or creation). Pauses count only for
    the policy's `pause_statuses`.

    The first response is met by `first_response_at`, or by the resolution of a ticket
    resolved without a separate reply (the resolution reaches the customer). The update
    target is never met: it runs while the ticket is active and is left out once it is
    resolved, closed or cancelled. A cancelled ticket's clocks all read `met` with no
    due time, so duplicates and spam never show as breaching.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got naive {now.isoformat()})")
    if policy.agreements:
        policy = policy.for_organization(ticket.organization)
    return _evaluate(ticket, policy, now.timestamp(), {})


def evaluate_many(
    tickets: Iterable[Ticket], policy: Policy, now: datetime
) -> list[list[TargetStatus]]:
    """`evaluate` for many tickets at one instant; F(now) is computed once per calendar."""
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got naive {now.isoformat()})")
    now_ts = now.timestamp()
    if not policy.agreements:
        f_now: dict[int, float] = {}
        return [_evaluate(ticket, policy, now_ts, f_now) for ticket in tickets]
    # F(now) is cached by calendar index, which is only unique within one policy.
    per_policy: dict[int, dict[int, float]] = {}
    out: list[list[TargetStatus]] = []
    for ticket in tickets:
        terms = policy.for_organization(ticket.organization)
        out.append(_evaluate(ticket, terms, now_ts, per_policy.setdefault(id(terms), {})))
    return out


def _evaluate(
    ticket: Ticket, policy: Policy, now: float, f_now: dict[int, float]
) -> list[TargetStatus]:
    """`evaluate` on epoch seconds; `f_now` caches F(now) by calendar index."""
    targets = policy._compiled.get(ticket.priority)
    if not targets:
        return []
    created = ticket.created_at
    if created.tzinfo is None:
        raise ValueError(f"created_at must be timezone-aware (got naive {created.isoformat()})")
    a0 = created.timestamp()
    raw = _pause_spans(ticket, policy.pause_statuses) if ticket.pauses else []
    status = ticket.status
    cancelled = status is _CANCELLED
    resolution_stop, first_stop, res_ts, first_ts = _stops(ticket, created, cancelled)
    out: list[TargetStatus] = []
    # Work values are per calendar; consecutive targets usually share one, so F(a0),
    # the pauses' F values and F(now) are computed once for them.
    last_cal: Calendar | None = None
    fa = a0
    spans = raw
    fn = now
    for c in targets:
        cal = c.calendar
        always = c.always
        if cal is not last_cal:
            last_cal = cal
            if always:
                fa, spans, fn = a0, raw, now
            else:
                fa = cal._work_at(a0)
                spans = _on_calendar(raw, cal) if raw else raw
                cached = f_now.get(c.ci)
                if cached is None:
                    cached = f_now[c.ci] = cal._work_at(now)
                fn = cached
        kind = c.kind
        if kind is _FIRST:
            stop = first_ts
        elif kind is _RESOLUTION:
            stop = res_ts
        else:
            if status in ACTIVE_STATUSES:
                # _update_anchor, inlined: an active ticket's first_stop is its reply.
                anchor = a0 if first_ts is None or first_ts < a0 else first_ts
                last = ticket.last_public_update_at
                if last is not None:
                    at = epoch_seconds(last, "last_public_update_at")
                    if at > anchor:
                        anchor = at
                fu = anchor if always else cal._work_at(anchor)
                out.append(_clock(c, anchor, fu, spans, None, fn, None, now, False))
            continue
        f_end = fn if stop is None else (stop if always else cal._work_at(stop))
        out.append(
            _clock(
                c,
                a0,
                fa,
                spans,
                stop,
                f_end,
                first_stop if kind is _FIRST else resolution_stop,
                now,
                cancelled,
            )
        )
    return out


def _stops(
    ticket: Ticket, created: datetime, cancelled: bool
) -> tuple[datetime | None, datetime | None, float | None, float | None]:
    """When the resolution and first-response clocks stopped (None while they count),
    as datetimes and as epoch seconds."""
    status = ticket.status
    # A cancelled ticket stops every clock when it was cancelled (or, lacking that
    # instant, at creation).
    if cancelled:
        resolution_stop: datetime | None = ticket.closed_at or created
    elif status is _RESOLVED_STATUS or status is _CLOSED:
        resolution_stop = ticket.resolved_at or ticket.closed_at or created  # as _resolution_stop
    else:
        resolution_stop = None
    first_stop = ticket.first_response_at or resolution_stop
    res_ts = first_ts = None
    if resolution_stop is not None:
        if resolution_stop.tzinfo is None:
            raise ValueError(f"resolved_at/closed_at must be timezone-aware ({ticket.key})")
        res_ts = resolution_stop.timestamp()
    if first_stop is not None:
        if first_stop.tzinfo is None:
            raise ValueError(f"first_response_at must be timezone-aware ({ticket.key})")
        first_ts = res_ts if first_stop is resolution_stop else first_stop.timestamp()
    return resolution_stop, first_stop, res_ts, first_ts


def _update_anchor(ticket: Ticket, created: float) -> float:
    """When the customer last heard from us: the update clock restarts there."""
    anchor = created
    for dt in (ticket.last_public_update_at, ticket.first_response_at):
        if dt is not None:
            t = epoch_seconds(dt)
            if t > anchor:
                anchor = t
    return anchor


def next_due(statuses: Iterable[TargetStatus]) -> TargetStatus | None:
    """The clock to show as the ticket's countdown: the unmet one due soonest.

    Breached clocks still counting sort first (most overdue first); paused clocks
    (no due time) and stopped clocks are left out. A clock that breached before the
    ticket was paused still shows, frozen and overdue: the agent should see it, though
    `sla_columns` keeps paused tickets out of "due before" filters.
    """
    best: TargetStatus | None = None
    best_key: tuple[bool, datetime] | None = None
    for st in statuses:
        if st.due_at is None or st.stopped_at is not None or st.state is _MET:
            continue
        key = (st.state is not _BREACHED, st.due_at)
        if best_key is None or key < best_key:
            best, best_key = st, key
    return best


def sla_columns(ticket: Ticket, policy: Policy) -> tuple[datetime | None, datetime | None]:
    """(sla_due_at, sla_risk_at) for a store's indexed columns; independent of `now`.

    `sla_due_at` is the earliest due instant of the clocks still counting (overdue
    ones included), `sla_risk_at` the earliest instant any of them turns at-risk, so
    `sla_risk_at <= now` means "at risk or breached" and `sla_due_at <= now + 30 min`
    means "breaching within 30 minutes". Both are None for a paused, finished or
    cancelled ticket.

    Why no `now`: a running clock's due instant depends only on its anchor and on
    pauses that have already ended, all fixed when the ticket was last written; the
    passing of time changes whether that instant is past, never the instant itself.
    A clock that is paused has no due instant until the pause ends (a write), so the
    service recomputes these columns on every write and they stay exact in between.
    They follow the ticket's agreement, as `evaluate` does, so a list sorted by them is
    in the order of the SLA cells it shows.
    """
    if policy.agreements:
        policy = policy.for_organization(ticket.organization)
    targets = policy._compiled.get(ticket.priority)
    status = ticket.status
    if not targets or status is _CANCELLED:
        return None, None
    a0 = epoch_seconds(ticket.created_at, "created_at")
    raw = _pause_spans(ticket, policy.pause_statuses) if ticket.pauses else []
    if raw and raw[-1][1] == _INF:
        return None, None
    resolution_stop = _resolution_stop(ticket)
    first_stop = ticket.first_response_at or resolution_stop
    due: float | None = None
    risk: float | None = None
    for c in targets:
        if c.kind is _FIRST:
            if first_stop is not None:
                continue
            anchor = a0
        elif c.kind is _RESOLUTION:
            if resolution_stop is not None:
                continue
            anchor = a0
        elif status in ACTIVE_STATUSES:
            anchor = _update_anchor(ticket, a0)
        else:
            continue
        w, risk_w = c.w, c.risk
        if c.hours is not None and not c.hours._open_at(anchor):
            w, risk_w = c.w_out, c.risk_out  # type: ignore[assignment]
        cal = c.calendar
        spans = _on_calendar(raw, cal) if raw and not c.always else raw
        fa = cal._work_at(anchor)
        d, r, _, _ = _walk(anchor, fa, spans, _INF, w, risk_w, anchor, fa)
        # No open pause (checked above), so both thresholds are reached.
        assert d is not None and r is not None
        d, r = cal._instant_at(d), cal._instant_at(r)
        if due is None or d < due:
            due = d
        if risk is None or r < risk:
            risk = r
    due_at = None if due is None else utc_from_epoch(due)
    risk_at = None if risk is None else utc_from_epoch(risk)
    return due_at, risk_at
