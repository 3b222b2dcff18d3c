"""One mail never stops the intake, and nothing a customer wrote is lost on the way in:
broken messages between good ones, raw 8-bit headers, file names too long in bytes,
CPython's own awkward test messages (copied under cpython/), a reused Message-ID, and a
large message read as a stream."""

from __future__ import annotations

import mailbox
import tracemalloc
from pathlib import Path

from helpdesk_tui.store.base import Query

from .conftest import Read
from .messages import mail
from .test_intake import Desk, desk, opened

__all__ = ["desk"]  # the fixture, shared with the intake tests

CPYTHON = Path(__file__).parent / "cpython"
JAPANESE = "請求書のエクスポートが失敗します"


def cpython(name: str) -> bytes:
    return (CPYTHON / f"{name}.txt").read_bytes()


def eight_bit(subject: bytes, sender: bytes, body: bytes = b"Body text.\r\n") -> bytes:
    """A message as some clients send it: raw 8-bit header bytes, no encoded words."""
    return (
        b"From: " + sender + b"\r\n"
        b"To: support@helpdesk.test\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Wed, 04 Mar 2026 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n" + body
    )


LONG_NAME = "報告書" * 60 + ".pdf"  # 184 characters, 544 bytes in UTF-8
BROKEN = {
    "no sender": b"Subject: who sent this?\r\n\r\nnobody\r\n",
    "empty": b"",
    "only blank lines": b"\r\n\r\n\r\n",
    "binary noise": bytes(range(256)) * 40,
    "no address": b"From: Maria\r\nSubject: hi\r\n\r\nbody\r\n",
}


def test_broken_mail_between_good_mail_stops_nothing(desk: Desk) -> None:
    good = [
        mail(subject="First good one"),
        eight_bit(JAPANESE.encode(), "Ōno Tarō <taro@acme.example>".encode()),
        eight_bit(b"Caf\xe9 cr\xe8me", b"Ren\xe9e <renee@acme.example>"),  # Latin-1
        mail(subject="Long file name", files=((LONG_NAME, "application/pdf", b"%PDF-1.7"),)),
        b"From: deep@acme.example\r\nSubject: Nested\r\nContent-Type: message/rfc822\r\n\r\n"
        + b"From: deep@acme.example\r\nContent-Type: message/rfc822\r\n\r\n" * 2000
        + b"the innermost text\r\n",
        eight_bit(b"=?x-unknown?q?Gr=FC=DFe?=", b"jo@acme.example", b"Gr\xfc\xdfe aus K\xf6ln\r\n"),
        mail(subject="Last good one"),
    ]
    for raw in good:
        desk.deliver(raw)
        for bad in BROKEN.values():
            desk.deliver(bad)  # between each good one and the next
    report = desk.fetch()
    # Maildir names order the messages only to the second: compare by subject.
    created = {desk.repo.get(o.key).subject: o.key for o in report.taken if o.action == "created"}
    assert sorted(created) == sorted(
        [
            "First good one",
            JAPANESE,
            "Café crème",
            "Long file name",
            "Nested",
            "Grüße",
            "Last good one",
        ]
    )
    assert desk.repo.count(Query()) == len(good)
    taro = desk.repo.get(created[JAPANESE])
    assert (taro.requester_name, taro.requester_email) == ("Ōno Tarō", "taro@acme.example")
    assert desk.repo.get(created["Café crème"]).requester_name == "Renée"
    [note] = desk.repo.comments(created["Long file name"])
    [pdf] = note.attachments
    assert pdf.filename.endswith(".pdf") and len(pdf.filename.encode()) <= 200
    assert pdf.filename.startswith("報告書報告書")
    assert (
        desk.repo.attachment_path(created["Long file name"], pdf.id or 0).read_bytes()
        == b"%PDF-1.7"
    )
    # Nesting too deep to walk is not refused: what is deeper is kept as a .eml file.
    [deep] = [a for c in desk.repo.comments(created["Nested"]) for a in c.attachments]
    assert deep.filename.endswith(".eml")
    inner = desk.repo.attachment_path(created["Nested"], deep.id or 0).read_bytes()
    assert inner.endswith(b"the innermost text\r\n")
    # A body declared in no charset, in Latin-1 bytes.
    assert desk.repo.get(created["Grüße"]).description == "Grüße aus Köln"
    # Each broken one is kept aside with its reason, and none is left to block a run.
    assert len(report.quarantined) == len(BROKEN) * len(good)
    assert {why for _path, why in report.quarantined} == {
        "no From header: nobody to answer",
        "an empty file",
        "the From address is not usable: 'Maria'",
    }
    for kept, why in report.quarantined:
        assert kept.with_suffix(".reason").read_text() == f"{why}\n"
    assert not any((desk.maildir / "new").iterdir())
    again = desk.fetch()
    assert again.taken == [] and again.quarantined == []


def test_a_forwarded_message_keeps_its_text(desk: Desk) -> None:
    key = opened(desk, cpython("msg_46"))
    description = desk.repo.get(key).description
    assert "Testing email forwarding with Groupwise 1.2.2010" in description
    assert 'From: "Dr. Sender" <sender@example.net>' in description
    # An inner message with no text of its own still says who wrote what, and when.
    bare = desk.repo.get(opened(desk, cpython("msg_06"))).description
    assert "Subject: testing" in bare and "Date: Thu, 13 Sep 2001 17:28:28 -0400" in bare


