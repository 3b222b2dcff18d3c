"""`helpdesk-tui report`: the metrics of a period as text (with charts), CSV or JSON.

JSON is the whole report, nested; durations in seconds, shares from 0 to 1, null where
there is nothing to measure. CSV is the same figures in long form, one per row
(section, group, metric, value), so a spreadsheet can pivot it. Text is for people
(80 columns); every name in it comes from the store or the config and is made safe
to print.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import IO, Any, TypeVar

from ..domain import sla
from ..domain.model import TIER_NAMES, TIERS, Priority
from ..domain.text import safe_line
from ..domain.worktime import format_minutes
from . import charts
from .metrics import (
    AGE_BUCKETS,
    AgentFigures,
    AgreementFigures,
    Breach,
    Compliance,
    Durations,
    Metrics,
    SlaFigures,
    format_duration,
)

FORMATS = ("text", "csv", "json")
_ASCII_PUNCTUATION = str.maketrans({"·": "|", "→": "->", "—": "-", "…": "..."})
BAR = 20
"""Width of the text report's bars."""


def write(metrics: Metrics, out: IO[str], fmt: str, glyphs: charts.Glyphs = charts.UNICODE) -> None:
    """Write the report; with ASCII glyphs the text's own punctuation is ASCII too."""
    if fmt == "json":
        json.dump(to_json(metrics), out, indent=2)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("section", "group", "metric", "value"))
        writer.writerows(csv_rows(metrics))
    else:
        lines = text_lines(metrics, glyphs)
        if glyphs is charts.ASCII:
            lines = (line.translate(_ASCII_PUNCTUATION) for line in lines)
        out.writelines(line + "\n" for line in lines)


# -------------------------------------------------------------------------- JSON


def _compliance(c: Compliance) -> dict[str, Any]:
    return {"met": c.met, "breached": c.breached, "running": c.running, "compliance": c.share}


def _sla(figures: SlaFigures) -> dict[str, Any]:
    return {
        "first_response": _compliance(figures.first_response),
        "resolution": _compliance(figures.resolution),
        "overall": _compliance(figures.overall),
    }


def _times(d: Durations) -> dict[str, Any]:
    return {"count": len(d), "median_seconds": d.median, "p90_seconds": d.p90}


def _agent(a: AgentFigures) -> dict[str, Any]:
    return {
        "agent": a.agent,
        "tickets": a.tickets,
        "resolved": a.resolved,
        **_sla(a.sla),
        "first_response_time": _times(a.first_response_times),
        "resolution_time": _times(a.resolution_times),
        "csat_answers": sum(a.csat.values()),
        "csat_average": a.csat_average,
    }


def _agreement(a: AgreementFigures) -> dict[str, Any]:
    return {
        "agreement": a.agreement,
        "tickets": a.tickets,
        "breaches": a.sla.overall.breached,
        **_sla(a.sla),
    }


