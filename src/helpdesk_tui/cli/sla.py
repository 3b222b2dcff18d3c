"""`sla sweep` (from cron: breaches, escalations, reminders, the mail they queue) and
`purge` (closed tickets past the retention period)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..domain.periods import Span
from ..domain.text import safe_line
from ..service import HelpdeskService
from ..service.sweep import Outcome, SweepResult
from ..settings.config import Settings
from .errors import CliError
from .mail import delivery_json, print_delivery, send_mail
from .parser import Parser, span_arg


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    sla_cmd = sub.add_parser("sla", help="SLA checks, for cron: breaches and escalations")
    ssub = sla_cmd.add_subparsers(dest="action", required=True, parser_class=Parser)
    sweep = ssub.add_parser("sweep", help="evaluate every open ticket and apply breach rules")
    sweep.add_argument(
        "--json", action="store_true", help="print what the sweep did as JSON, for scripts"
    )

    purge = sub.add_parser("purge", help="remove closed tickets past the retention period")
    purge.add_argument(
        "--older-than", type=span_arg, help="e.g. 24m, 90d (default: [retention] months, 24)"
    )
    purge.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")


def sweep(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    result = service.sweep()
    # The reminders and notices the sweep queued go out in the same cron run.
    sent = send_mail(service, settings) if settings.mail.sends else None
    if args.json:
        record: dict[str, Any] = {
            "evaluated": result.evaluated,
            "breached": result.breached,
            "at_risk": result.at_risk,
            "escalated": result.escalated,
            "reminded": result.reminded,
            "closed": result.closed,
            "actions": [
                {
                    "key": a.key,
                    "clock": a.clock,
                    "event": a.event,
                    "outcome": a.outcome.value,
                    "detail": a.detail,
                }
                for a in result.actions
            ],
        }
        if sent is not None:
            record["mail"] = delivery_json(sent)
        print(json.dumps(record))
        return 0
    print(
        f"evaluated {result.evaluated} open tickets: {len(result.breached)} new breaches, "
        f"{len(result.at_risk)} newly at risk, {len(result.escalated)} escalated, "
        f"{result.count(Outcome.KEPT)} kept with their assignee, "
        f"{len(result.reminded)} reminded, {len(result.closed)} closed"
    )
    for key, did in _per_ticket(result).items():
        print(f"  {safe_line(key)}  {safe_line('; '.join(did))}")
    if sent is not None:
        print_delivery(sent)
    return 0


def _per_ticket(result: SweepResult) -> dict[str, list[str]]:
    """What the sweep did to each ticket, in the order it met them: one line each."""
    lines: dict[str, list[str]] = {}
    for action in result.actions:
        lines.setdefault(action.key, []).append(str(action))
    for key in result.reminded:
        lines.setdefault(key, []).append("reminded the requester")
    for key in result.closed:
        lines.setdefault(key, []).append("closed: the requester did not answer in time")
    return lines


def purge(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    age = args.older_than or Span(months=settings.retention_months)
    try:
        cutoff = age.before(service.clock())
    except ValueError as exc:
        raise CliError(str(exc)) from None
    keys = service.purge(age, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(keys)} closed tickets (closed before {cutoff:%Y-%m-%d %H:%M} UTC, {age})")
    for key in keys:
        print(f"  {safe_line(key)}")
    return 0
