"""`helpdesk-tui` and its subcommands: the app, and everything cron and scripts need.

Every refusal (bad input, unknown key, a rule, a conflict, an unreachable store) is
one line on stderr and exit status 2, with nothing written.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..domain import sla
from ..domain.access import AccessDenied
from ..domain.escalation import EscalationError, ReviewDecision
from ..domain.lifecycle import TransitionError
from ..domain.model import (
    Agent,
    Channel,
    Environment,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
    parse_key,
)
from ..domain.periods import Period, Span, parse_instant
from ..domain.sla import PolicyError
from ..domain.text import safe_line, safe_text
from ..launch import bootstrap
from ..reporting import report
from ..service import transfer
from ..service.helpdesk import HelpdeskService, ServiceError, TicketDraft
from ..service.views import SAVED_VIEWS, FilterError, parse_filter
from ..settings import i18n
from ..settings.config import ConfigError, Settings, load_settings
from ..store.base import Query, SortKey, StoreError

if TYPE_CHECKING:
    from ..mail.outgoing import DeliveryReport

EXIT_REFUSED = 2
MAX_OFFSET = 2**31 - 1
"""Beyond any store's row count; larger numbers overflow SQLite's OFFSET."""


class CliError(Exception):
    """A refusal to report as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage dump: scripts log it, people read it.
        self.exit(EXIT_REFUSED, f"{self.prog}: {_one_line(message)} (see --help)\n")


