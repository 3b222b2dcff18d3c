"""`ticket ...`: create, list, show, suggest and work tickets."""

from __future__ import annotations

import argparse
import enum
import json
import shlex
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain import sla
from ..domain.escalation import ReviewDecision
from ..domain.history import narrate
from ..domain.macros import MacroChanges
from ..domain.model import (
    MAX_BODY,
    Channel,
    Environment,
    Priority,
    Status,
    Ticket,
    TicketType,
    contact_address,
    parse_key,
)
from ..domain.text import plain_output, safe_line, safe_text
from ..domain.worktime import format_minutes, total_minutes
from ..service import HelpdeskService, TicketDraft, transfer
from ..service.archive import history_record
from ..service.checks import MAX_REASON
from ..service.tickets import without
from ..service.triage import MAX_SIMILAR
from ..service.views import SAVED_VIEWS, parse_filter, search_query
from ..store.base import SortKey
from . import links, macros
from .errors import CliError
from .parser import (
    Parser,
    add_intermixed,
    enum_arg,
    filled_arg,
    is_whole_number,
    minutes_arg,
    path_arg,
    tier_arg,
)

if TYPE_CHECKING:
    from ..ui.drafts import Drafts

MAX_OFFSET = 2**31 - 1
"""Beyond any store's row count; larger numbers overflow SQLite's OFFSET."""
KEY_HELP = "the ticket, e.g. HD-42"
JSON_HELP = "print JSON, for scripts"
REASON_HELP = f"why, kept in the history (at most {MAX_REASON} characters)"


def _either(kind: type[enum.Enum]) -> str:
    """An enum's values as a help text lists them: "a, b or c"."""
    values = [str(member.value) for member in kind]
    return f"{', '.join(values[:-1])} or {values[-1]}"


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    ticket = sub.add_parser("ticket", help="create, list, show and work tickets")
    tsub = ticket.add_subparsers(dest="action", required=True, parser_class=Parser)
    _add_reading_parsers(tsub)
    _add_work_parsers(tsub)
    links.add_parsers(tsub)


def _choice(
    parser: argparse.ArgumentParser,
    flag: str,
    kind: type[enum.Enum],
    default: enum.Enum | None,
    before: str = "",
    after: str = "",
) -> None:
    """An option that takes one of `kind`'s values, its help naming them and the default."""
    shown = "" if default is None else f" (default: {default.value})"
    helptext = f"{before}{_either(kind)}{after}{shown}"
    parser.add_argument(flag, type=enum_arg(kind), default=default, help=helptext)


def _add_create_parser(tsub: argparse._SubParsersAction[Parser]) -> None:
    create = tsub.add_parser(
        "create",
        help="open a new ticket",
        description='Open a new ticket. Prints "created KEY" (the ticket as JSON with --json).',
    )
    create.add_argument("--subject", required=True, help="what it is about, on one line")
    create.add_argument("--description", default="", help="text, or - to read stdin")
    _choice(create, "--type", TicketType, TicketType.INCIDENT)
    _choice(create, "--priority", Priority, Priority.MEDIUM, after=", or p1 to p4")
    create.add_argument(
        "--tier", type=tier_arg, default=1, help="the support tier it starts at: 1, 2 or 3"
    )
    create.add_argument("--requester", default="", help="the requester's name")
    create.add_argument("--email", default="", help="the requester's e-mail address")
    create.add_argument("--org", default=None, help="the requester's organization")
    _choice(create, "--channel", Channel, Channel.PORTAL, before="how it came in: ")
    _choice(create, "--environment", Environment, None, before="where the problem happens: ")
    create.add_argument("--category", default=None, help="the category it is filed under")
    create.add_argument(
        "--tag", type=filled_arg, action="append", default=[], help="a tag (repeatable)"
    )
    create.add_argument("--assignee", default=None, help="an agent's username (default: none)")
    create.add_argument("--json", action="store_true", help=JSON_HELP)


