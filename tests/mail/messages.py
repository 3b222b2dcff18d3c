"""Mail as customers' clients, robots and mail servers write it, for the intake tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def mail(
    subject: str = "Checkout fails with error 503",
    body: str = "Since this morning every checkout fails.\nOrder 1042.",
    sender: str = "Maria Lopez <maria@acme.example>",
    *,
    html: str | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@helpdesk.test"
    message["Subject"] = subject
    message["Date"] = "Wed, 04 Mar 2026 10:00:00 +0000"
    message["Message-ID"] = message_id or make_msgid(domain="acme.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    for filename, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def bounce(
    returned_subject: str,
    recipient: str = "maria@acme.example",
    returned_id: str = "<HD-1.reply.3.1772620200000000@helpdesk.test>",
) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix sends it."""
    return f"""\
From: MAILER-DAEMON@mx.helpdesk.test (Mail Delivery System)
To: support@helpdesk.test
Subject: Undelivered Mail Returned to Sender
Date: Wed, 04 Mar 2026 10:05:00 +0000
Message-ID: <20260304100500.ABC@mx.helpdesk.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.acme.example said: 550 5.1.1 User unknown

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.helpdesk.test
Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1

--BOUND
Content-Type: text/rfc822-headers

From: Support Desk <support@helpdesk.test>
To: {recipient}
Subject: {returned_subject}
Message-ID: {returned_id}

--BOUND--
""".replace("\n", "\r\n").encode()