def _enum_arg(kind: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            return kind.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind.__name__.lower()
    return parse


def _tier(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"tier must be 1, 2 or 3, not {text!r}")
    return int(text)


def _span(text: str) -> Span:
    """`90d`, `12w`, `24m` (calendar months), `2y`."""
    try:
        return Span.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="helpdesk-tui", description="A keyboard-first terminal helpdesk.")
    parser.add_argument("--config", type=Path, help="config file (TOML)")
    parser.add_argument("--as", dest="agent", help="act as this agent (default: from config)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    login = sub.add_parser("login", help="keep the remote backend's token in the system keyring")
    login.add_argument(
        "--token-file",
        action="store_true",
        help="no keyring on this host: keep the token in a file only you can read (0600)",
    )
    login.add_argument("--stdin", action="store_true", help="read the token from stdin")
    login.add_argument("--no-check", action="store_true", help="store without trying it")
    login.add_argument("--forget", action="store_true", help="remove the stored token")

    serve = sub.add_parser("serve", help="serve the app to a web browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on a non-loopback address (there is no login: put a proxy in front)",
    )

    demo = sub.add_parser("demo", help="fill the store with realistic demo tickets")
    demo.add_argument("--tickets", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)

    ticket = sub.add_parser("ticket", help="create, list, show and work tickets")
    tsub = ticket.add_subparsers(dest="action", required=True, parser_class=_Parser)

    create = tsub.add_parser("create", help="open a new ticket")
    create.add_argument("--subject", required=True)
    create.add_argument("--description", default="", help="text, or - to read stdin")
    create.add_argument("--type", type=_enum_arg(TicketType), default=TicketType.INCIDENT)
    create.add_argument("--priority", type=_enum_arg(Priority), default=Priority.MEDIUM)
    create.add_argument("--tier", type=_tier, default=1)
    create.add_argument("--requester", default="", help="name")
    create.add_argument("--email", default="", help="requester e-mail")
    create.add_argument("--org", default=None)
    create.add_argument("--channel", type=_enum_arg(Channel), default=Channel.PORTAL)
    create.add_argument("--environment", type=_enum_arg(Environment), default=None)
    create.add_argument("--category", default=None)
    create.add_argument("--tag", action="append", default=[])
    create.add_argument("--assignee", default=None)
    create.add_argument("--json", action="store_true")

    lister = tsub.add_parser("list", help="list tickets of a view or a filter")
    lister.add_argument("--view", choices=sorted(SAVED_VIEWS), default="all_open")
    lister.add_argument("--filter", default="", help="e.g. 'priority:p1 tier:2 outage'")
    lister.add_argument("--search", default=None, help="full-text search")
    lister.add_argument("--sort", choices=[s.value for s in SortKey], default=None)
    lister.add_argument("--desc", action="store_true")
    lister.add_argument("--limit", type=int, default=50)
    lister.add_argument("--offset", type=int, default=0)
    lister.add_argument("--json", action="store_true")

    show = tsub.add_parser("show", help="one ticket with its conversation and history")
    show.add_argument("key")
    show.add_argument("--json", action="store_true")

    triage = tsub.add_parser("suggest", help="suggested priority, type and tier; similar tickets")
    triage.add_argument("key")
    triage.add_argument("--similar", type=int, default=5, help="how many similar tickets")
    triage.add_argument("--json", action="store_true")
    answer = triage.add_mutually_exclusive_group()
    answer.add_argument("--accept", action="store_true", help="write the suggestion")
    answer.add_argument("--dismiss", action="store_true", help="do not offer it again")

    update = tsub.add_parser("update", help="change status, priority, type or other fields")
    update.add_argument("key")
    update.add_argument("--status", type=_enum_arg(Status))
    update.add_argument("--priority", type=_enum_arg(Priority))
    update.add_argument("--type", type=_enum_arg(TicketType))
    update.add_argument("--subject")
    update.add_argument("--category")
    update.add_argument("--reason")

    for name, helptext in (("reply", "a public reply"), ("note", "an internal note")):
        comment = tsub.add_parser(name, help=helptext)
        comment.add_argument("key")
        comment.add_argument("body", help="text, or - to read stdin")
        comment.add_argument("--attach", type=Path, action="append", default=[])
        if name == "reply":
            comment.add_argument("--status", type=_enum_arg(Status))

    assign = tsub.add_parser("assign", help="assign to an agent (--me to take, --none to drop)")
    assign.add_argument("key")
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("assignee", nargs="?", metavar="agent")
    who.add_argument("--me", action="store_true")
    who.add_argument("--none", action="store_true")

    tsub.add_parser("take-next", help="take the most urgent unassigned ticket of my tier")

    escalate = tsub.add_parser("escalate", help="move to another tier, or to a lead")
    escalate.add_argument("key")
    target = escalate.add_mutually_exclusive_group(required=True)
    target.add_argument("--tier", type=_tier)
    target.add_argument("--lead", action="store_true", help="ask a team lead to review")
    escalate.add_argument("--reason", required=True)

    decide = tsub.add_parser("decide", help="accept, reassign or decline an escalation")
    decide.add_argument("key")
    decide.add_argument("decision", choices=[d.value for d in ReviewDecision])
    decide.add_argument("--to", help="agent, for reassign")
    decide.add_argument("--reason")

    csat = tsub.add_parser("csat", help="record customer satisfaction (1-5)")
    csat.add_argument("key")
    csat.add_argument("score", type=int)
    csat.add_argument("--comment")

    imp = sub.add_parser("import", help="import tickets from CSV, JSON or JSON Lines")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=transfer.FORMATS)

    exp = sub.add_parser("export", help="export tickets to CSV, JSON or JSON Lines")
    exp.add_argument("file", type=Path, help="a path, or - for stdout")
    exp.add_argument("--format", choices=transfer.FORMATS)
    exp.add_argument("--filter", default="")

    sla_cmd = sub.add_parser("sla", help="SLA operations")
    ssub = sla_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sweep = ssub.add_parser("sweep", help="evaluate every open ticket and apply breach rules")
    sweep.add_argument("--json", action="store_true")

    purge = sub.add_parser("purge", help="remove closed tickets past the retention period")
    purge.add_argument(
        "--older-than", type=_span, help="e.g. 24m, 90d (default: [retention] months, 24)"
    )
    purge.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")

    mail = sub.add_parser("mail", help="send queued mail, fetch incoming mail")
    msub = mail.add_subparsers(dest="action", required=True, parser_class=_Parser)
    send = msub.add_parser("send", help="send the queued mail that is due (safe from cron)")
    send.add_argument("--json", action="store_true")
    fetch = msub.add_parser("fetch", help="take in new mail from the Maildir or IMAP folder")
    fetch.add_argument("--json", action="store_true")
    mlogin = msub.add_parser("login", help="keep the SMTP or IMAP password in the keyring")
    mlogin.add_argument("server", choices=["smtp", "imap"])
    mlogin.add_argument("--stdin", action="store_true", help="read the password from stdin")

    rep = sub.add_parser("report", help="support metrics of a period: SLA, times, backlog, CSAT")
    when = rep.add_mutually_exclusive_group()
    when.add_argument("--since", type=_instant, help="from this day (UTC), e.g. 2026-01-01")
    when.add_argument("--last", type=_span, help="the last 7d, 4w, 3m up to now (default: 30d)")
    when.add_argument(
        "--week", nargs="?", const="", metavar="YYYY-Www", help="an ISO week (alone: the last one)"
    )
    when.add_argument(
        "--month", nargs="?", const="", metavar="YYYY-MM", help="a month (alone: the last one)"
    )
    rep.add_argument("--until", type=_instant, help="with --since: up to this day (default: now)")
    rep.add_argument("--format", choices=report.FORMATS, default="text")

    agent = sub.add_parser("agent", help="manage agents (admins)")
    asub = agent.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for name in ("add", "update"):
        a = asub.add_parser(name)
        a.add_argument("username")
        a.add_argument("--name")
        a.add_argument("--email")
        a.add_argument("--tier", type=_tier)
        a.add_argument("--role", type=_enum_arg(Role))
        a.add_argument("--team")
        a.add_argument("--org", action="append", help="an organization served (repeat)")
        if name == "update":
            a.add_argument("--deactivate", action="store_true")
    alist = asub.add_parser("list")
    alist.add_argument("--json", action="store_true")

    team = sub.add_parser("team", help="manage teams (admins)")
    tsub2 = team.add_subparsers(dest="action", required=True, parser_class=_Parser)
    tadd = tsub2.add_parser("add")
    tadd.add_argument("name")
    tadd.add_argument("--description", default="")
    tsub2.add_parser("list")
    return parser