def _add_reading_parsers(tsub: argparse._SubParsersAction[Parser]) -> None:
    """create, list, show, suggest."""
    _add_create_parser(tsub)

    lister = tsub.add_parser("list", help="list tickets of a view or a filter")
    lister.add_argument(
        "--view",
        choices=sorted(SAVED_VIEWS),
        default="all_open",
        help="a saved view to start from (default: all_open)",
    )
    lister.add_argument("--filter", default="", help="e.g. 'priority:p1 tier:2 outage'")
    lister.add_argument("--search", default=None, help="full-text search")
    lister.add_argument(
        "--sort",
        choices=[s.value for s in SortKey],
        default=None,
        help="the order (default: the view's)",
    )
    lister.add_argument("--desc", action="store_true", help="reverse the order")
    lister.add_argument(
        "--limit", type=int, default=50, help="how many tickets, 1 to 1000 (default: 50)"
    )
    lister.add_argument("--offset", type=int, default=0, help="skip this many first (default: 0)")
    lister.add_argument("--json", action="store_true", help=JSON_HELP)

    show = tsub.add_parser("show", help="one ticket with its conversation and history")
    show.add_argument("key", help=KEY_HELP)
    show.add_argument("--json", action="store_true", help=JSON_HELP)

    triage = tsub.add_parser("suggest", help="suggested priority, type and tier; similar tickets")
    triage.add_argument("key", help=KEY_HELP)
    triage.add_argument(
        "--similar",
        type=int,
        default=5,
        metavar="N",
        help=f"how many similar past tickets to list, 1 to {MAX_SIMILAR} (default: 5)",
    )
    triage.add_argument("--json", action="store_true", help=JSON_HELP)
    answer = triage.add_mutually_exclusive_group()
    answer.add_argument(
        "--accept", action="store_true", help="set the suggested priority, type and tier"
    )
    answer.add_argument(
        "--dismiss", action="store_true", help="decline the suggestion: it is not offered again"
    )


def _add_update_parser(tsub: argparse._SubParsersAction[Parser]) -> None:
    """update: any field, and the status, in one write."""
    update = tsub.add_parser("update", help="change status, priority, type or other fields")
    update.add_argument("key", help=KEY_HELP)
    update.add_argument(
        "--status",
        type=enum_arg(Status),
        help=f"move it to {_either(Status)} (on_hold and cancelled need --reason)",
    )
    update.add_argument(
        "--priority", type=enum_arg(Priority), help=f"{_either(Priority)}, or p1 to p4"
    )
    update.add_argument("--type", type=enum_arg(TicketType), help=_either(TicketType))
    update.add_argument("--subject", help="a new subject, on one line")
    update.add_argument("--category", help="the category it is filed under")
    for flag, helptext in EDIT_FLAGS.items():
        update.add_argument(flag, metavar="TEXT", help=helptext)
    update.add_argument("--affected-users", metavar="N|none", help="how many users it affects")
    update.add_argument(
        "--environment",
        metavar="production|uat|test|none",
        help="where the problem happens (none: not said)",
    )
    update.add_argument(
        "--add-tag",
        type=filled_arg,
        action="append",
        default=[],
        metavar="TAG",
        help="add a tag (repeatable)",
    )
    update.add_argument(
        "--remove-tag",
        action="append",
        default=[],
        metavar="TAG",
        help="remove a tag the ticket has (repeatable)",
    )
    update.add_argument(
        "--add-contact",
        type=filled_arg,
        action="append",
        default=[],
        metavar="'NAME <ADDRESS>'",
        help="copy another customer on the public replies (repeatable)",
    )
    update.add_argument(
        "--remove-contact",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="stop copying a contact the ticket has (repeatable)",
    )
    update.add_argument("--reason", help=REASON_HELP)


