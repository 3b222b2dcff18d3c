"""`mail send`, `mail fetch` and `mail login`; the delivery report `sla sweep` prints too."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from ..domain.text import safe_line
from ..service import HelpdeskService
from ..settings.config import Settings
from .errors import CliError
from .parser import Parser

if TYPE_CHECKING:
    from ..mail.outgoing import DeliveryReport


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    mail = sub.add_parser("mail", help="send queued mail, fetch incoming mail")
    msub = mail.add_subparsers(dest="action", required=True, parser_class=Parser)
    send = msub.add_parser("send", help="send the queued mail that is due (safe from cron)")
    send.add_argument("--json", action="store_true", help="print what was sent as JSON")
    fetch = msub.add_parser("fetch", help="take in new mail from the Maildir or IMAP folder")
    fetch.add_argument("--json", action="store_true", help="print what was taken in as JSON")
    mlogin = msub.add_parser("login", help="keep the SMTP or IMAP password in the keyring")
    mlogin.add_argument("server", choices=["smtp", "imap"], help="whose password")
    mlogin.add_argument("--stdin", action="store_true", help="read the password from stdin")


def run(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    from .. import mail

    if args.action == "send":
        report = send_mail(service, settings)
        if args.json:
            print(json.dumps(delivery_json(report)))
        else:
            print_delivery(report)
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


def send_mail(service: HelpdeskService, settings: Settings) -> DeliveryReport:
    from .. import mail
    from ..mail.templates import TemplateError

    try:
        return mail.send_queued(service, settings.mail)
    except (mail.MailError, TemplateError) as exc:
        raise CliError(str(exc)) from None


def delivery_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "sent": [list(m) for m in report.sent],
        "retrying": [list(m) for m in report.retrying],
        "given_up": [list(m) for m in report.given_up],
        "stopped": report.stopped,
    }


def print_delivery(report: DeliveryReport) -> None:
    print(
        f"mail: {len(report.sent)} sent, {len(report.retrying)} to retry, "
        f"{len(report.given_up)} given up"
    )
    for key, kind, why in [*report.retrying, *report.given_up]:
        print(f"  failed    {safe_line(key)}  {kind}: {safe_line(why)}")
    if report.stopped:
        print(f"  stopped: {safe_line(report.stopped)}")


def login(args: argparse.Namespace, settings: Settings) -> int:
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