EXIT_CLOSED_PIPE = 128 + 13
"""What a shell reports for a tool ended by SIGPIPE (`yes | head -1`): a reader that
stopped reading is not an error worth a message."""
EXIT_BUG = 70
"""EX_SOFTWARE: something failed that no input should cause."""
MAX_MESSAGE = 400
"""A refusal quotes what it refuses; a 100,000-character input stays one readable line."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        # Output still buffered meets a closed pipe here, inside this handler, instead of
        # at the interpreter's exit (which prints "Exception ignored" and exits 120).
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Last resort: whatever input reached here, the user gets one line, not a
        # traceback (HELPDESK_DEBUG=1 shows it, for the bug report).
        if os.environ.get("HELPDESK_DEBUG"):
            raise
        name = type(exc).__name__
        print(
            f"helpdesk-tui: internal error ({name}): {_one_line(str(exc))} "
            "(a bug; HELPDESK_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return EXIT_BUG


def _stdout_to_devnull() -> None:
    # The interpreter flushes stdout once more at exit; pointed at /dev/null, that
    # flush succeeds instead of printing "Exception ignored ... BrokenPipeError".
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file descriptor (captured by a test): nothing will flush it


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        # Before any ui module is imported: their bindings are translated at class creation.
        i18n.install(settings.language)
        if args.agent:
            from dataclasses import replace

            settings = replace(settings, agent=args.agent)
        if args.command is None:
            return _run_app(settings)
        if args.command == "login":
            return _login(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
        if args.command == "mail" and args.action == "login":
            return _mail_login(args, settings)
        service = bootstrap.build_service(settings)
        try:
            return _dispatch(args, service, settings)
        finally:
            service.repo.close()
    except (
        CliError,
        ConfigError,
        PolicyError,
        ServiceError,
        StoreError,
        AccessDenied,
        TransitionError,
        EscalationError,
        FilterError,
        transfer.ImportFormatError,
    ) as exc:
        print(f"helpdesk-tui: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED


def _one_line(text: str) -> str:
    line = safe_line(" ".join(text.split()))
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def _login(args: argparse.Namespace, settings: Settings) -> int:
    from ..settings import secrets

    if not settings.backend_url:
        raise CliError(
            'login is for a remote store: set [backend] url (PostgreSQL, or kind = "rt") first'
        )
    url = settings.backend_url
    database = settings.backend_kind == "sql"
    try:
        if args.forget:
            places = secrets.forget_token(url, data_dir=settings.data_dir)
            print(f"forgot the token for {url}" + (f" ({', '.join(places)})" if places else ""))
            return 0
        if not args.token_file:
            usable, backend = secrets.keyring_usable()
            if not usable:
                # Say so before asking for the token: nothing is kept in plaintext silently.
                raise CliError(secrets.no_keyring_message(backend))
        what = "Password" if database else "Token"
        if args.stdin:
            token = sys.stdin.readline().strip()
        else:
            import getpass

            token = getpass.getpass(f"{what} for {url} (not shown): ").strip()
        if not args.no_check and not database:
            bootstrap.check_token(settings, token).close()
        where = secrets.store_token(url, token, data_dir=settings.data_dir, to_file=args.token_file)
    except secrets.SecretError as exc:
        raise CliError(str(exc)) from None
    if args.token_file:
        print(
            "helpdesk-tui: warning: the token is now in a plain file; anyone who can read it "
            "(root, backups) can act as you in RT. Prefer a keyring where there is one.",
            file=sys.stderr,
        )
    print(f"token for {url} kept in {where}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from ..ui.serve import ServeError, serve

    # Open the store once here: a wrong agent or an unreachable store is one line now,
    # not an error page in every browser tab; and the first run's demo data is made once.
    service = bootstrap.build_service(settings)
    try:
        bootstrap.fill_first_run(service, settings)
    finally:
        service.repo.close()
    try:
        return serve(args.host, args.port, args.config, args.agent, args.allow_remote)
    except ServeError as exc:
        raise CliError(str(exc)) from None


def _run_app(settings: Settings) -> int:
    from ..launch import startup

    views = bootstrap.views(settings)
    # Fork the store's helper first, then import the UI: they load side by side.
    pending = startup.begin(settings, views)
    from ..ui.app import run_app

    return run_app(settings, views, pending)


def _key(text: str) -> str:
    try:
        prefix, number = parse_key(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return f"{prefix}-{number}"


def _read_body(text: str) -> str:
    if text != "-":
        return text
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"stdin: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


def _dispatch(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    command = args.command
    if command == "demo":
        return _demo(args, service)
    if command == "ticket":
        return _ticket(args, service)
    if command == "import":
        fmt = transfer.guess_format(args.file, args.format)
        count = transfer.import_file(service, args.file, fmt)
        print(f"imported {count} tickets from {safe_line(str(args.file))}")
        return 0
    if command == "export":
        return _export(args, service)
    if command == "sla":
        return _sweep(args, service, settings)
    if command == "mail":
        return _mail(args, service, settings)
    if command == "purge":
        age = args.older_than or Span(months=settings.retention_months)
        try:
            cutoff = age.before(service.clock())
        except ValueError as exc:
            raise CliError(str(exc)) from None
        keys = service.purge(age, dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(
            f"{verb} {len(keys)} closed tickets (closed before {cutoff:%Y-%m-%d %H:%M} UTC, {age})"
        )
        for key in keys:
            print(f"  {safe_line(key)}")
        return 0
    if command == "report":
        return _report(args, service)
    if command == "agent":
        return _agent(args, service)
    if command == "team":
        if args.action == "add":
            service.save_team(Team(args.name, args.description))
            print(f"team {args.name} saved")
        else:
            for team in service.repo.teams():
                print(f"{safe_line(team.name):<20} {safe_line(team.description)}")
        return 0
    raise CliError(f"unknown command {command}")


def _sweep(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    result = service.sweep()
    # The reminders and notices the sweep queued go out in the same cron run.
    sent = _send_mail(service, settings) if settings.mail.sends else None
    if args.json:
        record: dict[str, Any] = {
            "evaluated": result.evaluated,
            "breached": result.breached,
            "at_risk": result.at_risk,
            "escalated": result.escalated,
            "reminded": result.reminded,
            "closed": result.closed,
        }
        if sent is not None:
            record["mail"] = _delivery_json(sent)
        print(json.dumps(record))
        return 0
    print(
        f"evaluated {result.evaluated} open tickets: {len(result.breached)} new breaches, "
        f"{len(result.at_risk)} newly at risk, {len(result.escalated)} escalated, "
        f"{len(result.reminded)} reminded, {len(result.closed)} closed"
    )
    for key, kind in result.breached:
        print(f"  breached  {safe_line(key)}  {kind.replace('_', ' ')}")
    for key in result.closed:
        print(f"  closed    {safe_line(key)}")
    if sent is not None:
        _print_delivery(sent)
    return 0


def _mail(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    from .. import mail

    if args.action == "send":
        report = _send_mail(service, settings)
        if args.json:
            print(json.dumps(_delivery_json(report)))
        else:
            _print_delivery(report)
        return 1 if report.stopped else 0
    try:
        fetched = mail.fetch(service, settings)
    except mail.MailError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(
            json.dumps(
                {
                    "taken": [
                        {"action": o.action, "key": o.key, "detail": o.detail}
                        for o in fetched.taken
                    ],
                    "quarantined": [
                        {"file": str(path), "reason": why} for path, why in fetched.quarantined
                    ],
                }
            )
        )
        return 0
    print(f"took in {len(fetched.taken)} messages, kept {len(fetched.quarantined)} aside")
    for outcome in fetched.taken:
        detail = f" ({safe_line(outcome.detail)})" if outcome.detail else ""
        print(f"  {outcome.action:<10} {safe_line(outcome.key)}{detail}")
    for path, why in fetched.quarantined:
        print(f"  aside      {path}: {safe_line(why)}")
    return 0


def _send_mail(service: HelpdeskService, settings: Settings) -> DeliveryReport:
    from .. import mail
    from ..mail.templates import TemplateError

    try:
        return mail.send_queued(service, settings.mail)
    except (mail.MailError, TemplateError) as exc:
        raise CliError(str(exc)) from None


def _delivery_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "sent": [list(m) for m in report.sent],
        "retrying": [list(m) for m in report.retrying],
        "given_up": [list(m) for m in report.given_up],
        "stopped": report.stopped,
    }


def _print_delivery(report: DeliveryReport) -> None:
    print(
        f"mail: {len(report.sent)} sent, {len(report.retrying)} to retry, "
        f"{len(report.given_up)} given up"
    )
    for key, kind, why in [*report.retrying, *report.given_up]:
        print(f"  failed    {safe_line(key)}  {kind}: {safe_line(why)}")
    if report.stopped:
        print(f"  stopped: {safe_line(report.stopped)}")


def _mail_login(args: argparse.Namespace, settings: Settings) -> int:
    from .. import mail
    from ..settings import secrets

    host = settings.mail.smtp_host if args.server == "smtp" else settings.mail.imap_host
    user = settings.mail.smtp_user if args.server == "smtp" else settings.mail.imap_user
    if not (host and user):
        raise CliError(f"set [mail] {args.server}_host and {args.server}_user first")
    account = mail.account(settings.mail, args.server)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass(f"Password for {account} (not shown): ")
    try:
        where = secrets.store_mail_password(account, password)
    except secrets.SecretError as exc:
        raise CliError(str(exc)) from None
    print(f"password for {account} kept in {where}")
    return 0


def _report(args: argparse.Namespace, service: HelpdeskService) -> int:
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


def _demo(args: argparse.Namespace, service: HelpdeskService) -> int:
    from ..service import demo

    if args.tickets < 1 or args.tickets > 100_000:
        raise CliError("--tickets must be between 1 and 100000")
    if service.repo.count(Query(limit=1)) > 0:
        raise CliError("the store already has tickets; demo data goes into an empty store")
    made = demo.generate(
        service.repo, service.policy, service.clock(), service.me.username, args.tickets, args.seed
    )
    print(f"created {made} demo tickets")
    return 0


def _ticket(args: argparse.Namespace, service: HelpdeskService) -> int:
    action = args.action
    if action == "create":
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
    if action == "list":
        return _list(args, service)
    if action == "show":
        return _show(args, service)
    if action == "suggest":
        return _suggest(args, service)
    if action == "take-next":
        taken = service.take_next()
        print(
            f"took {safe_line(taken.key)}: {safe_line(taken.subject)}"
            if taken
            else "nothing to take"
        )
        return 0
    ticket = service.get(_key(args.key))
    key, version = ticket.key, ticket.version
    shown = safe_line(key)  # a key from the store, shown like any other field
    if action == "update":
        fields = {
            name: getattr(args, name)
            for name in ("priority", "type", "subject", "category")
            if getattr(args, name) is not None
        }
        if not fields and args.status is None:
            raise CliError("nothing to update: give --status, --priority, --type, ...")
        if fields:
            ticket = service.update(key, version, reason=args.reason, **fields)
        if args.status is not None:
            ticket = service.set_status(key, ticket.version, args.status, args.reason)
        print(f"updated {shown} (v{ticket.version})")
    elif action == "reply":
        service.reply(
            key, version, _read_body(args.body), status=args.status, attachments=args.attach
        )
        print(f"replied on {shown}")
    elif action == "note":
        service.note(key, version, _read_body(args.body), attachments=args.attach)
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
            print(f"{shown} moved to tier {ticket.tier}")
    elif action == "decide":
        service.decide(key, version, ReviewDecision(args.decision), args.reason, args.to)
        print(f"{shown}: {args.decision} recorded")
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
        query = replace(query, text=args.search)
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
        due = sla.next_due(service.sla(ticket, now))
        clock = sla.format_remaining(due.remaining) if due else "-"
        print(
            f"{safe_line(ticket.key):<10} {ticket.priority.short} {ticket.status.value:<9} "
            f"T{ticket.tier} {safe_line(ticket.assignee or '-'):<10} {clock:>8}  "
            f"{safe_line(ticket.subject)[:60]}"
        )
    return 0


def _ticket_json(
    service: HelpdeskService, ticket: Ticket, now: datetime | None = None
) -> dict[str, Any]:
    record = transfer.to_record(ticket)
    record["version"] = ticket.version
    record["sla"] = [
        {
            "target": s.kind.value,
            "state": s.state.value,
            "due_at": s.due_at.isoformat() if s.due_at else None,
            "remaining_seconds": s.remaining.total_seconds(),
            "at_risk": s.at_risk,
        }
        for s in service.sla(ticket, now)
    ]
    return record


def _suggest(args: argparse.Namespace, service: HelpdeskService) -> int:
    found = service.triage(_key(args.key), max(0, args.similar))
    suggestion = found.suggestion
    if args.accept or args.dismiss:
        if not found.offered:
            raise CliError(f"no suggestion is offered for {found.key}: {found.why_not}")
        if args.accept:
            service.accept_suggestion(found.key, found.version, suggestion)
        else:
            service.dismiss_suggestion(found.key, found.version)
    if args.json:
        record = {
            "key": found.key,
            "version": found.version,
            "offered": found.offered,
            "why_not": found.why_not,
            "priority": suggestion.priority.value,
            "type": suggestion.type.value,
            "tier": suggestion.tier,
            "confidence": suggestion.confidence,
            "reason": suggestion.reason,
            "sources": dict(zip(("priority", "type", "tier"), suggestion.sources, strict=True)),
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
    print(
        f"{safe_line(found.key)}: {suggestion.priority.short} {suggestion.priority.label} · "
        f"{suggestion.type.label} · tier {suggestion.tier} ({suggestion.confidence:.0%})"
    )
    print(f"  why: {safe_line(suggestion.reason)}")
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
    comments = service.repo.comments(ticket.key)
    history = service.repo.history(ticket.key)
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
            }
            for c in comments
        ]
        record["history"] = [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "field": h.field,
                "old": h.old,
                "new": h.new,
                "reason": h.reason,
            }
            for h in history
        ]
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
    if ticket.csat_score is not None:
        said = f" “{safe_line(ticket.csat_comment)}”" if ticket.csat_comment else ""
        print(f"  satisfaction: {ticket.csat_score}/5{said}")
    for status in service.sla(ticket):
        due = status.due_at.isoformat(timespec="minutes") if status.due_at else "paused"
        print(
            f"  SLA {status.kind.label}: {status.state.value} (due {due}, "
            f"{sla.format_remaining(status.remaining)})"
        )
    print()
    print(safe_text(ticket.description))
    for c in comments:
        label = "NOTE" if not c.is_public else ("CUSTOMER" if c.from_customer else "REPLY")
        print(
            f"\n--- {label} · {safe_line(c.author)} · {c.created_at.isoformat(timespec='minutes')}"
        )
        print(safe_text(c.body))
    print("\nHistory:")
    for h in history:
        reason = f" ({safe_line(h.reason)})" if h.reason else ""
        print(
            f"  {h.at.isoformat(timespec='minutes')} {safe_line(h.actor)}: {h.field} "
            f"{safe_line(h.old or '')} → {safe_line(h.new or '')}{reason}"
        )
    return 0


def _export(args: argparse.Namespace, service: HelpdeskService) -> int:
    fmt = args.format or ("jsonl" if str(args.file) == "-" else None)
    fmt = transfer.guess_format(args.file, fmt)
    query = None
    if args.filter:
        query = parse_filter(
            args.filter, service.me.username, service.clock(), base=Query(sort=SortKey.KEY)
        )
    if str(args.file) == "-":
        count = transfer.export(service, sys.stdout, fmt, query)
        sys.stdout.flush()  # a closed pipe is found here, inside main's handler
    else:
        count = _export_to_file(service, args.file, fmt, query)
    print(f"exported {count} tickets", file=sys.stderr)
    return 0


def _export_to_file(service: HelpdeskService, path: Path, fmt: str, query: Query | None) -> int:
    """Write beside `path`, then rename over it: an export that fails (disk full, a
    refusal) leaves the file that was there, never half of a new one."""
    if path.is_dir():
        raise CliError(f"cannot write {path}: it is a folder")
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with temp.open("x", encoding="utf-8", newline="") as out:
            count = transfer.export(service, out, fmt, query)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return count


def _agent(args: argparse.Namespace, service: HelpdeskService) -> int:
    if args.action == "list":
        agents = service.agents()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "username": a.username,
                            "name": a.name,
                            "email": a.email,
                            "tier": a.tier,
                            "role": a.role.value,
                            "team": a.team,
                            "organizations": list(a.organizations),
                            "active": a.active,
                        }
                        for a in agents
                    ]
                )
            )
        else:
            for a in agents:
                state = "" if a.active else " (inactive)"
                print(f"{a.username:<12} T{a.tier} {a.role.value:<6} {safe_line(a.name)}{state}")
        return 0
    existing = {a.username: a for a in service.agents()}
    if args.action == "add":
        if args.username in existing:
            raise CliError(f"agent {args.username} exists; use `agent update`")
        base = Agent(args.username, args.name or args.username)
    else:
        if args.username not in existing:
            raise CliError(f"no agent called {args.username!r}")
        base = existing[args.username]
    from dataclasses import replace

    agent = replace(
        base,
        name=args.name or base.name,
        email=args.email if args.email is not None else base.email,
        tier=args.tier or base.tier,
        role=args.role or base.role,
        team=args.team if args.team is not None else base.team,
        organizations=tuple(args.org) if args.org else base.organizations,
        active=not getattr(args, "deactivate", False) and base.active,
    )
    service.save_agent(agent)
    print(f"agent {agent.username} saved")
    return 0


def entry() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry()