def _add_work_parsers(tsub: argparse._SubParsersAction[Parser]) -> None:
    """update, merge, reply, note, assign, take-next, escalate, decide, csat."""
    _add_update_parser(tsub)
    merge = tsub.add_parser("merge", help="merge a duplicate into the ticket it repeats")
    merge.add_argument("key", help="the duplicate: it closes as merged")
    merge.add_argument("into", help="the ticket it repeats: the conversation moves there")

    for name, helptext in (("reply", "a public reply"), ("note", "an internal note")):
        # Intermixed: the text may follow the options (`reply HD-7 --macro NAME TEXT`).
        comment = add_intermixed(tsub, name, help=helptext)
        comment.add_argument("key", help=KEY_HELP)
        comment.add_argument(
            "body", nargs="?", default=None, help="text, or - to read stdin (or use --edit)"
        )
        comment.add_argument(
            "--edit", action="store_true", help="write it in $VISUAL/$EDITOR (BODY to start from)"
        )
        comment.add_argument(
            "--attach",
            type=path_arg,
            action="append",
            default=[],
            metavar="FILE",
            help="attach a file (repeatable)",
        )
        comment.add_argument(
            "--time", type=minutes_arg, metavar="15m|1h30m|90", help="time spent on it"
        )
        comment.add_argument(
            "--macro", metavar="NAME", help="a canned reply (BODY, if given, after it)"
        )
        if name == "reply":
            comment.add_argument(
                "--status", type=enum_arg(Status), help="move it to this status with the reply"
            )

    assign = tsub.add_parser("assign", help="assign to an agent (--me to take, --none to drop)")
    assign.add_argument("key", help=KEY_HELP)
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("assignee", nargs="?", metavar="agent", help="the agent's username")
    who.add_argument("--me", action="store_true", help="take it myself")
    who.add_argument("--none", action="store_true", help="leave it unassigned")

    tsub.add_parser("take-next", help="take the most urgent unassigned ticket of my tier")

    escalate = tsub.add_parser("escalate", help="move to another tier, or to a lead")
    escalate.add_argument("key", help=KEY_HELP)
    target = escalate.add_mutually_exclusive_group(required=True)
    target.add_argument("--tier", type=tier_arg, help="the tier to move it to: 1, 2 or 3")
    target.add_argument("--lead", action="store_true", help="ask a team lead to review")
    escalate.add_argument("--reason", required=True, help=REASON_HELP)

    decide = tsub.add_parser("decide", help="accept, reassign or decline an escalation")
    decide.add_argument("key", help=KEY_HELP)
    decide.add_argument(
        "decision",
        choices=[d.value for d in ReviewDecision],
        help="reassign needs --to; decline needs --reason or --comment",
    )
    decide.add_argument("--to", help="agent, for reassign")
    decide.add_argument(
        "--reason",
        help=f"why (a decline needs one, or a --comment); at most {MAX_REASON} characters",
    )
    decide.add_argument("--comment", help="kept as an internal note; text, or - for stdin")

    csat = tsub.add_parser("csat", help="record customer satisfaction (1-5)")
    csat.add_argument("key", help=KEY_HELP)
    csat.add_argument("score", type=int, help="1 (very unhappy) to 5 (very happy)")
    csat.add_argument(
        "--comment", help=f"what the customer said, in short (at most {MAX_REASON} characters)"
    )


def run(args: argparse.Namespace, service: HelpdeskService) -> int:
    action = args.action
    if action == "create":
        return _create(args, service)
    if action == "list":
        return _list(args, service)
    if action == "show":
        return _show(args, service)
    if action == "suggest":
        return _suggest(args, service)
    if action in links.ACTIONS:
        return links.run(args, service, _read_body)
    if action == "take-next":
        taken = service.take_next()
        print(
            f"took {safe_line(taken.key)}: {safe_line(taken.subject)}"
            if taken
            else "nothing to take"
        )
        return 0
    return _work(args, service)


def _create(args: argparse.Namespace, service: HelpdeskService) -> int:
    draft = TicketDraft(
        subject=args.subject,
        description=_read_body(args.description),
        type=args.type,
        priority=args.priority,
        tier=args.tier,
        requester_name=args.requester,
        requester_email=args.email,
        organization=args.org,
        channel=args.channel,
        environment=args.environment,
        category=args.category,
        tags=tuple(args.tag),
        assignee=args.assignee,
    )
    ticket = service.create(draft)
    if args.json:
        print(json.dumps(_ticket_json(service, ticket)))
    else:
        print(f"created {safe_line(ticket.key)}")
    return 0


EDIT_FLAGS = {
    "--requester-name": "the requester's name",
    "--requester-email": "the requester's e-mail address",
    "--organization": "the requester's organization (none: no organization)",
    "--team": "the team that works it, as `team list` names it (none: no team)",
    "--impact": "what the problem stops (none: not said)",
    "--integration": "the integration it concerns (none: not said)",
    "--language": "the customer's language, e.g. sv or pt (none: not said)",
}
"""The free-text fields `ticket update` edits; "none" empties one that may be empty."""

_CLEARABLE = {"organization", "team", "impact", "integration", "language"}


