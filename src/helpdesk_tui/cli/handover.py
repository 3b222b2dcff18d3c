"""`handover`: what I touched this shift, what waits on me, what breaches next."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from ..reporting import handover as rendering
from ..service import HelpdeskService
from ..service.handover import DEFAULT_NEXT, DEFAULT_SINCE, parse_span
from .parser import Parser


def span_arg(text: str) -> timedelta:
    """8h, 30m, 2d, 1h30m: from a minute to 30 days."""
    try:
        return parse_span(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    hand = sub.add_parser(
        "handover",
        help="shift handover: what I touched, what waits on me, what breaches next",
    )
    hand.add_argument(
        "--since",
        type=span_arg,
        default=DEFAULT_SINCE,
        metavar="8h",
        help="what I touched in this last span (default 8h; 30m, 2d, 1h30m)",
    )
    hand.add_argument(
        "--next",
        dest="ahead",
        type=span_arg,
        default=DEFAULT_NEXT,
        metavar="4h",
        help="what breaches within this span from now (default 4h)",
    )
    hand.add_argument(
        "--format",
        choices=rendering.FORMATS,
        default="text",
        help="text, Markdown or JSON (default: text)",
    )


def run(args: argparse.Namespace, service: HelpdeskService) -> int:
    found = service.handover(args.since, args.ahead)
    sys.stdout.write(rendering.render(found, args.format))
    return 0
