"""Mail: the acknowledgement, replies, reminders, the resolution notice and the survey go
out (`outgoing`, from editable `templates`); customers' mail comes in (`parsing` reads it
into an `inbound` record, `intake` acts on it through the service, `sources` fetches it
from a Maildir or IMAP). The command line and cron reach all of it through `send_queued`
and `fetch`.

Beside the service: it uses the service, the domain and the store's protocol, never UI.
"""

from __future__ import annotations

from ..service import HelpdeskService
from ..settings.config import MailSettings, Settings
from ..settings.secrets import load_mail_password
from .intake import Intake
from .outgoing import Composer, DeliveryReport, MailError, SmtpTransport, deliver
from .sources import FetchReport, Quarantine, fetch_imap, fetch_maildir, one_at_a_time
from .templates import Templates

SMTP_PASSWORD_ENV = "HELPDESK_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "HELPDESK_IMAP_PASSWORD"


def account(settings: MailSettings, protocol: str) -> str:
    """The keyring account a mail server's password is kept under."""
    user = settings.smtp_user if protocol == "smtp" else settings.imap_user
    host = settings.smtp_host if protocol == "smtp" else settings.imap_host
    return f"{protocol}://{user}@{host}:{settings.port(protocol)}"


def send_queued(service: HelpdeskService, settings: MailSettings) -> DeliveryReport:
    """Send the queued mail that is due (`helpdesk-tui mail send`, and `sla sweep`)."""
    if not settings.sends:
        raise MailError("outgoing mail is off: set [mail] from and smtp_host")
    outbox = service.outbox()
    if outbox is None:
        raise MailError("this store does not keep mail (Request Tracker sends its own)")
    composer = Composer(Templates(settings.templates_dir, settings.language), settings.sender)
    password = None
    if settings.smtp_user:
        password = load_mail_password(account(settings, "smtp"), SMTP_PASSWORD_ENV)
    transport = SmtpTransport(settings, password)
    return deliver(outbox, composer, transport, service.clock)


def fetch(service: HelpdeskService, settings: Settings) -> FetchReport:
    """Take in the new mail of the configured Maildir or IMAP folder (`mail fetch`)."""
    mail = settings.mail
    intake = Intake(service, mail)
    quarantine = Quarantine(
        mail.quarantine_dir or settings.data_dir / "mail" / "quarantine", service.clock
    )
    with one_at_a_time(settings.data_dir / "mail" / "fetch.lock"):
        if mail.inbound == "maildir" and mail.maildir is not None:
            return fetch_maildir(mail.maildir, intake, quarantine)
        if mail.inbound == "imap":
            password = load_mail_password(account(mail, "imap"), IMAP_PASSWORD_ENV)
            return fetch_imap(mail, password, intake, quarantine)
    raise MailError('no incoming mail configured: set [mail] inbound = "maildir" or "imap"')


__all__ = ["MailError", "account", "fetch", "send_queued"]