def _edited_fields(args: argparse.Namespace, ticket: Ticket) -> dict[str, object]:
    """What `ticket update`'s flags change, read from text; the service checks values."""
    fields: dict[str, object] = {
        name: getattr(args, name)
        for name in ("priority", "type", "subject", "category")
        if getattr(args, name) is not None
    }
    for flag in EDIT_FLAGS:
        name = flag[2:].replace("-", "_")
        value = getattr(args, name)
        if value is not None:
            empty = name in _CLEARABLE and value.strip().lower() in ("", "none")
            fields[name] = None if empty else value
    if args.affected_users is not None:
        text = args.affected_users.strip().lower()
        if text != "none" and not is_whole_number(text):
            raise CliError(f"--affected-users: a whole number or none, not {text[:40]!r}")
        fields["affected_users"] = None if text == "none" else int(text)
    if args.environment is not None:
        text = args.environment.strip().lower()
        fields["environment"] = None if text == "none" else _environment(text)
    if args.add_contact or args.remove_contact:
        on_it = f"a contact of {ticket.key}"
        kept = without(ticket.contacts, args.remove_contact, on_it, contact_address)
        fields["contacts"] = (*kept, *args.add_contact)
    if args.add_tag or args.remove_tag:
        kept = without(ticket.tags, args.remove_tag, f"a tag of {ticket.key}")
        fields["tags"] = tuple(dict.fromkeys([*kept, *(t.strip() for t in args.add_tag)]))
    return fields


def _environment(text: str) -> Environment:
    try:
        return Environment(text)
    except ValueError:
        raise CliError(f"--environment: production, uat, test or none, not {text[:40]!r}") from None


def _work(args: argparse.Namespace, service: HelpdeskService) -> int:
    """The actions on one ticket, each based on the version just read."""
    action = args.action
    ticket = service.get(_key(args.key))
    key, version = ticket.key, ticket.version
    shown = safe_line(key)  # a key from the store, shown like any other field
    if action == "update":
        fields = _edited_fields(args, ticket)
        if not fields and args.status is None:
            raise CliError("nothing to update: give --status, --priority, --organization, ...")
        ticket = service.edit(key, version, fields, status=args.status, reason=args.reason)
        print(f"updated {shown} (v{ticket.version})")
    elif action == "merge":
        target = service.get(_key(args.into))
        kept = service.merge(key, version, target.key, target.version)
        print(f"merged {shown} into {safe_line(kept.key)} (v{kept.version})")
    elif action == "reply":
        body, changes = _reply_body(args, service, ticket)
        service.reply(
            key,
            version,
            body,
            status=args.status,
            attachments=args.attach,
            minutes=args.time,
            changes=changes,
        )
        _posted(args, key)
        print(f"replied on {shown}")
    elif action == "note":
        body, changes = _reply_body(args, service, ticket)
        service.note(
            key, version, body, attachments=args.attach, minutes=args.time, changes=changes
        )
        _posted(args, key)
        print(f"noted on {shown}")
    elif action == "assign":
        who = service.me.username if args.me else None if args.none else args.assignee
        service.assign(key, version, who)
        print(f"{shown} assigned to {safe_line(who or 'nobody')}")
    elif action == "escalate":
        if args.lead:
            service.request_review(key, version, args.reason)
            print(f"{shown} sent to a lead for review")
        else:
            ticket = service.escalate(key, version, args.tier, args.reason)
            print(f"{shown} {_escalated(ticket, service.me.username)}")
    elif action == "decide":
        comment = None if args.comment is None else _read_body(args.comment)
        ticket = service.decide(
            key, version, ReviewDecision(args.decision), args.reason, args.to, comment
        )
        noted = " with a note" if comment and comment.strip() else ""
        print(f"{shown}: {args.decision} recorded{noted} (v{ticket.version})")
    elif action == "csat":
        service.record_csat(key, version, args.score, args.comment)
        print(f"{shown}: satisfaction {args.score}/5 recorded")
    return 0


