"""Outgoing mail end to end: queued in the ticket's write, sent over a real SMTP server on
loopback (aiosmtpd), recorded on the ticket, retried or given up with the reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui import mail
from helpdesk_tui.domain.followup import MailKind
from helpdesk_tui.domain.model import Status
from helpdesk_tui.mail.outgoing import RETRY_AFTER, parse_our_id
from helpdesk_tui.mail.templates import PLACEHOLDERS, TemplateError, Templates
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.base import MailState
from helpdesk_tui.store.sql import SqlRepository

from .conftest import Clock, Sink, as_, send, start_smtp, twice_at_once

MARIA = "maria@acme.example"


def new_ticket(repo: SqlRepository, clock: Clock, settings: MailSettings, **kw: object) -> str:
    svc = as_(repo, "tia", clock, settings)
    fields: dict[str, object] = {
        "subject": "Checkout fails",
        "requester_name": "Maria Lopez",
        "requester_email": MARIA,
        **kw,
    }
    return svc.create(TicketDraft(**fields)).key  # type: ignore[arg-type]


def events(repo: SqlRepository, key: str) -> list[str]:
    return [h.field for h in repo.history(key)]


def test_a_new_ticket_is_acknowledged_with_its_key(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = new_ticket(repo, clock, settings)
    # Queued in the creating write itself; nothing has been sent yet.
    assert events(repo, key) == ["created", "mail:queued"]
    assert smtp.messages == []
    report = send(repo, clock, settings)
    assert report.sent == [(key, "acknowledgement")] and report.stopped is None
    [ack] = smtp.to(MARIA)
    assert ack["Subject"] == f"[{key}] We received your request: Checkout fails"
    assert ack["To"] == f"Maria Lopez <{MARIA}>"
    assert ack["From"] == "Support Desk <support@helpdesk.test>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert parse_our_id(ack["Message-ID"]) == (key, "acknowledgement")
    body = ack.get_content()
    assert f"logged as {key}" in body and "Hello Maria Lopez" in body
    assert smtp.messages[0].mail_from == "support@helpdesk.test"
    # Recorded on the ticket, and never sent twice.
    sent = [h for h in repo.history(key) if h.field == "mail:sent"]
    assert len(sent) == 1 and ack["Message-ID"] in (sent[0].new or "")
    assert send(repo, clock, settings).sent == []
    assert len(smtp.messages) == 1
    [entry] = repo.mail_log(key)
    assert entry.state is MailState.SENT and entry.attempts == 1


def test_replies_and_the_resolution_thread_under_the_key(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = new_ticket(repo, clock, settings)
    send(repo, clock, settings)
    svc = as_(repo, "tia", clock, settings)
    t = svc.take(key, repo.get(key).version)
    t = svc.reply(key, t.version, "Could you send the gateway log?", status=Status.PENDING)
    clock.at += timedelta(hours=1)
    t = svc.customer_reply(key, "Attached.")
    t = svc.reply(key, t.version, "Fixed: the certificate was renewed.", status=Status.RESOLVED)
    assert send(repo, clock, settings).sent == [
        (key, "reply"),
        (key, "resolution"),
        (key, "csat_request"),
    ]
    ack, reply, resolution, survey = smtp.to(MARIA)
    assert reply["Subject"] == f"[{key}] Checkout fails"
    assert "Could you send the gateway log?" in reply.get_content()
    assert "Tia One, Support" in reply.get_content()
    assert reply["Auto-Submitted"] is None  # a person wrote it
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert ack["Message-ID"] in resolution["References"]
    assert resolution["Subject"] == f"[{key}] Resolved: Checkout fails"
    text = resolution.get_content()
    # Resolved on Wednesday 4 March; the confirmation window is 5 days.
    assert "certificate was renewed" in text and "Monday 9 March 2026" in text
    assert "CONFIRM" in text
    assert survey["Auto-Submitted"] == "auto-generated"
    assert parse_our_id(survey["Message-ID"]) == (key, "csat_request")
    assert "from 1 (very dissatisfied) to 5" in survey.get_content()
    # Notes never go out.
    svc.note(key, repo.get(key).version, "internal: customer is grumpy")
    assert send(repo, clock, settings).sent == []


def test_no_mail_without_an_address_or_without_a_server(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    phone = new_ticket(repo, clock, settings, requester_email="", requester_name="Caller")
    off = replace(settings, smtp_host="")
    quiet = new_ticket(repo, clock, off)
    assert events(repo, phone) == events(repo, quiet) == ["created"]
    assert repo.mail_due(clock()) == []


def test_customer_text_is_never_read_as_a_template_or_a_header(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = new_ticket(
        repo,
        clock,
        settings,
        subject="Price is $amount ${body} $$",
        requester_name="Eve\r\nBcc: spy@evil.example",
    )
    svc = as_(repo, "tia", clock, settings)
    svc.reply(key, repo.get(key).version, "Use $HOME and ${key}; {{7*7}} stays")
    send(repo, clock, settings)
    ack, reply = smtp.to(MARIA)
    assert ack["Subject"] == f"[{key}] We received your request: Price is $amount ${{body}} $$"
    assert "Use $HOME and ${key}; {{7*7}} stays" in reply.get_content()
    assert ack["Bcc"] is None and [m.rcpt_tos for m in smtp.messages] == [[MARIA], [MARIA]]


def test_no_escape_sequence_goes_out_in_a_header(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = new_ticket(
        repo, clock, settings, subject="Red \x1b[31malert\x07", requester_name="Eve \x1b[2J"
    )
    send(repo, clock, settings)
    (ack,) = smtp.to(MARIA)
    for header in ("Subject", "To"):
        shown = str(ack[header])
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in shown), (header, shown)
    assert f"[{key}]" in ack["Subject"] and "alert" in ack["Subject"]
    assert "Eve" in str(ack["To"]) and MARIA in str(ack["To"])


def test_refused_for_good_is_given_up_and_recorded(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    smtp.refuse[MARIA] = "550 5.1.1 <maria@acme.example>: no such user"
    key = new_ticket(repo, clock, settings)
    report = send(repo, clock, settings)
    assert report.sent == [] and report.given_up[0][:2] == (key, "acknowledgement")
    assert "550" in report.given_up[0][2]
    entry = repo.mail_log(key)[0]
    assert entry.state is MailState.FAILED and "no such user" in (entry.last_error or "")
    undeliverable = [h for h in repo.history(key) if h.field == "mail:undeliverable"]
    assert len(undeliverable) == 1 and "no such user" in (undeliverable[0].new or "")
    clock.at += timedelta(days=1)
    assert send(repo, clock, settings).sent == []  # never tried again


def test_a_temporary_refusal_is_retried_later(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    smtp.refuse[MARIA] = "451 4.3.0 mailbox busy, try later"
    key = new_ticket(repo, clock, settings)
    report = send(repo, clock, settings)
    assert report.retrying and "451" in report.retrying[0][2]
    entry = repo.mail_log(key)[0]
    assert entry.state is MailState.QUEUED and entry.next_attempt_at == clock() + RETRY_AFTER[0]
    assert send(repo, clock, settings).sent == []  # not due yet
    del smtp.refuse[MARIA]
    clock.at += RETRY_AFTER[0]
    assert send(repo, clock, settings).sent == [(key, "acknowledgement")]
    assert events(repo, key) == ["created", "mail:queued", "mail:failed", "mail:sent"]
    assert repo.mail_log(key)[0].attempts == 2


def test_gives_up_after_the_last_retry(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    smtp.refuse[MARIA] = "452 4.2.2 over quota"
    key = new_ticket(repo, clock, settings)
    for wait in RETRY_AFTER:
        assert send(repo, clock, settings).retrying
        clock.at += wait
    report = send(repo, clock, settings)
    assert report.given_up and repo.mail_log(key)[0].state is MailState.FAILED
    assert repo.mail_log(key)[0].attempts == len(RETRY_AFTER) + 1


def test_an_unreachable_server_stops_the_run_and_loses_nothing(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    first = new_ticket(repo, clock, settings)
    second = new_ticket(repo, clock, settings)
    down = replace(settings, smtp_port=1)  # nothing listens on port 1
    report = send(repo, clock, down)
    assert report.stopped and "127.0.0.1:1" in report.stopped
    assert report.sent == [] and len(report.retrying) == 1  # the first; the rest untouched
    assert repo.mail_log(second)[0].attempts == 0
    # A server down for days: the message waits for it, it is never given up.
    for _ in range(len(RETRY_AFTER) + 3):
        clock.at += RETRY_AFTER[-1]
        assert send(repo, clock, down).given_up == []
    assert repo.mail_log(first)[0].state is MailState.QUEUED
    clock.at += RETRY_AFTER[-1]
    assert sorted(send(repo, clock, settings).sent) == [
        (first, "acknowledgement"),
        (second, "acknowledgement"),
    ]


def test_two_senders_at_once_send_each_message_once(
    repo: SqlRepository,
    clock: Clock,
    settings: MailSettings,
    smtp: Sink,
    store_url: str,
    tmp_path: Path,
) -> None:
    keys = {new_ticket(repo, clock, settings, subject=f"Ticket {n}") for n in range(12)}
    reports = twice_at_once(store_url, tmp_path / "files", lambda own: send(own, clock, settings))
    sent = [m for r in reports for m in r.sent]
    assert sorted(k for k, _ in sent) == sorted(keys)
    assert len(smtp.messages) == 12


def test_starttls_and_login_with_the_password_from_the_environment(
    repo: SqlRepository,
    clock: Clock,
    settings: MailSettings,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key_file = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key_file)

    def check(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data == (b"desk", b"s3cret pw")
        # handled=False: the server answers (235 or 535) itself.
        return AuthResult(success=ok, handled=False)

    controller, sink = start_smtp(
        tls_context=context, require_starttls=True, authenticator=check, auth_require_tls=True
    )
    try:
        secure = replace(
            settings,
            smtp_port=sink.port,
            smtp_security="starttls",
            smtp_user="desk",
            ca_file=cert,
        )
        key = new_ticket(repo, clock, secure)
        svc = as_(repo, "tia", clock, secure)
        monkeypatch.setenv("HELPDESK_SMTP_PASSWORD", "wrong")
        refused = mail.send_queued(svc, secure)
        assert refused.stopped and "login refused" in refused.stopped and "535" in refused.stopped
        assert "wrong" not in refused.stopped
        monkeypatch.setenv("HELPDESK_SMTP_PASSWORD", "s3cret pw")
        clock.at += RETRY_AFTER[0]
        assert mail.send_queued(svc, secure).sent == [(key, "acknowledgement")]
        assert len(sink.messages) == 1
    finally:
        controller.stop()


def test_implicit_tls_checks_the_servers_certificate(
    repo: SqlRepository, clock: Clock, settings: MailSettings, certificate: tuple[Path, Path]
) -> None:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    controller, sink = start_smtp(ssl_context=context)
    try:
        tls = replace(settings, smtp_port=sink.port, smtp_security="ssl")
        key = new_ticket(repo, clock, tls)
        untrusted = send(repo, clock, tls)
        assert untrusted.stopped and "CERTIFICATE_VERIFY_FAILED" in untrusted.stopped
        clock.at += RETRY_AFTER[0]
        assert send(repo, clock, replace(tls, ca_file=certificate[0])).sent == [
            (key, "acknowledgement")
        ]
        assert len(sink.messages) == 1
    finally:
        controller.stop()


def test_templates_are_overridden_one_file_at_a_time(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink, tmp_path: Path
) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "acknowledgement.txt").write_text(
        "Subject: Ticket $key opened\n\nHej $requester! Your number is $key. Costs: $$0.\n"
    )
    ours = replace(settings, templates_dir=custom)
    key = new_ticket(repo, clock, ours)
    send(repo, clock, ours)
    [ack] = smtp.to(MARIA)
    assert ack["Subject"] == f"[{key}] Ticket {key} opened"
    assert ack.get_content().rstrip() == f"Hej Maria Lopez! Your number is {key}. Costs: $0."
    # The others are still the packaged ones.
    resolution = Templates(custom)[MailKind.RESOLUTION]
    assert resolution.render(dict.fromkeys(PLACEHOLDERS, "x"))[0] == "Resolved: x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Subject: Hi $who\n\nbody\n", "unknown placeholder $who"),
        ("Subject: Hi\n\ncosts $5\n", "stray $"),
        ("Hello $key\n", "first line must be 'Subject: ...'"),
        ("Subject: Hi\nbody right away\n", "blank line"),
    ],
)
def test_a_broken_template_is_refused_at_load_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "reminder.txt").write_text(text)
    with pytest.raises(TemplateError) as caught:
        Templates(tmp_path)
    assert "reminder.txt" in str(caught.value) and message in str(caught.value)


def test_contacts_hear_the_replies_and_the_resolution_but_not_the_survey(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = new_ticket(repo, clock, settings)
    svc = as_(repo, "tia", clock, settings)
    # Bad: an address that is none is refused, and nothing is written or queued.
    before = len(repo.mail_log(key))
    with pytest.raises(ServiceError, match="is not an e-mail address"):
        svc.update(key, repo.get(key).version, contacts=("Bo Svensson <bo at acme>",))
    assert repo.get(key).contacts == () and len(repo.mail_log(key)) == before
    t = svc.update(
        key, repo.get(key).version, contacts=("Bo Svensson <BO@acme.example>", "bo@acme.example")
    )
    assert t.contacts == ("Bo Svensson <BO@acme.example>",)  # one address once
    t = svc.reply(key, t.version, "Fixed: the certificate was renewed.", status=Status.RESOLVED)
    sent = send(repo, clock, settings).sent
    assert sent.count((key, "resolution")) == 2 and sent.count((key, "csat_request")) == 1
    [resolution] = smtp.to("bo@acme.example")
    assert resolution["To"] == "Bo Svensson <bo@acme.example>"
    assert "Hello Bo Svensson" in resolution.get_content()
    assert "Maria" not in resolution.get_content()
    assert [m["Subject"] for m in smtp.to(MARIA)][-1].startswith(f"[{key}] How did we do")
