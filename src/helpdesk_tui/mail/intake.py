"""What an incoming message does to the tickets, through the service like everything else.

- A message whose subject carries one of our keys (`[HD-123]`), or that answers one of
  our Message-IDs, belongs to that ticket:
  - from the requester (or a colleague at the same domain): a customer reply, which
    reopens a pending or resolved ticket; on a resolved ticket a bare "CONFIRM" closes
    it instead, and an answer to the survey ("4 - quick") records the CSAT score;
  - a closed ticket is final: a new message opens a follow-up ticket linked to it;
  - from anybody else, or sent by a machine: an internal note, nothing reopens.
- Any other message opens a ticket: the sender is the requester, the organization comes
  from their domain, the files are kept; the sender gets the acknowledgement, unless a
  machine sent it.
- A bounce is noted on the ticket it names, never answered; one naming no ticket is
  kept aside (`Rejected`), as is mail the service refuses.

Every write carries the message's Message-ID and content hash (`MailRecord`), so a
message is taken in once however often it is fetched (`duplicate`), while another
message that reuses a Message-ID (clients and scripts do) is taken in as its own.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..domain.followup import MailKind
from ..domain.lifecycle import TransitionError
from ..domain.model import MAX_ATTACHMENT_BYTES, Channel, Status, keys_of
from ..service import MAX_BODY, MAX_SUBJECT, HelpdeskService, ServiceError, TicketDraft
from ..settings.config import MailSettings
from ..store.base import (
    ConflictError,
    DuplicateMail,
    InvalidInput,
    MailDirection,
    MailRecord,
    NotFound,
)
from .headers import MESSAGE_ID_RE
from .inbound import Inbound, Malformed, Nature
from .outgoing import parse_our_id
from .parsing import parse
from .replies import is_confirmation, score_of

ATTEMPTS = 3
"""Tries of one message when an agent's write gets in between (a version conflict)."""

PERSONAL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "aol.com",
    }
)
"""Mail providers of private people: their domain names no customer organization."""


class Rejected(ValueError):
    """A message that opens nothing and answers nothing: kept aside with this reason."""


@dataclass(frozen=True, slots=True)
class Outcome:
    action: str
    """created, commented, reopened, confirmed, csat, noted or duplicate."""
    key: str
    detail: str = ""