def to_json(m: Metrics) -> dict[str, Any]:
    """The whole report as JSON-ready data. The first field of each list item names it."""
    overall = m.sla
    return {
        "period": {
            "name": m.period.describe(),
            "since": m.period.since.isoformat(),
            "until": m.period.until.isoformat(),
            "computed_at": m.computed_at.isoformat(),
        },
        "tickets": {"created": m.created, "cancelled": m.cancelled, "resolved": m.resolved},
        "sla": {
            **_sla(overall),
            "by_priority": [{"priority": p.value, **_sla(m.by_priority[p])} for p in Priority],
            "by_tier": [{"tier": tier, **_sla(m.by_tier[tier])} for tier in TIERS],
            "by_agreement": [_agreement(a) for a in m.agreements_by_name()],
        },
        "times": {
            "first_response": _times(m.first_response_times),
            "resolution": _times(m.resolution_times),
        },
        "breaches": {
            "total": overall.overall.breached,
            "first_response": overall.first_response.breached,
            "resolution": overall.resolution.breached,
            "worst": [
                {
                    "breach": f"{b.key}:{b.kind.value}",
                    "key": b.key,
                    "target": b.kind.value,
                    "priority": b.priority.value,
                    "tier": b.tier,
                    "assignee": b.assignee,
                    "due_at": b.due_at.isoformat() if b.due_at else None,
                    "overdue_seconds": b.overdue,
                    "still_running": b.running,
                    # As every SLA cell shows it (null once met late): "-1d21h", "paused".
                    "time_left": _time_left(b, m.computed_at),
                    "time_left_seconds": _time_left_seconds(b, m.computed_at),
                }
                for b in m.worst
            ],
        },
        "csat": {
            "answers": m.csat_answers,
            "average": m.csat_average,
            "satisfied": m.csat_satisfied,
            "scores": {str(score): m.csat.get(score, 0) for score in range(1, 6)},
        },
        "agents": [_agent(a) for a in m.agents_by_load()],
        "time_spent": {
            "total_minutes": m.time_spent.total,
            "by_agent": [
                {"agent": name, "minutes": n} for name, n in most_first(m.time_spent.by_agent)
            ],
            "by_organization": [
                {"organization": org, "minutes": n}
                for org, n in most_first(m.time_spent.by_organization)
            ],
            "by_type": [
                {"type": kind.value, "minutes": n} for kind, n in most_first(m.time_spent.by_type)
            ],
        },
        "backlog": {
            "total": m.backlog_total,
            "by_age": m.backlog_by_age(),
            "by_tier": [{"tier": tier, **m.backlog.get(tier, {})} for tier in TIERS],
        },
        "trend": [
            {
                "week": w.since.isoformat(),
                "until": w.until.isoformat(),
                "created": w.created,
                "breached": w.sla.overall.breached,
                "compliance": w.sla.overall.share,
                "csat_answers": sum(w.csat.values()),
            }
            for w in m.weeks
        ],
    }


# --------------------------------------------------------------------------- CSV


def csv_rows(m: Metrics) -> Iterator[tuple[str, str, str, str]]:
    """The JSON report flattened: nested keys join with "." into the metric; a list
    item's first field becomes its group (e.g. "priority=critical")."""
    for section, value in to_json(m).items():
        yield from _flatten(section, "", "", value)


