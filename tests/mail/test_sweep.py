"""The sweep's follow-ups, on each store with a frozen clock: reminders to the requesters of
pending tickets, closing what waits too long, and sweeps running at the same time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from helpdesk_tui.domain.model import Status
from helpdesk_tui.mail.outgoing import parse_our_id
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

from .conftest import Clock, Sink, as_, send, twice_at_once

DAY = timedelta(days=1)


def waiting(repo: SqlRepository, clock: Clock, settings: MailSettings, n: int = 0) -> str:
    """A ticket put to pending at FROZEN, its acknowledgement and question already sent."""
    svc = as_(repo, "tia", clock, settings)
    key = svc.create(
        TicketDraft(
            subject=f"VPN drops {n}",
            requester_name="Maria Lopez",
            requester_email=f"maria{n}@acme.example",
        )
    ).key
    t = svc.take(key, repo.get(key).version)
    svc.reply(key, t.version, "Which client version do you run?", status=Status.PENDING)
    if settings.sends:
        send(repo, clock, settings)
    return key


def kinds(smtp: Sink, address: str = "maria0@acme.example") -> list[str]:
    return [str(parse_our_id(m["Message-ID"])[1]) for m in smtp.to(address)]  # type: ignore[index]


def test_pending_gets_reminders_then_closes(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = waiting(repo, clock, settings)
    sweeper = as_(repo, "lead", clock, settings)
    clock.at = FROZEN + 3 * DAY - timedelta(minutes=1)
    assert sweeper.sweep().reminded == []
    clock.at = FROZEN + 3 * DAY
    assert sweeper.sweep().reminded == [key]
    assert sweeper.sweep().reminded == []  # idempotent: each reminder once
    send(repo, clock, settings)
    reminder = smtp.to("maria0@acme.example")[-1]
    assert reminder["Subject"] == f"[{key}] Waiting for your answer: VPN drops 0"
    assert reminder["Auto-Submitted"] == "auto-generated"
    text = reminder.get_content()
    assert "(reminder 1)" in text and "closes on Saturday 14 March 2026" in text
    clock.at = FROZEN + 6 * DAY
    assert sweeper.sweep().reminded == [key]
    clock.at = FROZEN + 9 * DAY
    assert sweeper.sweep().reminded == []  # two reminders at most
    clock.at = FROZEN + 10 * DAY
    result = sweeper.sweep()
    assert result.closed == [key] and result.reminded == []
    ticket = repo.get(key)
    assert ticket.status is Status.CLOSED and ticket.closed_at == clock()
    send(repo, clock, settings)
    assert kinds(smtp) == ["acknowledgement", "reply", "reminder", "reminder", "closed"]
    reasons = [h.reason for h in repo.history(key) if h.field == "status"]
    assert reasons[-1] == "closed automatically: no answer from the customer for 10 days"
    assert [h.new for h in repo.history(key) if h.field == "followup:reminder"] == ["1", "2"]
    assert sweeper.sweep().closed == []


def test_an_answer_stops_the_reminders(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = waiting(repo, clock, settings)
    sweeper = as_(repo, "lead", clock, settings)
    clock.at = FROZEN + 2 * DAY
    sweeper.customer_reply(key, "Version 5.2.")
    clock.at = FROZEN + 30 * DAY
    result = sweeper.sweep()
    assert result.reminded == [] and result.closed == []
    assert repo.get(key).status is Status.OPEN


def test_resolved_closes_after_the_window_quietly(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    key = waiting(repo, clock, settings)
    svc = as_(repo, "tia", clock, settings)
    svc.reply(key, repo.get(key).version, "Update the client to 5.3.", status=Status.RESOLVED)
    sweeper = as_(repo, "lead", clock, settings)
    clock.at = FROZEN + 5 * DAY - timedelta(seconds=1)
    assert sweeper.sweep().closed == []
    clock.at = FROZEN + 5 * DAY
    assert sweeper.sweep().closed == [key]
    assert repo.get(key).status is Status.CLOSED
    send(repo, clock, settings)
    assert kinds(smtp) == ["acknowledgement", "reply", "resolution", "csat_request"]
    # The survey can still be answered after the ticket closed.
    assert sweeper.customer_csat(key, 5, "great").csat_score == 5


def test_without_mail_nothing_is_sent_but_waiting_tickets_still_close(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    off = replace(settings, sender="")
    key = waiting(repo, clock, off)
    sweeper = as_(repo, "lead", clock, off)
    clock.at = FROZEN + 7 * DAY
    assert sweeper.sweep().reminded == []
    clock.at = FROZEN + 10 * DAY
    assert sweeper.sweep().closed == [key]
    assert smtp.messages == [] and repo.mail_log(key) == []


def test_two_sweeps_at_once_send_each_reminder_once(
    repo: SqlRepository,
    clock: Clock,
    settings: MailSettings,
    smtp: Sink,
    store_url: str,
    tmp_path: Path,
) -> None:
    keys = [waiting(repo, clock, settings, n) for n in range(8)]
    before = len(smtp.messages)
    for day in (3, 6):
        clock.at = FROZEN + day * DAY

        def sweep(own: SqlRepository) -> list[str]:
            reminded = as_(own, "lead", clock, settings).sweep().reminded
            send(own, clock, settings)
            return reminded

        reminded = [k for r in twice_at_once(store_url, tmp_path / "files", sweep) for k in r]
        assert sorted(reminded) == sorted(keys)
    reminders = [
        m for m in smtp.messages[before:] if "Waiting for your answer" in m.message["Subject"]
    ]
    assert len(reminders) == 16
    for n in range(8):
        assert kinds(smtp, f"maria{n}@acme.example") == [
            "acknowledgement",
            "reply",
            "reminder",
            "reminder",
        ]


def test_two_cron_processes_at_once_send_each_reminder_once(
    repo: SqlRepository,
    clock: Clock,
    settings: MailSettings,
    smtp: Sink,
    store_url: str,
    tmp_path: Path,
) -> None:
    keys = [waiting(repo, clock, settings, n) for n in range(5)]
    config = tmp_path / "helpdesk-tui.toml"
    url = store_url if "://" in store_url else f"sqlite:///{store_url}"
    config.write_text(
        f'[backend]\nurl = "{url}"\n\n'
        f'[mail]\nfrom = "Support Desk <support@helpdesk.test>"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {smtp.port}\nsmtp_security = "none"\n'
    )
    env = {
        **os.environ,
        "HELPDESK_TUI_NOW": (FROZEN + 3 * DAY).isoformat(),
        "HELPDESK_AGENT": "lead",
        "HELPDESK_TUI_DATA_DIR": str(tmp_path / "data"),
    }
    command = [
        sys.executable,
        "-m",
        "helpdesk_tui",
        "--config",
        str(config),
        "sla",
        "sweep",
        "--json",
    ]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(k for r in results for k in r["reminded"]) == sorted(keys)
    sent = [k for r in results for k, kind in r["mail"]["sent"] if kind == "reminder"]
    assert sorted(sent) == sorted(keys)
    for n in range(5):
        assert kinds(smtp, f"maria{n}@acme.example").count("reminder") == 1


def test_purging_a_ticket_removes_its_mail(
    repo: SqlRepository, clock: Clock, settings: MailSettings, smtp: Sink
) -> None:
    from helpdesk_tui.domain.model import Agent, Role

    key = waiting(repo, clock, settings)
    clock.at = FROZEN + 10 * DAY
    as_(repo, "lead", clock, settings).sweep()
    send(repo, clock, settings)
    assert [m.kind for m in repo.mail_log(key)] == ["acknowledgement", "reply", "closed"]
    repo.save_agent(Agent("root", "Admin", tier=3, role=Role.ADMIN))
    clock.at += 800 * DAY
    assert as_(repo, "root", clock, settings).purge(timedelta(days=730), dry_run=False) == [key]
    with repo.engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM mail").scalar()
    assert left == 0  # addresses and texts are personal data: they go with the ticket
