"""`ticket link`, `ticket unlink`, `ticket links` and `ticket outage`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..domain.links import CHOICES, RELATIONS
from ..domain.model import Status, Ticket
from ..domain.text import safe_line
from ..service import HelpdeskService
from .errors import CliError
from .parser import Parser, enum_arg, key_arg

ACTIONS = ("link", "unlink", "links", "outage")


def add_parsers(tsub: argparse._SubParsersAction[Parser]) -> None:
    link = tsub.add_parser("link", help="link two tickets, e.g. HD-7 parent-of HD-12")
    link.add_argument("key", type=key_arg, help="the ticket, e.g. HD-7")
    link.add_argument("relation", metavar="relation", help=" | ".join(CHOICES))
    link.add_argument("other", type=key_arg, help="the ticket it is linked to")

    unlink = tsub.add_parser("unlink", help="remove the link between two tickets")
    unlink.add_argument("key", type=key_arg, help="the ticket, e.g. HD-7")
    unlink.add_argument("other", type=key_arg, help="the ticket it is linked to")

    links = tsub.add_parser("links", help="a ticket's links, with each ticket's status")
    links.add_argument("key", type=key_arg, help="the ticket, e.g. HD-7")

    outage = tsub.add_parser(
        "outage", help="one reply or status to every open incident of a problem"
    )
    outage.add_argument("key", type=key_arg, help="the problem")
    outage.add_argument("body", nargs="?", default="", help="the reply: text, or - for stdin")
    outage.add_argument(
        "--status", type=enum_arg(Status), help="move every open incident to this status"
    )
    outage.add_argument(
        "--confirm",
        type=int,
        metavar="N",
        help="how many incidents you expect it to reach (without it: only list them)",
    )


def run(args: argparse.Namespace, service: HelpdeskService, read_body: Callable[[str], str]) -> int:
    """One of ACTIONS; `read_body` reads `-` as stdin, as `ticket reply` does."""
    key = args.key
    if args.action == "link":
        if args.relation.strip().lower().replace("_", "-") not in RELATIONS:
            raise CliError(
                f"not a relation: {safe_line(args.relation)[:40]!r} "
                f"(expected one of {', '.join(CHOICES)})"
            )
        link = service.link(key, args.relation, args.other)
        print(f"linked: {link.source} {link.relation(link.source)} {link.target}")
    elif args.action == "unlink":
        link = service.unlink(key, args.other)
        print(f"unlinked: {link.source} was {link.relation(link.source)} {link.target}")
    elif args.action == "links":
        ticket = service.get(key)
        shown = service.links(ticket)
        if not shown:
            print(f"{ticket.key} has no links")
        for item in shown:
            print(f"{item.relation:<15} {_row(item.other)}")
    else:
        return _outage(args, service, key, read_body(args.body))
    return 0


def _outage(args: argparse.Namespace, service: HelpdeskService, key: str, body: str) -> int:
    incidents = service.incidents(service.get(key))
    if not incidents:
        raise CliError(f"{key} has no open incidents: link them with `ticket link`")
    if args.confirm is None:
        for ticket in incidents:
            print(
                f"{safe_line(ticket.key):<10} {ticket.status.label:<12} {safe_line(ticket.subject)}"
            )
        print(f"{len(incidents)} open incidents: run again with --confirm {len(incidents)} to send")
        return 0
    if not body.strip() and args.status is None:
        raise CliError("give the reply (text, or - for stdin), --status, or both")
    result = service.outage_update(key, body, args.status, args.confirm)
    print(f"sent to {len(result.done)} incidents of {key}")
    for failed, why in result.failed:
        print(f"not sent to {safe_line(failed)}: {safe_line(why)}")
    return 2 if result.failed else 0


def _row(ticket: Ticket) -> str:
    return f"{safe_line(ticket.key):<10} {ticket.status.label:<12} {safe_line(ticket.subject)}"