def _flatten(
    section: str, group: str, metric: str, value: object
) -> Iterator[tuple[str, str, str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(section, group, f"{metric}.{key}" if metric else key, item)
    elif isinstance(value, list):
        for item in value:
            name, ident = next(iter(item.items()))
            label = f"{name}={'' if ident is None else ident}"
            rest = {k: v for k, v in item.items() if k != name}
            yield from _flatten(section, f"{group}/{label}" if group else label, metric, rest)
    else:
        yield section, group, metric, "" if value is None else str(value)


# -------------------------------------------------------------------------- text


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count and its noun: "1 ticket", "2,000 tickets", "1 breach", "5 breaches"."""
    return f"{n:,} {one}" if n == 1 else f"{n:,} {many or one + 's'}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _rate(c: Compliance, glyphs: charts.Glyphs, width: int) -> str:
    if c.share is None:
        return f"{'':<{width}} {'—':>6} {c.running:>3} running" if c.running else "—"
    return f"{charts.bar(c.share, width, glyphs)} {_share(c.share):>6} {c.met:>3}/{c.decided:<3}"


def text_lines(m: Metrics, glyphs: charts.Glyphs = charts.UNICODE) -> Iterator[str]:
    """The report for people, at most 80 columns wide."""
    now = m.computed_at
    overall = m.sla
    yield f"Support report · {m.period.title()}"
    yield f"As of {now:%Y-%m-%d %H:%M} UTC · times are UTC · tickets created in the period"
    yield ""
    cancelled = f" ({m.cancelled:,} cancelled)" if m.cancelled else ""
    csat = (
        f"CSAT {m.csat_average:.2f}/5 ({_share(m.csat_satisfied)} satisfied, "
        f"{counted(m.csat_answers, 'answer')})"
        if m.csat_average is not None
        else "CSAT: no answers"
    )
    yield (
        f"{counted(m.created, 'ticket')} created{cancelled}, {m.resolved:,} resolved · "
        f"backlog now {m.backlog_total:,}"
    )
    yield (
        f"SLA met {_share(overall.overall.share)} · "
        f"{counted(overall.overall.breached, 'breach', 'breaches')} · {csat}"
    )
    width = 12
    for title, groups in (
        (
            "SLA compliance by priority",
            [(f"{p.short} {p.label}", m.by_priority[p]) for p in Priority],
        ),
        ("SLA compliance by tier", [(TIER_NAMES[t], m.by_tier[t]) for t in TIERS]),
    ):
        yield ""
        yield title
        yield f"  {'':<14}{'first response':<{width + 17}}resolution"
        for label, figures in groups:
            yield (
                f"  {label:<14}{_rate(figures.first_response, glyphs, width):<{width + 17}}"
                f"{_rate(figures.resolution, glyphs, width)}".rstrip()
            )
    yield ""
    yield "Times from creation     median       p90   tickets"
    for label, durations in (
        ("first response", m.first_response_times),
        ("resolution", m.resolution_times),
    ):
        yield (
            f"  {label:<20}{format_duration(durations.median):>8}"
            f"{format_duration(durations.p90):>10}{len(durations):>10,}"
        )
    yield from _agreement_lines(m)
    yield from _backlog_lines(m, glyphs)
    yield from _trend_lines(m, glyphs)
    yield from _breach_lines(m)
    yield from _agent_lines(m)
    yield from _time_lines(m)
    yield from _csat_lines(m, glyphs)


def _agreement_lines(m: Metrics) -> Iterator[str]:
    """Only where agreements are configured: otherwise every ticket is standard."""
    if len(m.by_agreement) < 2:
        return
    yield ""
    yield "SLA by agreement     tickets   SLA met   breaches   1st resp  resolution"
    for a in m.agreements_by_name():
        yield (
            f"  {safe_line(a.agreement)[:18]:<18}{a.tickets:>9,}{_share(a.sla.overall.share):>10}"
            f"{a.sla.overall.breached:>11,}{_share(a.sla.first_response.share):>11}"
            f"{_share(a.sla.resolution.share):>12}"
        )


def _backlog_lines(m: Metrics, glyphs: charts.Glyphs) -> Iterator[str]:
    yield ""
    yield f"Backlog now: {counted(m.backlog_total, 'open ticket')} by age"
    by_age = m.backlog_by_age()
    biggest = max(by_age.values(), default=0) or 1
    for label, count in by_age.items():
        yield f"  {label:<11}{charts.bar(count / biggest, BAR, glyphs, track=False)} {count:,}"
    heads = "".join(f"{b.label:>10}" for b in AGE_BUCKETS)
    yield f"  {'':<8}{heads}{'total':>7}"
    for tier in TIERS:
        ages = m.backlog.get(tier, {})
        cells = "".join(f"{ages.get(b.label, 0):>10,}" for b in AGE_BUCKETS)
        yield f"  {TIER_NAMES[tier]:<8}{cells}{sum(ages.values()):>7,}"


def _trend_lines(m: Metrics, glyphs: charts.Glyphs) -> Iterator[str]:
    weeks = m.weeks
    if not weeks:
        return
    yield ""
    last_day = weeks[-1].until - timedelta(microseconds=1)
    yield (
        f"Weekly trend: {len(weeks)} weeks, {weeks[0].since:%Y-%m-%d} → "
        f"{last_day:%Y-%m-%d} (oldest first)"
    )
    created = [w.created for w in weeks]
    shares = [w.sla.overall.share for w in weeks]
    breaches = [w.sla.overall.breached for w in weeks]
    for label, spark, caption in (
        (
            "created",
            charts.sparkline(created, glyphs),
            f"last {created[-1]:,}, max {max(created):,}",
        ),
        (
            "SLA met",
            charts.sparkline(shares, glyphs, low=0.0, high=1.0),
            f"last {_share(shares[-1])}",
        ),
        (
            "breaches",
            charts.sparkline(breaches, glyphs),
            f"last {breaches[-1]:,}, max {max(breaches):,}",
        ),
    ):
        line = f"  {label:<10}{spark}  {caption}"
        # A year of weeks leaves no room beside the line: the caption goes under it.
        yield line if len(line) <= 80 else f"  {label:<10}{spark}\n  {'':<10}{caption}"


def _breach_lines(m: Metrics) -> Iterator[str]:
    overall = m.sla
    yield ""
    yield (
        f"Breaches: {overall.overall.breached:,} (first response "
        f"{overall.first_response.breached:,}, resolution {overall.resolution.breached:,})"
    )
    if m.worst:
        yield "  most overdue:"
    for b in m.worst:
        if b.running:
            shown = f"{_time_left(b, m.computed_at)}, still open"
        else:
            shown = f"{format_duration(b.overdue)} over, met late"
        yield (
            f"  {safe_line(b.key):<10} {b.priority.short} T{b.tier} "
            f"{safe_line(b.assignee or '-')[:12]:<12} {b.kind.label:<15} {shown:>18}"
        )


def _time_left(b: Breach, now: datetime) -> str | None:
    """A breach still open as every SLA cell shows it; None once it was met late."""
    return sla.clock_cell(b.clock, now).text if b.running else None


def _time_left_seconds(b: Breach, now: datetime) -> float | None:
    left = sla.time_left(b.clock, now) if b.running and b.clock else None
    return None if left is None else left.total_seconds()


def _agent_lines(m: Metrics) -> Iterator[str]:
    yield ""
    yield "Per agent        tickets resolved  1st resp  resolution  median res.  CSAT"
    for a in m.agents_by_load():
        name = "(unassigned)" if a.agent is None else safe_line(a.agent)
        csat = (
            f"{a.csat_average:.1f} ({sum(a.csat.values())})" if a.csat_average is not None else "—"
        )
        yield (
            f"  {name[:14]:<14}{a.tickets:>8,}{a.resolved:>9,}"
            f"{_share(a.sla.first_response.share):>10}{_share(a.sla.resolution.share):>12}"
            f"{format_duration(a.resolution_times.median):>13}  {csat}"
        )


_K = TypeVar("_K")

TIME_ROWS = 10
"""Rows of each time-spent table in the text; CSV and JSON have them all."""


def most_first(minutes: Mapping[_K, int]) -> list[tuple[_K, int]]:
    """The groups with the most minutes first; ties by name (nobody's last)."""
    return sorted(minutes.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0] or "")))