def _list(args: argparse.Namespace, service: HelpdeskService) -> int:
    if not 1 <= args.limit <= 1000:
        raise CliError("--limit must be between 1 and 1000")
    if not 0 <= args.offset <= MAX_OFFSET:
        raise CliError(f"--offset must be between 0 and {MAX_OFFSET}")
    now = service.clock()
    query = SAVED_VIEWS[args.view].build(service.me.username, now)
    if args.filter:
        query = parse_filter(args.filter, service.me.username, now, base=query)
    from dataclasses import replace

    if args.search:
        query = search_query(args.search, query)
    if args.sort:
        query = replace(query, sort=SortKey(args.sort), descending=args.desc)
    page = service.query(query.page(args.offset, args.limit))
    if args.json:
        print(
            json.dumps(
                {
                    "total": page.total,
                    "offset": page.offset,
                    "tickets": [_ticket_json(service, t, now) for t in page.tickets],
                }
            )
        )
        return 0
    print(f"{page.total} tickets ({SAVED_VIEWS[args.view].title})")
    for ticket in page.tickets:
        clock = sla.ticket_cell(ticket.status, service.sla(ticket, now), now).text
        print(
            f"{safe_line(ticket.key):<10} {ticket.priority.short} {ticket.status.value:<9} "
            f"T{ticket.tier} {safe_line(ticket.assignee or '-'):<10} {clock:>11}  "
            f"{safe_line(ticket.subject)[:60]}"
        )
    return 0


def _ticket_json(
    service: HelpdeskService, ticket: Ticket, now: datetime | None = None
) -> dict[str, Any]:
    now = now or service.clock()
    statuses = service.sla(ticket, now)
    record = transfer.to_record(ticket)
    record["version"] = ticket.version
    # What `ticket list` and the screens show; its clock's time left (null: none counts).
    headline = sla.list_clock(statuses)
    record["time_left"] = sla.ticket_cell(ticket.status, statuses, now).text
    record["time_left_seconds"] = _seconds(sla.time_left(headline, now) if headline else None)
    record["sla_agreement"] = sla.agreement_name(service.policy, ticket.organization)
    record["sla"] = [
        {
            "target": s.kind.value,
            "state": s.state.value,
            "due_at": s.due_at.isoformat() if s.due_at else None,
            "time_left": sla.clock_cell(s, now).text,
            "time_left_seconds": _seconds(sla.time_left(s, now)),
            "remaining_seconds": s.remaining.total_seconds(),
            "working_seconds_used": s.elapsed.total_seconds(),
            "target_seconds": s.target.total_seconds(),
            "at_risk": s.at_risk,
            "paused": s.in_pause,
        }
        for s in statuses
    ]
    return record


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


def _suggest(args: argparse.Namespace, service: HelpdeskService) -> int:
    found = service.triage(_key(args.key), args.similar)
    suggestion = found.suggestion
    if args.accept or args.dismiss:
        if not found.offered:
            raise CliError(f"no suggestion is offered for {found.key}: {found.why_not}")
        if args.accept:
            service.accept_suggestion(found.key, found.version, suggestion)
        else:
            service.dismiss_suggestion(found.key, found.version)
    if args.json:
        offered = suggestion.fields()
        record = {
            "key": found.key,
            "version": found.version,
            "offered": found.offered and suggestion.offered,
            "why_not": found.why_not if suggestion.offered else "no suggestion",
            "priority": suggestion.priority.value if "priority" in offered else None,
            "type": suggestion.type.value if "type" in offered else None,
            "tier": suggestion.tier if "tier" in offered else None,
            "confidence": suggestion.confidence,
            "reason": suggestion.reason,
            "sources": dict(zip(("priority", "type", "tier"), suggestion.sources, strict=True)),
            "learning": suggestion.learning or None,
            "accepted": bool(args.accept),
            "dismissed": bool(args.dismiss),
            "similar": [
                {
                    "key": s.ticket.key,
                    "score": round(s.score, 3),
                    "status": s.ticket.status.value,
                    "subject": s.ticket.subject,
                    "shared": list(s.shared),
                }
                for s in found.similar
            ],
        }
        print(json.dumps(record))
        return 0
    if suggestion.offered:
        print(f"{safe_line(found.key)}: {suggestion.label} ({suggestion.confidence:.0%})")
    else:
        print(f"{safe_line(found.key)}: no suggestion")
    print(f"  why: {safe_line(suggestion.reason)}")
    print(f"  sources: {', '.join(suggestion.sources)}")
    if suggestion.learning:
        print(f"  {safe_line(suggestion.learning)}")
    if args.accept or args.dismiss:
        print(f"  {'accepted' if args.accept else 'dismissed'}")
    elif not found.offered:
        print(f"  not offered: {safe_line(found.why_not or '')}")
    for s in found.similar:
        print(
            f"  {safe_line(s.ticket.key):<10} {s.score:4.0%} {s.ticket.status.value:<9} "
            f"{safe_line(s.ticket.subject)[:60]}"
        )
    return 0