def test_every_message_of_a_digest_is_kept_in_order(read: Read) -> None:
    got = read(cpython("msg_02"))
    assert "Today's Topics:" in got.text
    subjects = [line for line in got.text.splitlines() if line.startswith("Subject: [Ppp]")]
    assert subjects == [f"Subject: [Ppp] testing #{n}" for n in (1, 3, 4, 5)]
    assert got.text.count("\nhello\n") == 5
    assert got.text.endswith("http://www.zzz.org/mailman/listinfo/ppp\n\nEnd of Ppp Digest")
    entries = read(cpython("msg_28")).text
    assert entries.index("message 1") < entries.index("message 2")


def test_every_text_part_is_kept_in_order(read: Read) -> None:
    assert read(cpython("msg_04")).text.count("a simple kind of mirror") == 2
    assert read(cpython("msg_10")).text.split("\n\n") == [
        "This is a 7bit encoded message.",
        "¡This is a Quoted Printable encoded message!",
        "This is a Base64 encoded message.",
        "This is a Base64 encoded message.",
        "This has no Content-Transfer-Encoding: header.",
    ]


def test_broken_mime_falls_back_to_the_raw_text(read: Read) -> None:
    # The boundary declared is not the one used: every line is still there.
    mismatched = read(cpython("msg_31")).text
    assert "message 1" in mismatched and "message 2" in mismatched
    # A multipart with no boundary at all.
    assert read(cpython("msg_41")).text == "Blah blah blah"
    # A nested part reusing its parent's boundary: its text and the parent's file.
    nested = read(cpython("msg_15"))
    assert nested.text == "Some removed test. "  # as written, trailing space and all
    assert [f.filename for f in nested.files] == ["xx.gif"]
    # A truncated message: what arrived is kept.
    cut = mail(body="Before the cut.", files=(("a.bin", "application/octet-stream", b"x"),))
    assert read(cut[: cut.index(b"Content-Disposition: attachment")]).text == "Before the cut."


def test_a_reused_message_id_with_other_content_is_its_own_message(desk: Desk) -> None:
    first = opened(desk, cpython("msg_01"))
    # The same Message-ID, other recipients (msg_20 adds Cc lines): another message.
    second = opened(desk, cpython("msg_20"))
    assert first != second
    reused = mail(
        subject="Other question",
        body="Another text.",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
    )
    third = opened(desk, reused)
    assert len({first, second, third}) == 3
    # Fetched twice, the same message is still taken once.
    assert [(o.action, o.key) for o in desk.take(cpython("msg_01")).taken] == [("duplicate", first)]
    assert [(o.action, o.key) for o in desk.take(reused).taken] == [("duplicate", third)]
    assert desk.repo.count(Query()) == 3
    # The acknowledgement still answers the customer's Message-ID as they sent it.
    desk.sent_to("bbb@ddd.com")
    acks = desk.smtp.to("bbb@ddd.com")
    assert {m["In-Reply-To"] for m in acks} == {"<15090.61304.110929.45684@aaa.zzz.org>"}


def test_escape_sequences_are_removed_whole(desk: Desk) -> None:
    key = opened(
        desk,
        mail(
            subject="\x1b[31mRed\x1b[0m alert", body="Log: \x1b[1;31mERROR\x1b[0m disk\x1b]0;t\x07"
        ),
    )
    ticket = desk.repo.get(key)
    assert ticket.subject == "Red alert"
    assert ticket.description == "Log: ERROR disk"


def big_message(path: Path, attachment_mb: int) -> bytes:
    """A message with a text part and one attachment of `attachment_mb` MB, written to
    `path` in pieces; returns the attachment's first bytes, to check the decoded file."""
    import base64

    block = bytes(range(256)) * 3 * 1024  # 768 KiB, a multiple of 3: base64 lines align
    with path.open("wb") as out:
        out.write(
            b"From: Maria <maria@acme.example>\r\nSubject: Big logs\r\n"
            b"Message-ID: <big@acme.example>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain\r\n\r\nThe logs are attached.\r\n"
            b"--b\r\nContent-Type: application/gzip\r\n"
            b'Content-Disposition: attachment; filename="logs.gz"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        encoded = base64.encodebytes(block).replace(b"\n", b"\r\n")
        for _ in range(attachment_mb * 4 // 3):
            out.write(encoded)
        out.write(b"\r\n--b--\r\n")
    return block


def test_a_large_message_is_read_as_a_stream(tmp_path: Path) -> None:
    from helpdesk_tui.mail.parsing import parse

    source = tmp_path / "big.eml"
    block = big_message(source, 24)
    size = source.stat().st_size
    tracemalloc.start()
    try:
        got = parse(source, tmp_path / "parts")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.text == "The logs are attached."
    [logs] = got.files
    assert logs.filename == "logs.gz" and logs.path is not None
    assert logs.size == logs.path.stat().st_size == len(block) * (24 * 4 // 3)
    with logs.path.open("rb") as decoded:
        assert decoded.read(len(block)) == block
    # Python's allocations while reading: a few buffers, not the message (~32 MB).
    assert peak < size // 20, (peak, size)


def test_a_large_message_becomes_a_ticket_with_its_file(desk: Desk, tmp_path: Path) -> None:
    source = tmp_path / "big.eml"
    block = big_message(source, 3)
    mailbox.Maildir(desk.maildir).add(source.read_bytes())
    [outcome] = desk.fetch().taken
    [note] = desk.repo.comments(outcome.key)
    [logs] = note.attachments
    stored = desk.repo.attachment_path(outcome.key, logs.id or 0)
    assert stored.stat().st_size == len(block) * 4