def _time_lines(m: Metrics) -> Iterator[str]:
    spent = m.time_spent
    yield ""
    if not spent.total:
        yield "Time spent: none recorded on replies and notes written in the period"
        return
    yield f"Time spent: {format_minutes(spent.total)} on replies and notes written in the period"
    for title, rows in (
        ("per agent", [(safe_line(str(a)), n) for a, n in most_first(spent.by_agent)]),
        (
            "per organization",
            [(safe_line(o or "(none)"), n) for o, n in most_first(spent.by_organization)],
        ),
        ("per type", [(t.label, n) for t, n in most_first(spent.by_type)]),
    ):
        yield f"  {title}"
        for name, minutes in rows[:TIME_ROWS]:
            yield f"    {name[:28]:<28}{format_minutes(minutes):>10}{minutes / spent.total:>8.0%}"
        if len(rows) > TIME_ROWS:
            yield f"    … and {len(rows) - TIME_ROWS:,} more (all of them: --format csv)"


def _csat_lines(m: Metrics, glyphs: charts.Glyphs) -> Iterator[str]:
    yield ""
    if not m.csat_answers:
        yield "CSAT: no answers in this period"
        return
    yield (
        f"CSAT: {m.csat_average or 0:.2f}/5 average, {_share(m.csat_satisfied)} satisfied "
        f"(4-5), {counted(m.csat_answers, 'answer')}"
    )
    biggest = max(m.csat.values())
    for score in (5, 4, 3, 2, 1):
        n = m.csat.get(score, 0)
        yield f"  {score}/5  {charts.bar(n / biggest, BAR, glyphs, track=False)} {n:,}"
