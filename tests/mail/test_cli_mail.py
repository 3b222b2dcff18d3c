"""`helpdesk-tui mail send|fetch|login` and the mail part of `sla sweep`, through `main()`,
against a real SMTP server on loopback and a Maildir; bad settings are one line."""

from __future__ import annotations

import io
import json
import mailbox
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.cli.test_cli import run

from .conftest import Sink
from .messages import mail


@pytest.fixture
def config(tmp_path: Path, smtp: Sink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    path = tmp_path / "helpdesk-tui.toml"
    path.write_text(
        f"""\
[mail]
from = "Support Desk <support@helpdesk.test>"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
smtp_security = "none"
inbound = "maildir"
maildir = "{maildir}"
close_resolved_after_days = 2

[mail.organizations]
"acme.example" = "Acme"
"""
    )
    monkeypatch.setenv("HELPDESK_TUI_CONFIG", str(path))
    yield maildir


def test_the_process_from_the_command_line(
    config: Path, smtp: Sink, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "agent", "add", "tia", "--tier", "1")[0] == 0
    mailbox.Maildir(config).add(mail(message_id="<m1@acme.example>"))
    code, out, err = run(capsys, "mail", "fetch")
    assert code == 0, err
    assert out.splitlines() == ["took in 1 messages, kept 0 aside", "  created    HD-1"]
    code, out, _ = run(capsys, "mail", "send")
    assert out.splitlines() == ["mail: 1 sent, 0 to retry, 0 given up"]
    assert [m["Subject"] for m in smtp.to("maria@acme.example")] == [
        "[HD-1] We received your request: Checkout fails with error 503"
    ]
    assert (
        run(capsys, "ticket", "reply", "HD-1", "Restarted the gateway.", "--status", "resolved")[0]
        == 0
    )
    code, out, _ = run(capsys, "mail", "send", "--json")
    assert json.loads(out)["sent"] == [["HD-1", "resolution"], ["HD-1", "csat_request"]]
    survey = smtp.to("maria@acme.example")[-1]
    mailbox.Maildir(config).add(
        mail(
            subject=f"Re: {survey['Subject']}",
            body="4 - fast",
            headers={"In-Reply-To": survey["Message-ID"]},
        )
    )
    code, out, _ = run(capsys, "mail", "fetch", "--json")
    assert json.loads(out)["taken"] == [{"action": "csat", "key": "HD-1", "detail": "4/5"}]
    code, out, _ = run(capsys, "ticket", "show", "HD-1")
    # The history reads as sentences now: the sent mail is "Mail sent: <kind> to <who>".
    assert "satisfaction: 4/5 “fast”" in out and "Mail sent: csat_request to maria" in out
    # Two days later the sweep closes the resolved ticket; it sends nothing more.
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as later:
        later.setenv("HELPDESK_TUI_NOW", "2026-03-06T10:30:00+00:00")
        code, out, err = run(capsys, "sla", "sweep")
    assert code == 0, err
    assert "1 closed" in out and "  HD-1  closed: the requester did not answer in time" in out
    assert out.splitlines()[-1] == "mail: 0 sent, 0 to retry, 0 given up"


def test_failures_are_reported_not_hidden(
    config: Path, smtp: Sink, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp.refuse["gone@acme.example"] = "550 5.1.1 no such user"
    run(capsys, "ticket", "create", "--subject", "x", "--email", "gone@acme.example")
    code, out, _ = run(capsys, "mail", "send")
    assert code == 0
    assert out.splitlines() == [
        "mail: 0 sent, 0 to retry, 1 given up",
        "  failed    HD-1  acknowledgement: 550 5.1.1 no such user",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('password = "hunter2"', "line 3: mail.password: secrets do not belong in the config"),
        ('smtp_security = "tls"', "mail.smtp_security: expected 'none', 'starttls' or 'ssl'"),
        ("imap_port = 70000", "line 3: mail.imap_port: expected a port number"),
        ("reminders = 40", "line 3: mail.reminders: from 0 to 10, got 40"),
        ("remind_after_days = -1", "mail.remind_after_days: a number of days"),
    ],
)
def test_bad_mail_settings_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[mail]\nfrom = "s@helpdesk.test"\n{extra}\n')
    code, _, err = run(capsys, "--config", str(path), "mail", "send")
    assert code == 2 and message in err and err.count("\n") == 1
    assert "hunter2" not in err


@pytest.mark.parametrize(
    ("toml", "argv", "message"),
    [
        ('from = "nope"', ["mail", "send"], "mail.from: not an address"),
        ('inbound = "imap"', ["mail", "fetch"], 'mail.imap_host: inbound = "imap" needs'),
        ('from = "s@helpdesk.test"', ["mail", "send"], "outgoing mail is off"),
        ('from = "s@helpdesk.test"', ["mail", "fetch"], "no incoming mail configured"),
    ],
)
def test_mail_commands_without_what_they_need(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, argv: list[str], message: str
) -> None:
    path = tmp_path / "some.toml"
    path.write_text(f"[mail]\n{toml}\n")
    code, _, err = run(capsys, "--config", str(path), *argv)
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_broken_template_stops_sending_with_one_line(
    config: Path, smtp: Sink, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "reply.txt").write_text("Subject: $subjcet\n\nx\n")
    path = tmp_path / "helpdesk-tui.toml"
    path.write_text(
        path.read_text().replace("[mail]\n", f'[mail]\ntemplates_dir = "{templates}"\n')
    )
    run(capsys, "ticket", "create", "--subject", "x", "--email", "m@acme.example")
    code, _, err = run(capsys, "mail", "send")
    assert code == 2 and "reply.txt: unknown placeholder $subjcet" in err
    assert smtp.messages == []


def test_mail_login_keeps_the_password_in_the_keyring(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_secrets import MemoryKeyring

    path = Path(str(config)).parent / "helpdesk-tui.toml"
    path.write_text(path.read_text().replace("[mail]\n", '[mail]\nsmtp_user = "desk"\n'))
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("pass with spaces\n"))
        code, out, err = run(capsys, "mail", "login", "smtp", "--stdin")
    finally:
        keyring.set_keyring(previous)
    assert code == 0, err
    account = f"smtp://desk@127.0.0.1:{path.read_text().split('smtp_port = ')[1].split()[0]}"
    assert backend.items == {("helpdesk-tui", account): "pass with spaces"}
    assert "pass with spaces" not in out