def _show(args: argparse.Namespace, service: HelpdeskService) -> int:
    ticket = service.get(_key(args.key))
    comments = service.conversation_of(ticket)
    history = service.history_of(ticket)
    if args.json:
        record = _ticket_json(service, ticket)
        record["conversation"] = [
            {
                "kind": c.kind.value,
                "author": c.author,
                "from_customer": c.from_customer,
                "at": c.created_at.isoformat(),
                "body": c.body,
                "attachments": [a.filename for a in c.attachments],
                "merged_from": c.merged_from,
                "minutes": c.minutes,
            }
            for c in comments
        ]
        record["time_spent_minutes"] = total_minutes(c.minutes for c in comments)
        record["links"] = [
            {"relation": item.relation, "key": item.other.key, "kind": item.link.kind.value}
            for item in service.links(ticket)
        ]
        record["history"] = [history_record(h) for h in history]
        print(json.dumps(record))
        return 0
    print(f"{safe_line(ticket.key)}  {safe_line(ticket.subject)}")
    print(
        f"  {ticket.priority.short} {ticket.priority.label} · {ticket.type.label} · "
        f"{ticket.status.label} · tier {ticket.tier} · {safe_line(ticket.assignee or 'unassigned')}"
    )
    print(
        f"  requester: {safe_line(ticket.requester)}  org: {safe_line(ticket.organization or '-')}"
    )
    if ticket.contacts:
        print(f"  contacts: {safe_line(', '.join(ticket.contacts))}")
    linked = [f"{item.relation} {safe_line(item.other.key)}" for item in service.links(ticket)]
    if linked:
        print(f"  links: {' · '.join(linked)}")
    if ticket.csat_score is not None:
        said = f" “{safe_line(ticket.csat_comment)}”" if ticket.csat_comment else ""
        print(f"  satisfaction: {ticket.csat_score}/5{said}")
    spent = total_minutes(c.minutes for c in comments)
    if spent:
        print(f"  time spent: {format_minutes(spent)}")
    now = service.clock()
    agreement = sla.agreement_name(service.policy, ticket.organization)
    print(f"  SLA agreement: {safe_line(agreement)}")
    for status in service.sla(ticket, now):
        print(f"  SLA {status.kind.label}: {_clock_line(status, now)}")
    print()
    print(safe_text(ticket.description))
    for c in comments:
        label = "NOTE" if not c.is_public else ("CUSTOMER" if c.from_customer else "REPLY")
        author = safe_line(sla.actor_label(c.author))
        came = f" · merged from {safe_line(c.merged_from)}" if c.merged_from else ""
        came += f" · {format_minutes(c.minutes)} spent" if c.minutes else ""
        print(f"\n--- {label} · {author} · {c.created_at.isoformat(timespec='minutes')}{came}")
        print(safe_text(c.body))
    print("\nHistory:")
    customers = {str(c.id): c.author for c in comments if c.from_customer}
    for item in narrate(history, from_customer=customers):
        print(f"  {item.at.isoformat(timespec='minutes')} {item.text}")
    return 0


def _escalated(ticket: Ticket, me: str) -> str:
    """What an escalation did, as the agent who asked for it needs to hear it."""
    if ticket.assignee is not None:
        return f"moved to tier {ticket.tier}, still with {safe_line(ticket.assignee)}"
    watching = "; you are watching it" if me in ticket.watchers else ""
    return f"moved to tier {ticket.tier}, waiting for someone there to accept it{watching}"


