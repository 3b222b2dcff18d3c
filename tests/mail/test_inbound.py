"""Reading incoming mail as untrusted text: sender, text, files, and who (or what) sent it."""

from __future__ import annotations

import pytest

from helpdesk_tui.mail.htmltext import html_to_text
from helpdesk_tui.mail.inbound import Malformed, Nature
from helpdesk_tui.mail.replies import is_confirmation, reply_part, score_of

from .conftest import Read
from .messages import bounce, mail


def test_a_persons_mail(read: Read) -> None:
    got = read(mail(files=(("report.pdf", "application/pdf", b"%PDF-1.4 data"),)))
    assert (got.sender, got.sender_name) == ("maria@acme.example", "Maria Lopez")
    assert got.nature is Nature.PERSON and got.why == ""
    assert got.subject == "Checkout fails with error 503"
    assert got.text == "Since this morning every checkout fails.\nOrder 1042."
    assert [(f.filename, f.content_type, f.data) for f in got.files] == [
        ("report.pdf", "application/pdf", b"%PDF-1.4 data")
    ]
    assert got.message_id.startswith("<") and got.message_id.endswith("@acme.example>")


def test_html_only_mail_becomes_plain_text_without_markup(read: Read) -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>Hello &amp; good <b>morning</b>,</p><script>alert('x')</script>"
        '<p>see <a href="https://status.acme.example/i/42">the status page</a>'
        '<img src="https://track.example/p.gif" alt="chart"></p>'
        "<ul><li>first</li><li>second</li></ul>&lt;not a tag&gt;</body></html>"
    )
    got = read(mail(body="", html=html))
    assert got.text == (
        "Hello & good morning,\n\n"
        "see the status page <https://status.acme.example/i/42>[image: chart]\n\n"
        "- first\n\n- second\n\n<not a tag>"
    )
    assert "alert" not in got.text and "color" not in got.text


def test_the_plain_alternative_is_preferred_and_escapes_are_dropped(read: Read) -> None:
    got = read(mail(body="Plain \x1b[31mred\x1b[0m text\tok", html="<p>HTML</p>"))
    assert got.text == "Plain red text\tok"  # each escape sequence removed whole
    assert got.files == ()


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: [HD-1] x", None, "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "Newsletter", None, "Precedence: bulk"),
        ({"Precedence": "auto_reply"}, "x", None, "Precedence: auto_reply"),
        ({"X-Autoreply": "yes"}, "x", None, "X-Autoreply header"),
        ({"Return-Path": "<>"}, "x", None, "null Return-Path"),
        ({"List-Id": "<users.lists.acme.example>"}, "x", None, "a mailing list (List-Id)"),
        ({}, "Automatic reply: Checkout fails", None, "an automatic-reply subject"),
    ],
)
def test_machines_are_told_apart(
    read: Read, headers: dict[str, str], subject: str, sender: str | None, why: str
) -> None:
    got = read(mail(subject=subject, headers=headers, sender=sender or "maria@acme.example"))
    assert got.nature is Nature.AUTOMATIC and got.why == why


def test_auto_submitted_no_is_a_person(read: Read) -> None:
    assert read(mail(headers={"Auto-Submitted": "no"})).nature is Nature.PERSON


def test_bounces_and_what_they_returned(read: Read) -> None:
    got = read(bounce("[HD-1] Checkout fails"))
    assert got.nature is Nature.BOUNCE
    assert "User unknown" in got.text
    assert "Subject: [HD-1] Checkout fails" in got.returned
    assert got.files == ()
    daemon = read(mail(sender="MAILER-DAEMON@mx.acme.example", subject="failure"))
    assert daemon.nature is Nature.BOUNCE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"Subject: hello\r\n\r\nno sender here\r\n", "no From header"),
        (b"From: Maria\r\nSubject: hi\r\n\r\nbody\r\n", "not usable: 'Maria'"),
        (b"From: <@@>\r\nSubject: hi\r\n\r\nbody\r\n", "not usable"),
    ],
)
def test_mail_that_cannot_be_taken_in_says_why(read: Read, raw: bytes, reason: str) -> None:
    with pytest.raises(Malformed, match=reason):
        read(raw)


def test_a_missing_message_id_is_made_from_the_content(read: Read) -> None:
    raw = b"From: maria@acme.example\r\nSubject: hi\r\n\r\nbody\r\n"
    first, again = read(raw), read(raw)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256.")
    assert read(raw + b"more\r\n").message_id != first.message_id


def test_file_names_cannot_reach_outside_or_collide(read: Read) -> None:
    got = read(
        mail(
            files=(
                ("../../etc/passwd", "text/plain", b"root"),
                ("C:\\Users\\x\\evil.exe", "application/octet-stream", b"MZ"),
                ("passwd", "text/plain", b"second"),
                ("", "image/png", b"\x89PNG"),
            )
        )
    )
    assert [f.filename for f in got.files] == [
        "passwd",
        "evil.exe",
        "passwd-2",
        "attachment-4.png",
    ]


def test_what_a_reply_says_above_the_quote() -> None:
    text = (
        "Still broken, see attached.\n\n"
        "On Tue, 3 Mar 2026 at 10:00, Support Desk <support@helpdesk.test>\n"
        "wrote:\n> Could you send the log?\n"
    )
    assert reply_part(text) == "Still broken, see attached."
    assert reply_part("5\n-- \nMaria Lopez\nAcme") == "5"
    assert reply_part("ok\n-----Original Message-----\nFrom: x") == "ok"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("5", (5, "")),
        ("4 - quick and clear, thank you", (4, "quick and clear, thank you")),
        ("3/5 took a while\nbut fine", (3, "took a while\nbut fine")),
        ("**2** stars.", (2, "")),
        ("1\n\nOn Mon, Support wrote:\n> 5 is best", (1, "")),
        ("10 out of 10", None),
        ("4.5", None),
        ("six", None),
        ("0", None),
        ("Thanks, all good", None),
    ],
)
def test_survey_scores(text: str, found: tuple[int, str] | None) -> None:
    assert score_of(text) == found


@pytest.mark.parametrize(
    ("text", "confirms"),
    [
        ("CONFIRM", True),
        ("Confirmed, thanks!", True),
        ("solved thank you Anna", True),
        ("It works.\n\n> We believe HD-1 is resolved", True),
        ("Confirm? No, it still fails", False),
        ("yes", False),
        ("Not solved", False),
    ],
)
def test_confirmations(text: str, confirms: bool) -> None:
    assert is_confirmation(text) is confirms


def test_html_to_text_keeps_preformatted_text() -> None:
    assert html_to_text("<pre>a   b\n  c</pre><p>x   y</p>") == "a   b\n  c\n\nx y"
