"""Outgoing mail: compose each queued message from its template, send it over SMTP, and
record the outcome on its ticket.

The service only queues (`MailRecord`s in the ticket's own write); `deliver` does the
rest, from `helpdesk-tui mail send` or the end of `sla sweep`. Several deliveries may
run at once: each message is held by one of them before it is sent (`claim_mail`), so
none is sent twice. A failed attempt is recorded and retried later (`RETRY_AFTER`); a
message the server refuses for good (5xx) is given up at once, with the reason.

The one gap SMTP leaves: a message the server accepted just before the sender died,
before it could record "sent", goes out again once the hold (`HOLD`) runs out. It
carries the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from ..domain.followup import MailKind
from ..domain.model import Ticket, contact_address
from ..domain.text import safe_line
from ..service.delivery import Outbox
from ..settings.config import MailSettings
from ..store.base import MailDirection, MailEntry, NotFound
from .inbound import thread_id
from .templates import Templates

RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
"""The wait after each failed attempt. A message the server keeps refusing (4xx) is
given up after the last one, about 16 hours later; one that waits because the server
is down or refuses the login is never given up, and is tried every 8 hours at most."""
HOLD = timedelta(minutes=10)
"""How long a sender holds a message it is sending before another may try it."""

AUTO_SUBMITTED = {
    MailKind.ACKNOWLEDGEMENT: "auto-replied",
    MailKind.REMINDER: "auto-generated",
    MailKind.CLOSED: "auto-generated",
    MailKind.CSAT_REQUEST: "auto-generated",
}
"""RFC 3834: what a machine sent says so, and well-behaved systems do not answer it —
the other half of never looping with another helpdesk or an out-of-office reply."""

OUR_ID = re.compile(
    r"^<?(?P<key>[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,11})\.(?P<kind>[a-z_]+)\.[0-9]+\.[0-9]+@"
)
"""Our Message-IDs: <HD-12.csat_request.40.1772620200000000@example.com>."""
_KINDS = frozenset(kind.value for kind in MailKind)


class MailError(Exception):
    """Mail cannot be sent at all (no server configured, a store without mail)."""


class SendError(Exception):
    """One attempt failed. `permanent`: this message will never go (the server refused
    it for good). `fatal`: the server is unusable (unreachable, login refused): stop."""

    def __init__(self, message: str, *, permanent: bool = False, fatal: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.fatal = fatal


class Transport(Protocol):
    def send(self, message: EmailMessage, sender: str, recipient: str) -> None: ...

    def close(self) -> None: ...


def parse_our_id(message_id: str) -> tuple[str, MailKind] | None:
    """The ticket key and kind one of our Message-IDs names, or None for anybody else's."""
    match = OUR_ID.match(message_id.strip())
    if match is None or match["kind"] not in _KINDS:
        return None
    return match["key"], MailKind(match["kind"])


class Composer:
    """Turns a queued message and its ticket into an RFC 5322 message."""

    def __init__(self, templates: Templates, sender: str) -> None:
        name, address = parseaddr(sender)
        self.templates = templates
        self.sender = Address(" ".join(name.split()), addr_spec=address)
        self.envelope_sender = address
        self.domain = self.sender.domain

    def message_id(self, entry: MailEntry) -> str:
        stamp = int(entry.created_at.timestamp() * 1_000_000)
        return f"<{entry.ticket_key}.{entry.kind}.{entry.id}.{stamp}@{self.domain}>"

    def compose(
        self, entry: MailEntry, ticket: Ticket, thread: Sequence[MailEntry], now: datetime
    ) -> EmailMessage:
        """The message; raises SendError(permanent) if the recipient is not an address."""
        kind = MailKind(entry.kind)
        subject, body = self.templates[kind].render(self._values(entry, ticket))
        message = EmailMessage()
        message["From"] = self.sender
        try:
            name = safe_line(_name_of(ticket, entry.address))
            message["To"] = Address(name, addr_spec=entry.address)
        except (ValueError, IndexError) as exc:
            raise SendError(f"{entry.address!r} is not an address: {exc}", permanent=True) from None
        # Shown by mail programs, some in a terminal: no escape or control character
        # a customer typed (or a mail brought) goes out in a header.
        message["Subject"] = f"[{ticket.key}] {safe_line(subject)}"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = self.message_id(entry)
        # What the store keeps of a received message is its Message-ID and content hash.
        earlier = [thread_id(m.message_id) for m in thread if m.message_id and m.id < entry.id]
        if earlier:
            answers = [
                thread_id(m.message_id)
                for m in thread
                if m.direction is MailDirection.IN and m.message_id and m.id < entry.id
            ]
            message["In-Reply-To"] = (answers or earlier)[-1]
            # The first message and the latest ones: enough to thread, never a huge header.
            message["References"] = " ".join(dict.fromkeys([earlier[0], *earlier[-9:]]))
        if kind in AUTO_SUBMITTED:
            message["Auto-Submitted"] = AUTO_SUBMITTED[kind]
            message["X-Auto-Response-Suppress"] = "All"
        message.set_content(body)
        return message

    def _values(self, entry: MailEntry, ticket: Ticket) -> Mapping[str, str]:
        closes = entry.params.get("close_date", "")
        return {
            "key": ticket.key,
            "subject": ticket.subject,
            # Whom this message greets: the requester, or the contact it goes to.
            "requester": _name_of(ticket, entry.address) or entry.address or "there",
            "requester_email": ticket.requester_email,
            "status": ticket.status.label,
            "priority": f"{ticket.priority.short} {ticket.priority.label}",
            "agent": entry.params.get("agent", ""),
            "body": entry.body,
            "number": entry.params.get("number", ""),
            "close_date": _date(closes) if closes else "a later date",
            "support": str(self.sender),
        }