def _clock_line(status: sla.TargetStatus, now: datetime) -> str:
    """The clock as the screens show it, then its state, due instant and working time:
    "Mon 09:31 (running, due 2026-12-07 09:31 UTC; 2h45m working time left of 8h)"."""
    due = f"due {status.due_at:%Y-%m-%d %H:%M} UTC" if status.due_at else "no due time"
    target = sla.format_span(status.target)
    if status.is_unmet and status.state is not sla.ClockState.BREACHED:
        work = f"{sla.format_span(status.remaining)} working time left of {target}"
    elif status.is_unmet:
        work = f"{sla.format_span(-status.remaining)} working time over {target}"
    else:
        work = f"{sla.format_span(status.elapsed)} working time used of {target}"
    cell = sla.clock_cell(status, now).text
    broken = status.state is sla.ClockState.BREACHED
    if sla.time_left(status, now) is None:  # met, missed, paused: the word says so
        state = "breached, " if status.in_pause and broken else ""
    else:
        state = f"{status.state.value}{', at risk' if status.at_risk else ''}, "
    return f"{cell} ({state}{due}; {work})"


def _key(text: str) -> str:
    try:
        prefix, number = parse_key(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return f"{prefix}-{number}"


def _reply_body(
    args: argparse.Namespace, service: HelpdeskService, ticket: Ticket
) -> tuple[str, MacroChanges | None]:
    """A reply's or note's text, and with --macro the macro's body before it and its
    changes."""
    if args.macro is None:
        return _body(args, ticket.key), None
    extra = None if args.body is None and not args.edit else _body(args, ticket.key)
    return macros.reply_parts(service, args.settings, ticket, args.macro, extra)


def _body(args: argparse.Namespace, key: str) -> str:
    """The reply's or note's text: given, piped, or written in the agent's editor on the
    app's own draft file (so a draft the app kept is where the editor starts, and an
    editor that is killed leaves it there)."""
    if not args.edit:
        if args.body is None:
            raise CliError(f"ticket {args.action}: give the text, - for stdin, or --edit")
        return _read_body(args.body)
    from ..ui.drafts import Drafts
    from ..ui.editor import NoEditor, edit

    drafts = Drafts(args.drafts)
    kept = _draft(drafts, key, args.action)
    start = kept if args.body is None else _read_body(args.body)
    try:
        path = drafts.for_editor(key, args.action, start)
    except OSError as exc:
        where = drafts.path(key, args.action)
        raise CliError(f"cannot write the draft {where}: {exc.strerror or exc}") from None
    try:
        status = edit(path)
    except NoEditor as exc:
        raise CliError(str(exc)) from None
    if status != 0:
        raise CliError(f"the editor exited with status {status}; the draft is kept in {path}")
    text = _draft(drafts, key, args.action)
    if not text.strip():
        drafts.discard(key, args.action)
    return text


def _draft(drafts: Drafts, key: str, kind: str) -> str:
    """The draft kept for `key`, "" when none. One that is not UTF-8 (written by another
    tool, or an editor set to another encoding) is refused with where it is and how to
    set it aside: read as it is, every later --edit would fail on it the same way."""
    try:
        return drafts.load(key, kind) or ""
    except UnicodeDecodeError as exc:
        path = drafts.path(key, kind)
        aside = shlex.quote(str(path.with_name(path.name + ".bad")))
        raise CliError(
            f"the draft {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start}); convert it to UTF-8, or set it aside: "
            f"mv {shlex.quote(str(path))} {aside}"
        ) from None


def _posted(args: argparse.Namespace, key: str) -> None:
    """The reply or note written with --edit is sent: its draft goes, or the next --edit
    would start from it and send it again."""
    if not args.edit:
        return
    from ..ui.drafts import Drafts

    drafts = Drafts(args.drafts)
    try:
        drafts.discard(key, args.action)
    except OSError as exc:
        # Sent all the same: the exit status says so; the warning keeps it from going twice.
        print(
            f"helpdesk-tui: warning: cannot remove the draft {drafts.path(key, args.action)} "
            f"({exc.strerror or exc}); remove it before the next --edit, which starts from it",
            file=sys.stderr,
        )


def _read_body(text: str) -> str:
    """The text given, or with `-` standard input: a command's output piped in is kept
    as plain text (plain_output), and more than a message may hold is refused before
    anything is written."""
    if text != "-":
        return text
    too_long = CliError(
        f"stdin: more than {MAX_BODY:,} characters; attach it as a file instead (--attach)"
    )
    limit = MAX_BODY * 4  # bytes: UTF-8 needs at most four for a character
    if hasattr(sys.stdin, "buffer"):
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            raise too_long
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CliError(f"stdin: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    else:
        data = sys.stdin.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise too_long
    return plain_output(data)
