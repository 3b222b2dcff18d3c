"""Where incoming mail comes from, and where what cannot be taken in is kept.

- A Maildir the mail server delivers into: each file in `new/` is taken in, then moved
  to `cur/` marked seen (the standard move a mail reader makes).
- An IMAP mailbox: each message without our `$HelpdeskDone` keyword is fetched without
  marking it read, taken in, then given the keyword (and \\Seen). Agents can still read
  the mailbox with a mail client: what they mark read is still taken in.

Safe from cron: a message is marked done only after the store committed it, and the
store takes each message once, so a run that dies half way, or two runs at once,
take nothing in twice; a lock file makes a second run at the same time simply wait
its turn. Each message is taken in on its own: one that cannot be (malformed, refused,
or failing in a way nobody foresaw) goes to the quarantine folder, as it came, beside a
`.reason` file with one line saying why, is marked done, and the run goes on; else one
bad message would stop every run and hold up all the mail behind it. Only a store that
cannot be reached stops the run: that is no message's fault, and all of them wait.
"""

from __future__ import annotations

import fcntl
import imaplib
import os
import re
import shutil
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..settings.config import MailSettings
from ..store.base import ConflictError, StoreUnavailable
from .inbound import Malformed
from .intake import Intake, Outcome, Rejected
from .outgoing import MailError

DONE_KEYWORD = "$HelpdeskDone"
"""The IMAP keyword of messages taken in (or kept aside)."""


@dataclass(slots=True)
class FetchReport:
    taken: list[Outcome] = field(default_factory=list)
    quarantined: list[tuple[Path, str]] = field(default_factory=list)
    """(where the message now is, why)."""


class Quarantine:
    """A folder of messages kept aside: `<when>-<name>.eml` and its `.reason` line."""

    def __init__(self, folder: Path, clock: Callable[[], datetime]) -> None:
        self.folder = folder
        self.clock = clock

    def keep(self, raw: bytes | Path, name: str, reason: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name.removesuffix(".eml"))[-80:] or "message"
        base = f"{self.clock():%Y%m%dT%H%M%SZ}-{safe}"
        path = self.folder / f"{base}.eml"
        number = 1
        while path.exists():
            number += 1
            path = self.folder / f"{base}-{number}.eml"
        _write_private(path, raw)
        line = " ".join(reason.split())
        _write_private(path.with_suffix(".reason"), f"{line}\n".encode())
        return path


def _write_private(path: Path, data: bytes | Path) -> None:
    # Mail is personal data: readable by the helpdesk's user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        if isinstance(data, bytes):
            out.write(data)
        else:
            with data.open("rb") as source:
                shutil.copyfileobj(source, out)  # a large message is copied, never read whole


def _take(
    intake: Intake, quarantine: Quarantine, raw: bytes | Path, name: str, report: FetchReport
) -> bool | None:
    """Take one message in; False when it went to the quarantine, None when it is left
    for the next run (an agent's writes kept getting in the way)."""
    try:
        report.taken.append(intake.take(raw))
        return True
    except StoreUnavailable:
        raise  # no message's fault: the run stops, every message waits for the next one
    except ConflictError as exc:
        report.taken.append(Outcome("deferred", exc.key, "changed meanwhile: next run"))
        return None
    except (Malformed, Rejected) as exc:
        reason = str(exc)
    except Exception as exc:  # a failure nobody foresaw must not hold up the mail behind
        reason = f"could not be taken in: {type(exc).__name__}: {exc}"[:300]
    report.quarantined.append((quarantine.keep(raw, name, reason), reason))
    return False


@contextmanager
def one_at_a_time(lock_file: Path) -> Iterator[None]:
    """Hold the fetch lock: a second fetch waits for the first (cron every minute)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch_maildir(
    maildir: Path, intake: Intake, quarantine: Quarantine, limit: int = 500
) -> FetchReport:
    """Take in the new messages of a Maildir, oldest first, at most `limit`."""
    new, cur = maildir / "new", maildir / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise MailError(f"{maildir} is not a Maildir (it needs new/ and cur/ folders)")
    report = FetchReport()
    names = sorted(entry.name for entry in os.scandir(new) if entry.is_file())[:limit]
    for name in names:
        if not (new / name).is_file():
            continue  # another fetch moved it meanwhile
        try:
            taken = _take(intake, quarantine, new / name, name, report)
        except FileNotFoundError:
            continue  # another fetch moved it meanwhile (while it was read)
        if taken is None:
            continue
        with suppress(FileNotFoundError):  # another fetch moved it meanwhile
            # Maildir's ":2,S": read. The name is kept, so the move is idempotent.
            os.rename(new / name, cur / f"{name.partition(':')[0]}:2,S")
    return report


def fetch_imap(
    settings: MailSettings,
    password: str | None,
    intake: Intake,
    quarantine: Quarantine,
    limit: int = 500,
) -> FetchReport:
    """Take in the messages of the IMAP folder that do not carry DONE_KEYWORD yet."""
    where = f"{settings.imap_host}:{settings.port('imap')}"
    if not password:
        raise MailError(
            "no IMAP password: run `helpdesk-tui mail login imap` or set $HELPDESK_IMAP_PASSWORD"
        )
    try:
        imap = _connect(settings)
    except (imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
        raise MailError(f"IMAP {where}: {_said(exc)}") from None
    report = FetchReport()
    try:
        try:
            _ok(imap.login(settings.imap_user, password), "login")
        except imaplib.IMAP4.error as exc:
            raise imaplib.IMAP4.error(
                f"login refused for {settings.imap_user}: {_said(exc)}"
            ) from None
        _ok(imap.select(_quoted(settings.imap_folder)), f"select {settings.imap_folder}")
        found = _ok(imap.uid("SEARCH", "UNKEYWORD", DONE_KEYWORD), "search")
        uids = found[0].split()[:limit] if found and found[0] else []
        for uid in uids:
            data = _ok(imap.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if not isinstance(raw, bytes):
                continue  # expunged meanwhile
            name = f"imap-{settings.imap_folder}-{uid.decode()}"
            taken = _take(intake, quarantine, raw, name, report)
            if taken is None:
                continue
            flags = f"(\\Seen {DONE_KEYWORD})" if taken else f"(\\Seen \\Flagged {DONE_KEYWORD})"
            _ok(imap.uid("STORE", uid, "+FLAGS", flags), "store flags")
    except (imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
        raise MailError(f"IMAP {where}: {_said(exc)}") from None
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    return report


def _connect(settings: MailSettings) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    host, port, timeout = settings.imap_host, settings.port("imap"), settings.timeout
    if settings.imap_security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    imap = imaplib.IMAP4(host, port, timeout=timeout)
    if settings.imap_security == "starttls":
        imap.starttls(ssl_context=context)
    return imap


def _ok(answer: tuple[str, Sequence[Any]], what: str) -> Sequence[Any]:
    status, data = answer
    if status != "OK":
        said = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{what}: {status} {said}".strip())
    return data


def _said(exc: BaseException) -> str:
    """An error as one line: imaplib hands the server's words over as bytes."""
    parts = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in exc.args]
    return " ".join(" ".join(parts).split()) or type(exc).__name__


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
