"""Fixtures for the mail tests: a store on each backend, a frozen clock, and a real SMTP
server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from helpdesk_tui.domain.followup import FollowUpPolicy
from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.mail.inbound import Inbound
from helpdesk_tui.mail.intake import Intake
from helpdesk_tui.mail.outgoing import Composer, DeliveryReport, SmtpTransport, deliver
from helpdesk_tui.mail.parsing import parse
from helpdesk_tui.mail.templates import Templates
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

SUPPORT = "Support Desk <support@helpdesk.test>"
T = TypeVar("T")
Read = Callable[[bytes], Inbound]


@pytest.fixture
def read(tmp_path: Path) -> Read:
    """`parse`, each message's files decoded into a folder of its own under tmp_path."""
    count = iter(range(1_000_000))

    def parse_one(raw: bytes) -> Inbound:
        return parse(raw, tmp_path / f"parsed-{next(count)}")

    return parse_one


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Sink:
    """What the SMTP server did: the messages it took, and answers to give instead."""

    port: int
    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient → the SMTP reply to refuse it with ("550 5.1.1 no such user")."""

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.messages if address in m.rcpt_tos]


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.sink.refuse:
            return self.sink.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.sink.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed)
        )
        return "250 Message accepted"


def start_smtp(**options: Any) -> tuple[Controller, Sink]:
    sink = Sink(free_port())
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port, **options)
    controller.start()
    return controller, sink


@pytest.fixture
def smtp() -> Iterator[Sink]:
    """A plain SMTP server on loopback, as an internal relay would be."""
    controller, sink = start_smtp()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(FROZEN)


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    store = SqlRepository.open(store_url, tmp_path / "files")
    store.save_agent(Agent("mailbot", "Mail Robot", tier=1))
    store.save_agent(Agent("tia", "Tia One", tier=1))
    store.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def settings(smtp: Sink) -> MailSettings:
    return MailSettings(
        sender=SUPPORT,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        timeout=10,
        organizations={"acme.example": "Acme"},
        followup=FollowUpPolicy(),
    )


def as_(repo: SqlRepository, who: str, clock: Clock, settings: MailSettings) -> HelpdeskService:
    return HelpdeskService(
        repo,
        load_policy("default"),
        clock,
        repo.get_agent(who),
        settings.followup,
        sends_mail=settings.sends,
    )


def send(repo: SqlRepository, clock: Clock, settings: MailSettings) -> DeliveryReport:
    """One delivery run, as `helpdesk-tui mail send` does it."""
    composer = Composer(Templates(settings.templates_dir), settings.sender)
    outbox = as_(repo, "mailbot", clock, settings).outbox()
    assert outbox is not None
    return deliver(outbox, composer, SmtpTransport(settings, None), clock)


def intake(repo: SqlRepository, clock: Clock, settings: MailSettings) -> Intake:
    return Intake(as_(repo, "mailbot", clock, settings), settings)


def twice_at_once(store_url: str, files: Path, work: Callable[[SqlRepository], T]) -> list[T]:
    """Run `work` in two threads released at the same moment, each on a store of its own
    (as two cron jobs would be); their results, or the first error either raised."""
    barrier = threading.Barrier(2)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        own = SqlRepository.open(store_url, files)
        try:
            barrier.wait()
            results.append(work(own))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def with_followup(settings: MailSettings, **periods: Any) -> MailSettings:
    return replace(settings, followup=FollowUpPolicy(**periods))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