class Intake:
    def __init__(self, service: HelpdeskService, settings: MailSettings) -> None:
        queue = service.outbox()
        if queue is None:
            raise ServiceError("this store does not take mail in (Request Tracker has its own)")
        self.service = service
        self.queue = queue
        self.settings = settings
        keys = keys_of(service.key_prefix)
        self._key_in_subject = re.compile(rf"\[\s*({keys})\s*\]", re.I)

    def take(self, source: bytes | Path) -> Outcome:
        """Take one message in (its bytes, or better its file: it is read as a stream);
        Malformed or Rejected (with the reason) if it cannot be."""
        with tempfile.TemporaryDirectory(prefix="helpdesk-mail-") as work:
            folder = Path(work)
            if isinstance(source, bytes):
                source_path = folder / "message.eml"
                source_path.write_bytes(source)
            else:
                source_path = source
            mail = parse(source_path, folder / "parts")
            return self._take_once(mail, source_path, folder)

    def _take_once(self, mail: Inbound, source: Path, folder: Path) -> Outcome:
        for attempt in range(ATTEMPTS):
            seen = self._seen(mail)
            if seen is not None:
                return Outcome("duplicate", seen, mail.message_id)
            try:
                # A folder per attempt: the files of a failed one are not in the way.
                return self._take(mail, source, folder / f"try-{attempt}")
            except DuplicateMail:
                continue  # another fetch took it in meanwhile: the check above says which
            except ConflictError:
                if attempt == ATTEMPTS - 1:
                    raise
            except (ServiceError, TransitionError, InvalidInput) as exc:
                raise Rejected(f"refused: {exc}") from None
        seen = self._seen(mail)
        return Outcome("duplicate", seen or "?", mail.message_id)

    def _seen(self, mail: Inbound) -> str | None:
        """The ticket that took this message in, if one did. A message bearing one of our
        own Message-IDs is our own mail come back (a forward, a Bcc, a loop): seen."""
        if parse_our_id(mail.message_id) is not None:
            ours = self.queue.mail_seen(mail.message_id)
            if ours is not None:
                return ours
        return self.queue.mail_seen(mail.record_id)

    # -- deciding ----------------------------------------------------------------------

    def _take(self, mail: Inbound, source: Path, folder: Path) -> Outcome:
        key = self._key(mail)
        try:
            ticket = self.service.latest(key) if key else None
        except NotFound:
            ticket = None  # a key of ours that is gone (purged): a new request
        if mail.nature is Nature.BOUNCE:
            if ticket is None:
                raise Rejected(f"a bounce ({mail.why}) that names no ticket of ours")
            body = f"Delivery failure reported by {mail.sender}:\n\n{mail.text}"
            if mail.returned:
                body += f"\n\nThe returned message:\n{mail.returned}"
            return self._note(ticket.key, mail, "bounce", body, folder)
        if ticket is None:
            return self._new(mail, source, folder, follow_up_of=None)
        if mail.nature is Nature.AUTOMATIC:
            body = f"Automatic message from {mail.sender} ({mail.why}):\n\n{mail.text}"
            return self._note(ticket.key, mail, "automatic", body, folder)
        requester = ticket.requester_email.lower()
        from_requester = mail.sender.lower() == requester
        score = score_of(mail.text) if self._answers_survey(mail) else None
        done = ticket.status in (Status.RESOLVED, Status.CLOSED)
        if score is not None and done and from_requester:
            record = self._received(mail, "csat")
            self.service.customer_csat(ticket.key, score[0], score[1], mail.sender, received=record)
            return Outcome("csat", ticket.key, f"{score[0]}/5")
        if ticket.status.is_final:
            return self._new(mail, source, folder, follow_up_of=ticket.key)
        if not from_requester and _domain(mail.sender) != _domain(requester):
            # Anybody can put a key in a subject: a stranger's mail reopens nothing.
            body = f"Mail from {mail.sender}, who is not the requester:\n\n{mail.text}"
            return self._note(ticket.key, mail, "other_sender", body, folder)
        files = self._files(mail, folder)
        text = self._body(mail, files) or f"(no text; {len(files)} files attached)"
        if ticket.status is Status.RESOLVED and from_requester and is_confirmation(mail.text):
            record = self._received(mail, "confirmation")
            self.service.customer_confirm(ticket.key, text, mail.sender, received=record)
            return Outcome("confirmed", ticket.key)
        was = ticket.status
        self.service.customer_reply(
            ticket.key, text, mail.sender, attachments=files, received=self._received(mail, "reply")
        )
        reopened = was in (Status.PENDING, Status.RESOLVED)
        return Outcome("reopened" if reopened else "commented", ticket.key)

    def _key(self, mail: Inbound) -> str | None:
        """The ticket a message is about: a key in its subject, or one of our Message-IDs it
        answers (some clients drop the subject tag), or, for a bounce, the returned one's."""
        found = self._key_in_subject.search(f"{mail.subject}\n{mail.returned}")
        if found:
            return found.group(1).upper()
        answered = [*mail.references, *MESSAGE_ID_RE.findall(mail.returned)]
        for hit in map(parse_our_id, answered):
            if hit and hit[0].startswith(f"{self.service.key_prefix}-"):
                return hit[0]
        return None

    def _answers_survey(self, mail: Inbound) -> bool:
        answered = [parse_our_id(ref) for ref in mail.references]
        if any(hit and hit[1] is MailKind.CSAT_REQUEST for hit in answered):
            return True
        if re.search(r"\bcsat\b", mail.subject, re.I):
            return True
        # A reply that is nothing but a score answers the survey wherever it was typed.
        score = score_of(mail.text)
        return score is not None and not score[1]

    # -- writing -----------------------------------------------------------------------

    def _new(self, mail: Inbound, source: Path, folder: Path, follow_up_of: str | None) -> Outcome:
        files = self._files(mail, folder)
        text = self._body(mail, files)
        if len(text) > MAX_BODY:
            # Too long for a description: the start, and the whole message as a file.
            said = "the whole message is attached"
            if source.stat().st_size <= MAX_ATTACHMENT_BYTES:
                (folder / "original").mkdir(parents=True)
                original = folder / "original" / "original-message.eml"
                shutil.copyfile(source, original)
                files.append(original)
            else:
                said = "the rest is in the files and the mail server's copy"
            text = text[: MAX_BODY - 200] + f"\n\n[… cut: {said}]"
        subject = self._key_in_subject.sub("", mail.subject).strip(" -:")
        if follow_up_of:
            subject = re.sub(r"^((re|fwd?|aw|sv|vs)\s*:\s*)+", "", subject, flags=re.I).strip()
        automatic = mail.nature is not Nature.PERSON
        draft = TicketDraft(
            subject=subject[:MAX_SUBJECT] or "(no subject)",
            description=text,
            requester_name=mail.sender_name,
            requester_email=mail.sender,
            organization=self._organization(mail.sender),
            channel=Channel.EMAIL,
            tags=("automatic",) if automatic else (),
            follow_up_of=follow_up_of,
        )
        note = None
        if files:
            note = "Files sent with the message: " + ", ".join(path.name for path in files)
        ticket = self.service.create(
            draft,
            first_comment=note,
            attachments=files,
            received=self._received(mail, "follow_up" if follow_up_of else "request"),
            acknowledge=not automatic,
        )
        return Outcome(
            "created", ticket.key, f"follow-up of {follow_up_of}" if follow_up_of else ""
        )

    def _note(self, key: str, mail: Inbound, kind: str, body: str, folder: Path) -> Outcome:
        files = self._files(mail, folder)
        record = self._received(mail, kind)
        self.service.mail_note(key, body, mail.sender, attachments=files, received=record)
        return Outcome("noted", key, kind)

    @staticmethod
    def _received(mail: Inbound, kind: str) -> MailRecord:
        return MailRecord(
            MailDirection.IN, kind, mail.sender, subject=mail.subject, message_id=mail.record_id
        )

    @staticmethod
    def _files(mail: Inbound, folder: Path) -> list[Path]:
        """The message's files, written out for the store to copy in; too large ones are
        left out (the text says so: see `_body`)."""
        paths = []
        for index, file in enumerate(mail.files):
            if file.path is None:
                continue
            place = folder / str(index)
            place.mkdir(parents=True)
            path = place / file.filename
            try:
                os.link(file.path, path)  # the decoded file under its name, not a copy
            except OSError:
                shutil.copyfile(file.path, path)
            paths.append(path)
        return paths

    @staticmethod
    def _body(mail: Inbound, files: list[Path]) -> str:
        """The text, saying which files were too large to keep."""
        text = mail.text.strip()
        left_out = [f for f in mail.files if f.path is None]
        for file in left_out:
            text += (
                f"\n\n[{file.filename} ({file.size / 1e6:.1f} MB) was not kept: "
                f"files are limited to {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB]"
            )
        return text

    def _organization(self, address: str) -> str | None:
        domain = _domain(address)
        if domain in self.settings.organizations:
            return self.settings.organizations[domain]
        return None if domain in PERSONAL_DOMAINS else domain


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


__all__ = ["Intake", "Malformed", "Outcome", "Rejected"]
