"""Incoming mail over IMAP from a real Dovecot on loopback, with its own configuration in a
temporary folder (a passwd-file user, plain IMAP and IMAPS with a self-signed certificate).

Without Dovecot the tests are skipped, unless HELPDESK_REQUIRE_IMAP=1 (CI) makes that a
failure: `apt-get install dovecot-imapd`.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Status
from helpdesk_tui.mail.outgoing import MailError
from helpdesk_tui.mail.sources import DONE_KEYWORD, FetchReport, Quarantine, fetch_imap
from helpdesk_tui.settings.config import MailSettings
from helpdesk_tui.store.sql import SqlRepository

from .conftest import Clock, free_port, intake
from .messages import mail

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "desk", "s3cret pass"


@dataclass
class Imap:
    port: int
    tls_port: int
    folder: Path

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, raw: bytes, flags: str | None = None) -> None:
        imap = self.client()
        try:
            assert imap.append("INBOX", flags, None, raw)[0] == "OK"
        finally:
            imap.logout()

    def flags(self) -> list[bytes]:
        imap = self.client()
        try:
            imap.select("INBOX", readonly=True)
            _status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [d for d in data if isinstance(d, bytes)]
        finally:
            imap.logout()


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    text = log.read_text() if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not start on port {port}: {text[-2000:]}")


@pytest.fixture
def dovecot(certificate: tuple[Path, Path]) -> Iterator[Imap]:
    if not Path(DOVECOT).exists():
        if os.environ.get("HELPDESK_REQUIRE_IMAP") == "1":
            pytest.fail("HELPDESK_REQUIRE_IMAP=1 but Dovecot is not installed (dovecot-imapd)")
        pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd")
    # Outside pytest's private tmp folders: Dovecot's unprivileged processes must reach it.
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    folder.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (folder / sub).mkdir()
    cert, key = certificate
    shutil.copy(cert, folder / "cert.pem")
    shutil.copy(key, folder / "key.pem")
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        # Dovecot refuses to give mail to root: the mail belongs to "nobody".
        uid, gid = 65534, 65534
        os.chown(folder / "mail", uid, gid)
        users = ""
    else:
        # Not root: every Dovecot process runs as this user.
        me = pwd.getpwuid(uid).pw_name
        users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
    port, tls_port = free_port(), free_port()
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (folder / "dovecot.conf").write_text(
        f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = helpdesk-test-{port}
log_path = {folder}/dovecot.log
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
first_valid_uid = 1
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, folder / "dovecot.log")
        _wait_for(tls_port, process, folder / "dovecot.log")
        yield Imap(port, tls_port, folder)
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def imap_settings(settings: MailSettings, dovecot: Imap) -> MailSettings:
    return replace(
        settings,
        inbound="imap",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        imap_user=USER,
    )


def fetch(
    repo: SqlRepository,
    clock: Clock,
    settings: MailSettings,
    tmp_path: Path,
    password: str = PASSWORD,
) -> FetchReport:
    return fetch_imap(
        settings, password, intake(repo, clock, settings), Quarantine(tmp_path / "aside", clock)
    )


def test_imap_mail_is_taken_in_once_and_marked_done(
    repo: SqlRepository, clock: Clock, imap_settings: MailSettings, dovecot: Imap, tmp_path: Path
) -> None:
    dovecot.append(mail(subject="Invoices are not exported"))
    dovecot.append(b"Subject: who sent this?\r\n\r\nnobody\r\n")
    # Already read by an agent's mail client: still taken in.
    dovecot.append(mail(subject="Second request", sender="bob@globex.example"), r"(\Seen)")
    report = fetch(repo, clock, imap_settings, tmp_path)
    assert [(o.action, repo.get(o.key).subject) for o in report.taken] == [
        ("created", "Invoices are not exported"),
        ("created", "Second request"),
    ]
    [(kept, reason)] = report.quarantined
    assert reason == "no From header: nobody to answer"
    assert kept.read_bytes().startswith(b"Subject: who sent this?")
    flags = dovecot.flags()
    assert all(DONE_KEYWORD.encode() in f and b"\\Seen" in f for f in flags)
    assert [b"\\Flagged" in f for f in flags] == [False, True, False]
    # Nothing new: a second run (cron, a minute later) takes nothing in.
    again = fetch(repo, clock, imap_settings, tmp_path)
    assert again.taken == [] and again.quarantined == []
    key = report.taken[0].key
    svc_reply = mail(subject=f"Re: [{key}] Invoices are not exported", body="Any news?")
    dovecot.append(svc_reply)
    third = fetch(repo, clock, imap_settings, tmp_path)
    assert [(o.action, o.key) for o in third.taken] == [("commented", key)]
    assert repo.comments(key)[-1].body == "Any news?"
    assert repo.get(key).status is Status.NEW


def test_imaps_with_the_servers_ca_and_refusals_in_one_line(
    repo: SqlRepository,
    clock: Clock,
    imap_settings: MailSettings,
    dovecot: Imap,
    tmp_path: Path,
    certificate: tuple[Path, Path],
) -> None:
    dovecot.append(mail())
    secure = replace(imap_settings, imap_port=dovecot.tls_port, imap_security="ssl")
    with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(repo, clock, secure, tmp_path)
    trusted = replace(secure, ca_file=certificate[0])
    with pytest.raises(MailError) as refused:
        fetch(repo, clock, trusted, tmp_path, password="wrong horse")
    said = str(refused.value)
    assert "login refused for desk: [AUTHENTICATIONFAILED]" in said and "wrong horse" not in said
    assert len(fetch(repo, clock, trusted, tmp_path).taken) == 1
    starttls = replace(imap_settings, imap_security="starttls", ca_file=certificate[0])
    dovecot.append(mail(subject="Over STARTTLS"))
    assert [o.action for o in fetch(repo, clock, starttls, tmp_path).taken] == ["created"]
