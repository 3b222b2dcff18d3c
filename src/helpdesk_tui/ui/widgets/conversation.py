"""A ticket's conversation: customer messages, public replies and internal notes, told
apart at a glance by label, colour and edge (readable without colour too)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...domain.model import Comment, Ticket
from ...domain.sla import actor_label
from ...domain.text import safe_line, safe_text
from ...domain.worktime import format_minutes
from ...service import Delivery
from ...settings.config import Settings
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ..context import app_context
from ..terminal import linked

MAX_SHOWN_CHARS = 20_000
"""A message longer than this is cut on screen (the full text stays in the store)."""


def mail_label(delivery: Delivery) -> str:
    """A reply's mail state in a word or two, as its header shows it."""
    return {
        Delivery.QUEUED: _("mail queued"),
        Delivery.SENT: _("mail sent"),
        Delivery.FAILED: _("mail failed"),
        Delivery.OFF: _("mail off"),
        Delivery.NO_ADDRESS: _("no address, not mailed"),
        Delivery.NOT_MAILED: _("not mailed"),
        Delivery.BY_STORE: _("mailed by the store"),
    }[delivery]


def _header(label: str, comment: Comment, delivery: Delivery | None) -> Text:
    head = Text()
    head.append(f" {label} ", style="bold reverse")
    author = safe_line(actor_label(comment.author, _))
    head.append(f" {author} · {comment.created_at:%Y-%m-%d %H:%M} UTC")
    if comment.minutes:
        head.append(" · " + _("{time} spent").format(time=format_minutes(comment.minutes)))
    if comment.merged_from:
        head.append(" · ")
        head.append(_("merged from {key}").format(key=safe_line(comment.merged_from)), "italic")
    if delivery is not None:
        # Whether the customer got it: a failure stands out, the rest reads quietly.
        head.append(" · ")
        head.append(
            f"✉ {mail_label(delivery)}", style="bold" if delivery is Delivery.FAILED else ""
        )
    if comment.attachments:
        names = ", ".join(safe_line(a.filename) for a in comment.attachments)
        head.append(f" · 📎 {names}")
    return head


def _body(text: str, settings: Settings) -> Text:
    shown = safe_text(text)
    if len(shown) > MAX_SHOWN_CHARS:
        shown = (
            shown[:MAX_SHOWN_CHARS]
            + "\n"
            + _("… ({count:,} more characters)").format(count=len(text) - MAX_SHOWN_CHARS)
        )
    return linked(Text(shown), settings)


class Conversation(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    Conversation { height: 1fr; }
    Conversation > .message { margin: 0 0 1 0; padding: 0 1; border-left: thick $primary; }
    Conversation > .message.-customer { border-left: thick $secondary; }
    Conversation > .message.-note { border-left: double $warning; background: $warning 10%; }
    Conversation > .message.-description { border-left: thick $secondary; }
    """

    BINDINGS = [
        Binding("j", "scroll_down", _("Down"), show=False, id="conversation.down"),
        Binding("k", "scroll_up", _("Up"), show=False, id="conversation.up"),
    ]

    def show(
        self,
        ticket: Ticket,
        comments: list[Comment],
        mail: list[Delivery | None] | None = None,
    ) -> None:
        """Show the conversation; `mail`: each comment's mail state (None: not mail)."""
        settings = app_context(self).settings
        self.remove_children()
        widgets = []
        first = Text()
        first.append(" " + _("CUSTOMER") + " ", style="bold reverse")
        first.append(
            " "
            + _("{requester} · opened {time} UTC via {channel}").format(
                requester=safe_line(ticket.requester or _("requester")),
                time=f"{ticket.created_at:%Y-%m-%d %H:%M}",
                channel=tr(ticket.channel.label),
            )
            + "\n"
        )
        first.append_text(_body(ticket.description or _("(no description)"), settings))
        widgets.append(Static(first, classes="message -description"))
        states = mail if mail is not None else [None] * len(comments)
        for comment, delivery in zip(comments, states, strict=True):
            if not comment.is_public:
                label, kind = _("INTERNAL NOTE"), "-note"
            elif comment.from_customer:
                label, kind = _("CUSTOMER"), "-customer"
            else:
                label, kind = _("REPLY"), "-reply"
            text = _header(label, comment, delivery)
            text.append("\n")
            text.append_text(_body(comment.body, settings))
            widgets.append(Static(text, classes=f"message {kind}"))
        self.mount_all(widgets)
        self.scroll_end(animate=False)
