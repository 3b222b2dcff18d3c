"""Incoming mail from a Maildir, end to end on each store: what each message does to the
tickets, what goes back out over SMTP (and what never does), and what is kept aside."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import CommentKind, Status
from helpdesk_tui.mail.sources import FetchReport, Quarantine, fetch_maildir
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.base import Query
from helpdesk_tui.store.sql import SqlRepository

from .conftest import Clock, Sink, as_, intake, send, twice_at_once
from .messages import bounce, mail

MARIA = "maria@acme.example"


@dataclass
class Desk:
    """A store, its Maildir and quarantine, the SMTP sink and the frozen clock."""

    repo: SqlRepository
    clock: Clock
    settings: MailSettings
    smtp: Sink
    maildir: Path
    quarantine: Path

    def deliver(self, raw: bytes) -> str:
        return str(mailbox.Maildir(self.maildir, create=True).add(raw))

    def fetch(self) -> FetchReport:
        return fetch_maildir(
            self.maildir,
            intake(self.repo, self.clock, self.settings),
            Quarantine(self.quarantine, self.clock),
        )

    def take(self, raw: bytes) -> FetchReport:
        self.deliver(raw)
        return self.fetch()

    def sent_to(self, address: str = MARIA) -> list[str]:
        send(self.repo, self.clock, self.settings)
        return [m["Subject"] for m in self.smtp.to(address)]


@pytest.fixture
def desk(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink, tmp_path: Path
) -> Iterator[Desk]:
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    yield Desk(repo, clock, settings, smtp, maildir, tmp_path / "quarantine")


def opened(desk: Desk, raw: bytes) -> str:
    report = desk.take(raw)
    [outcome] = report.taken
    assert outcome.action == "created", report
    return outcome.key


def test_a_new_mail_opens_a_ticket_and_is_acknowledged(desk: Desk) -> None:
    raw = mail(
        files=(
            ("gateway.log", "text/plain", b"503 at 07:38\n"),
            ("shot.png", "image/png", b"\x89PNG"),
        ),
        message_id="<first@acme.example>",
    )
    key = opened(desk, raw)
    ticket = desk.repo.get(key)
    assert ticket.subject == "Checkout fails with error 503"
    assert (ticket.requester_name, ticket.requester_email) == ("Maria Lopez", MARIA)
    assert ticket.organization == "Acme" and ticket.channel.value == "email"
    assert ticket.description == "Since this morning every checkout fails.\nOrder 1042."
    [note] = desk.repo.comments(key)
    assert [a.filename for a in note.attachments] == ["gateway.log", "shot.png"]
    log = desk.repo.attachment_path(key, note.attachments[0].id or 0)
    assert log.read_bytes() == b"503 at 07:38\n"
    # The mail file moved on as read; the acknowledgement answers the customer's message.
    assert not any((desk.maildir / "new").iterdir())
    assert [p.name.endswith(":2,S") for p in (desk.maildir / "cur").iterdir()] == [True]
    assert desk.sent_to() == [f"[{key}] We received your request: Checkout fails with error 503"]
    [ack] = desk.smtp.to(MARIA)
    assert ack["In-Reply-To"] == "<first@acme.example>"
    assert [h.field for h in desk.repo.history(key)][:3] == ["created", "note", "attachment"]


def test_organizations_come_from_the_domain(desk: Desk) -> None:
    mapped = opened(desk, mail())
    other = opened(desk, mail(sender="bob@globex.example"))
    private = opened(desk, mail(sender="jo@gmail.com"))
    assert [desk.repo.get(k).organization for k in (mapped, other, private)] == [
        "Acme",
        "globex.example",
        None,
    ]


def test_the_same_mail_twice_is_taken_in_once(desk: Desk) -> None:
    raw = mail(message_id="<once@acme.example>")
    key = opened(desk, raw)
    again = desk.take(raw)
    assert [(o.action, o.key) for o in again.taken] == [("duplicate", key)]
    assert desk.repo.count(Query()) == 1
    assert len(desk.sent_to()) == 1


def work_until(desk: Desk, key: str, status: Status) -> None:
    """An agent takes the ticket and replies, moving it to `status` (closed: resolved first)."""
    svc = as_(desk.repo, "tia", desk.clock, desk.settings)
    t = svc.take(key, desk.repo.get(key).version)
    final = status is Status.CLOSED
    t = svc.reply(
        key, t.version, "Please try again now.", status=Status.RESOLVED if final else status
    )
    if final:
        svc.set_status(key, t.version, Status.CLOSED)


def test_a_reply_with_the_key_reopens_a_pending_ticket(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.PENDING)
    desk.clock.at += timedelta(hours=2)
    report = desk.take(
        mail(
            subject=f"RE: [{key}] Checkout fails", body="Still failing.\n\n> Please try again now."
        )
    )
    assert [(o.action, o.key) for o in report.taken] == [("reopened", key)]
    ticket = desk.repo.get(key)
    assert ticket.status is Status.OPEN and ticket.last_customer_reply_at == desk.clock()
    last = desk.repo.comments(key)[-1]
    assert last.from_customer and last.kind is CommentKind.REPLY and last.author == MARIA
    assert last.body.startswith("Still failing.")
    # A customer's reply is never answered automatically.
    assert desk.sent_to() == [
        f"[{key}] We received your request: Checkout fails with error 503",
        f"[{key}] Checkout fails with error 503",
    ]


def test_a_reply_found_by_its_references_alone(desk: Desk) -> None:
    key = opened(desk, mail())
    desk.sent_to()
    [ack] = desk.smtp.to(MARIA)
    report = desk.take(
        mail(
            subject="Re: your message",
            body="One more detail.",
            headers={"In-Reply-To": ack["Message-ID"]},
        )
    )
    assert [(o.action, o.key) for o in report.taken] == [("commented", key)]


def test_confirm_closes_a_resolved_ticket(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.RESOLVED)
    report = desk.take(mail(subject=f"Re: [{key}] Resolved", body="Confirmed, thanks!"))
    assert [o.action for o in report.taken] == ["confirmed"]
    ticket = desk.repo.get(key)
    assert ticket.status is Status.CLOSED and ticket.closed_at == desk.clock()
    reasons = [h.reason for h in desk.repo.history(key) if h.field == "status"]
    assert reasons[-1] == "confirmed by the customer"


def test_any_other_answer_to_a_resolution_reopens(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.RESOLVED)
    desk.take(mail(subject=f"Re: [{key}] Resolved", body="Confirm? No, the export still fails."))
    ticket = desk.repo.get(key)
    assert ticket.status is Status.OPEN and ticket.resolved_at is None


def test_the_survey_answered_by_mail_records_csat(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.RESOLVED)
    send(desk.repo, desk.clock, desk.settings)
    survey = desk.smtp.to(MARIA)[-1]
    assert survey["Subject"] == f"[{key}] How did we do? (CSAT)"
    report = desk.take(
        mail(
            subject=f"Re: {survey['Subject']}",
            body="4 - quick and clear\n\nOn Wed, Support wrote:\n> Reply with a score",
            headers={"In-Reply-To": survey["Message-ID"]},
        )
    )
    assert [(o.action, o.detail) for o in report.taken] == [("csat", "4/5")]
    ticket = desk.repo.get(key)
    assert (ticket.csat_score, ticket.csat_comment) == (4, "quick and clear")
    assert ticket.status is Status.RESOLVED  # a score is not a complaint: nothing reopens
    assert any(h.reason == f"rated 4/5 by {MARIA}" for h in desk.repo.history(key))


def test_a_bare_score_after_closing_still_counts(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.CLOSED)
    report = desk.take(mail(subject=f"Re: [{key}] Resolved", body="5"))
    assert [o.action for o in report.taken] == ["csat"]
    assert desk.repo.get(key).csat_score == 5


def test_mail_on_a_closed_ticket_opens_a_follow_up(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.CLOSED)
    report = desk.take(mail(subject=f"Re: [{key}] Checkout fails", body="It is back again."))
    [outcome] = report.taken
    assert outcome.action == "created" and outcome.key != key
    follow = desk.repo.get(outcome.key)
    assert follow.follow_up_of == key and follow.subject == "Checkout fails"
    assert desk.repo.get(key).status is Status.CLOSED
    assert desk.sent_to()[-1] == f"[{outcome.key}] We received your request: Checkout fails"


def test_a_bounce_is_noted_never_answered(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.PENDING)
    before = len(desk.sent_to())
    report = desk.take(bounce(f"[{key}] Checkout fails"))
    assert [(o.action, o.key, o.detail) for o in report.taken] == [("noted", key, "bounce")]
    ticket = desk.repo.get(key)
    assert ticket.status is Status.PENDING
    note = desk.repo.comments(key)[-1]
    assert note.kind is CommentKind.NOTE and not note.from_customer
    assert "User unknown" in note.body and note.author == "MAILER-DAEMON@mx.helpdesk.test"
    assert len(desk.sent_to()) == before


def test_a_bounce_found_by_the_returned_message_id(desk: Desk) -> None:
    key = opened(desk, mail())
    returned = "<HD-1.reply.3.1772620200000000@helpdesk.test>"
    assert key == "HD-1"
    report = desk.take(bounce("Subject without a key", returned_id=returned))
    assert [(o.action, o.key) for o in report.taken] == [("noted", key)]


def test_a_bounce_naming_no_ticket_is_kept_aside_with_the_reason(desk: Desk) -> None:
    report = desk.take(bounce("Some newsletter", returned_id="<news.42@lists.example>"))
    assert report.taken == []
    [(kept, reason)] = report.quarantined
    assert "names no ticket" in reason
    assert kept.parent == desk.quarantine and kept.read_bytes().startswith(b"From: MAILER-DAEMON")
    assert kept.with_suffix(".reason").read_text() == f"{reason}\n"


def test_an_out_of_office_reply_reopens_nothing_and_gets_no_answer(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.PENDING)
    before = len(desk.sent_to())
    report = desk.take(
        mail(
            subject=f"Automatic reply: [{key}] Checkout fails",
            body="I am away until Monday.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert [o.action for o in report.taken] == ["noted"]
    assert desk.repo.get(key).status is Status.PENDING
    assert len(desk.sent_to()) == before


def test_a_robots_new_mail_opens_a_ticket_without_an_acknowledgement(desk: Desk) -> None:
    key = opened(
        desk,
        mail(
            sender="monitor@acme.example",
            subject="ALERT: disk full",
            headers={"Precedence": "bulk"},
        ),
    )
    assert desk.repo.get(key).tags == ("automatic",)
    assert desk.sent_to("monitor@acme.example") == []
    assert desk.repo.mail_due(desk.clock()) == []


def test_a_stranger_cannot_reopen_a_ticket_by_naming_its_key(desk: Desk) -> None:
    key = opened(desk, mail())
    work_until(desk, key, Status.RESOLVED)
    report = desk.take(mail(sender="eve@evil.example", subject=f"[{key}] hi", body="5"))
    assert [(o.action, o.detail) for o in report.taken] == [("noted", "other_sender")]
    ticket = desk.repo.get(key)
    assert ticket.status is Status.RESOLVED and ticket.csat_score is None
    # A colleague at the requester's domain is heard like the requester.
    desk.take(mail(sender="boss@acme.example", subject=f"[{key}] hi", body="Still broken for me."))
    assert desk.repo.get(key).status is Status.OPEN


def test_malformed_mail_is_kept_aside_never_dropped(desk: Desk) -> None:
    raw = b"Subject: no sender\r\n\r\nwho am I\r\n"
    name = desk.deliver(raw)
    report = desk.fetch()
    [(kept, reason)] = report.quarantined
    assert reason == "no From header: nobody to answer"
    assert kept.read_bytes() == raw and name in kept.name
    assert kept.with_suffix(".reason").read_text() == "no From header: nobody to answer\n"
    assert (kept.stat().st_mode & 0o777) == 0o600


def test_an_empty_reply_or_a_huge_subject_still_lands(desk: Desk) -> None:
    key = opened(desk, mail(subject="x" * 400))
    assert desk.repo.get(key).subject == "x" * 250
    work_until(desk, key, Status.OPEN)
    report = desk.take(
        mail(subject=f"Re: [{key}] x", body="   ", files=(("a.txt", "text/plain", b"a"),))
    )
    assert report.taken[0].action == "commented"
    last = desk.repo.comments(key)[-1]
    assert last.body == "(no text; 1 files attached)" and last.attachments[0].filename == "a.txt"


def test_customer_text_stays_text(desk: Desk) -> None:
    hostile = "[bold red]x[/] \x1b]52;c;ZXZpbA==\x07 ${body} {{7*7}} <script>alert(1)</script>"
    key = opened(desk, mail(subject="Help [link=file:///etc]now[/link]", body=hostile))
    ticket = desk.repo.get(key)
    assert "\x1b" not in ticket.description and "\x07" not in ticket.description
    assert "[bold red]x[/]" in ticket.description and "${body} {{7*7}}" in ticket.description
    assert ticket.subject == "Help [link=file:///etc]now[/link]"


def test_two_fetches_at_once_take_each_message_once(
    desk: Desk, store_url: str, tmp_path: Path
) -> None:
    for n in range(10):
        desk.deliver(mail(subject=f"Request {n}", message_id=make_msgid(domain="acme.example")))
    reports = twice_at_once(
        store_url,
        tmp_path / "files",
        lambda own: fetch_maildir(
            desk.maildir,
            intake(own, desk.clock, desk.settings),
            Quarantine(desk.quarantine, desk.clock),
        ),
    )
    created = [o.key for r in reports for o in r.taken if o.action == "created"]
    assert len(created) == len(set(created)) == 10
    assert sorted(desk.repo.get(k).subject for k in created) == sorted(
        f"Request {n}" for n in range(10)
    )
    assert len(desk.sent_to()) == 10
