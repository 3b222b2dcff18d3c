"""`report`: support metrics of a period, as text, CSV or JSON."""

from __future__ import annotations

import argparse
import io
import sys

from ..domain.periods import Period
from ..reporting import report
from ..service import HelpdeskService
from .errors import CliError
from .parser import Parser, instant_arg, span_arg


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    rep = sub.add_parser("report", help="support metrics of a period: SLA, times, backlog, CSAT")
    when = rep.add_mutually_exclusive_group()
    when.add_argument("--since", type=instant_arg, help="from this day (UTC), e.g. 2026-01-01")
    when.add_argument("--last", type=span_arg, help="the last 7d, 4w, 3m up to now (default: 30d)")
    when.add_argument(
        "--week", nargs="?", const="", metavar="YYYY-Www", help="an ISO week (alone: the last one)"
    )
    when.add_argument(
        "--month", nargs="?", const="", metavar="YYYY-MM", help="a month (alone: the last one)"
    )
    rep.add_argument(
        "--until", type=instant_arg, help="with --since: up to this day (default: now)"
    )
    rep.add_argument(
        "--format",
        choices=report.FORMATS,
        default="text",
        help="text to read (default), csv for a spreadsheet, json for scripts",
    )


def run(args: argparse.Namespace, service: HelpdeskService) -> int:
    from ..reporting import charts, metrics

    now = service.clock()
    if args.until is not None and args.since is None:
        raise CliError("--until goes with --since")
    try:
        if args.since is not None:
            period = Period.between(args.since, args.until or now)
        elif args.last is not None:
            period = Period.last(now, args.last)
        elif args.week is not None:
            period = Period.week(now, args.week or None)
        elif args.month is not None:
            period = Period.month(now, args.month or None)
        else:
            period = Period.rolling(now, 30)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    figures = metrics.compute(service, period)
    glyphs = charts.glyphs_for(sys.stdout.encoding)
    if glyphs is charts.ASCII and isinstance(sys.stdout, io.TextIOWrapper):
        # An ASCII terminal: a name from the store in another script prints as "?".
        sys.stdout.reconfigure(errors="replace")
    report.write(figures, sys.stdout, args.format, glyphs)
    return 0