def _date(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%A %-d %B %Y")


class SmtpTransport:
    """One SMTP connection per delivery run, opened at the first message."""

    def __init__(self, settings: MailSettings, password: str | None) -> None:
        if not settings.smtp_host:
            raise MailError("no [mail] smtp_host: there is no server to send mail through")
        self.settings = settings
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        try:
            smtp = self._smtp or self._connect()
            smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise SendError(_said(code, reply), permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            raise SendError(
                f"the sender was refused: {_said(exc.smtp_code, exc.smtp_error)}", fatal=True
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise SendError(
                f"login refused: {_said(exc.smtp_code, exc.smtp_error)}", fatal=True
            ) from None
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            # 421: the server is closing the connection, whatever the message.
            raise SendError(
                _said(code, exc.smtp_error), permanent=code >= 500, fatal=code == 421
            ) from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            self.close()
            where = f"{self.settings.smtp_host}:{self.settings.port('smtp')}"
            raise SendError(f"{where}: {exc or type(exc).__name__}", fatal=True) from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        host, port, timeout = s.smtp_host, s.port("smtp"), s.timeout
        context = ssl.create_default_context()
        if s.ca_file is not None:
            context.load_verify_locations(cafile=str(s.ca_file))
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
            if s.smtp_user:
                if not self._password:
                    raise SendError(
                        "no SMTP password: run `helpdesk-tui mail login smtp` "
                        "or set $HELPDESK_SMTP_PASSWORD",
                        fatal=True,
                    )
                smtp.login(s.smtp_user, self._password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def _said(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


@dataclass(slots=True)
class DeliveryReport:
    sent: list[tuple[str, str]] = field(default_factory=list)
    """(ticket key, kind) of every message sent."""
    retrying: list[tuple[str, str, str]] = field(default_factory=list)
    """(key, kind, error) of messages that failed and will be tried again."""
    given_up: list[tuple[str, str, str]] = field(default_factory=list)
    """(key, kind, error) of messages that will never go."""
    stopped: str | None = None
    """Why the run stopped early (the server is unusable), if it did."""


def _retry_at(attempts: int, error: SendError, now: datetime) -> datetime | None:
    """When to try again after failed attempt number `attempts`; None: never."""
    wait = RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]
    if error.fatal:
        # The server, not the message, failed (down, login refused): the message waits
        # for it however long that takes, rather than being given up.
        return now + wait
    if error.permanent or attempts > len(RETRY_AFTER):
        return None
    return now + wait


def deliver(
    queue: Outbox,
    composer: Composer,
    transport: Transport,
    clock: Callable[[], datetime],
    limit: int = 500,
) -> DeliveryReport:
    """Send the queued messages that are due, at most `limit` of them."""
    report = DeliveryReport()
    try:
        for due in queue.mail_due(clock(), limit):
            now = clock()
            held = queue.claim_mail(due.id, now, now + HOLD)
            if held is None:
                continue  # another sender has it, or had it and is done
            what = (held.ticket_key, held.kind)
            try:
                ticket = queue.get(held.ticket_key)
                message = composer.compose(held, ticket, queue.mail_log(held.ticket_key), now)
                transport.send(message, composer.envelope_sender, held.address)
            except NotFound:
                queue.mail_failed(held.id, now, "the ticket is gone", None)
                report.given_up.append((*what, "the ticket is gone"))
                continue
            except SendError as exc:
                retry = _retry_at(held.attempts, exc, now)
                queue.mail_failed(held.id, now, str(exc), retry)
                (report.given_up if retry is None else report.retrying).append((*what, str(exc)))
                if exc.fatal:
                    report.stopped = str(exc)
                    break
                continue
            queue.mail_sent(held.id, clock(), message["Message-ID"], message["Subject"])
            report.sent.append(what)
    finally:
        transport.close()
    return report


def _name_of(ticket: Ticket, address: str) -> str:
    """The requester's name, or the contact's: a merged duplicate's requester is not
    greeted by the kept ticket's."""
    if address.lower() == ticket.requester_email.strip().lower():
        return " ".join(ticket.requester_name.split())
    for contact in ticket.contacts:
        if contact_address(contact) == address.lower():
            return " ".join(parseaddr(contact)[0].split())
    return ""
