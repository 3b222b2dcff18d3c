"""Writing on a ticket: the reply and note composer, what became of a reply's mail, and a
text the store did not take kept for the next try."""

from __future__ import annotations

from contextlib import suppress

from ...domain.model import Ticket
from ...domain.text import safe_line
from ...service import Delivery
from ...settings.i18n import _
from ...store.base import PresenceState
from ..jobs import call_store
from ..widgets.presence import PresenceStrip
from .dialogs import on_answer
from .ticket_actions import TicketActions, on_ticket


def reply_told(ticket: Ticket, delivery: Delivery) -> str:
    """What became of a reply just saved. "Sent" only once it is: here it is queued for
    `helpdesk-tui mail send` at best, and with mail off nobody is mailed at all."""
    if delivery is Delivery.QUEUED:
        text = _("{key}: reply saved; mail to {address} queued for sending")
    elif delivery is Delivery.OFF:
        text = _("{key}: reply saved; outgoing mail is off, so nobody was mailed")
    elif delivery is Delivery.NO_ADDRESS:
        text = _("{key}: reply saved; the requester has no e-mail address, nobody was mailed")
    else:
        text = _("{key}: reply saved; the store mails it to the requester")
    return text.format(key=ticket.key, address=safe_line(ticket.requester_email))


class TicketCompose(TicketActions):
    """r and n: the composer, with canned replies, @names, files, status and time."""

    def _open_composer(self, kind: str, ticket: Ticket) -> None:
        from .compose import Canned, Composed, ComposeScreen

        key, service, drafts = self.key, self.service, self.drafts
        settings = self.helpdesk.settings

        def send(sent: Composed | None) -> None:
            self._presence(PresenceState.VIEWING)  # sent or put away: no longer writing
            if sent is None:
                return
            text, files, changes, spent = sent.text, list(sent.files), sent.changes, sent.minutes
            if kind == "reply":
                self._versioned_write(
                    _("reply"),
                    lambda v: service.reply(
                        key,
                        v,
                        text,
                        status=sent.status,
                        attachments=files,
                        changes=changes,
                        minutes=spent,
                    ),
                    lambda: drafts.discard(key, kind),
                    lambda exc: self._not_sent(kind, text, exc),
                    told=lambda ticket: reply_told(ticket, service.reply_delivery(ticket)),
                )
            else:
                self._versioned_write(
                    _("note added"),
                    lambda v: service.note(
                        key, v, text, attachments=files, changes=changes, minutes=spent
                    ),
                    lambda: drafts.discard(key, kind),
                    lambda exc: self._not_sent(kind, text, exc),
                )

        def gather() -> tuple[list[str], Canned]:
            # Who a note may mention, and the canned replies of this agent's team.
            from ...settings.macros import load_macros

            names = [a.username for a in service.agents() if a.active] if kind == "note" else []
            catalogue = load_macros(settings, service.me.team, service.shared_macros())
            canned = Canned(
                catalogue.macros,
                catalogue.problems,
                lambda macro: service.render_macro(macro, ticket),
            )
            return names, canned

        def opened(found: tuple[list[str], Canned]) -> None:
            self._presence(PresenceState.REPLYING)
            self.app.push_screen(ComposeScreen(key, kind, drafts, *found), send)

        def without(exc: Exception) -> None:
            self.notify(
                _("Canned replies and @names are not available: {error}").format(
                    error=safe_line(str(exc))
                ),
                severity="warning",
            )
            self._presence(PresenceState.REPLYING)
            self.app.push_screen(ComposeScreen(key, kind, drafts), send)

        call_store(self, gather, opened, without, what=_("canned replies"))

    def _presence(self, state: PresenceState) -> None:
        """Tell colleagues on this ticket whether I am writing on it (a reply or a note)."""
        for strip in self.query(PresenceStrip):
            strip.set_state(state)

    def _not_sent(self, kind: str, text: str, exc: Exception) -> None:
        """A reply or note the store did not take: the text is kept, never lost."""
        drafts = self.drafts
        if drafts.load(self.key, kind) != text:
            with suppress(OSError):  # it was saved as typed; this is a second chance
                drafts.save(self.key, kind, text)
        if kind == "reply":
            text = _(
                "Reply not sent: {error}. Your text is kept: "
                "send it again with ctrl+s (esc keeps it as a draft)."
            )
        else:
            text = _(
                "Note not sent: {error}. Your text is kept: "
                "send it again with ctrl+s (esc keeps it as a draft)."
            )
        self.notify(
            text.format(error=safe_line(str(exc))),
            title=_("Not sent"),
            severity="error",
            timeout=15,
        )
        if self.is_active and self.ticket is not None:
            self._open_composer(kind, self.ticket)  # back in the editor, as it was

    @on_ticket
    def action_shell_note(self, _ticket: Ticket) -> None:
        """`!`: a command's output as an internal note, run only once the agent has typed
        it and pressed Enter (screens/shell_note.py), added with a second Enter."""
        from ..shell import CommandRun, note_body
        from .shell_note import ShellNoteScreen

        terminal = self.helpdesk.settings.terminal
        if not terminal.shell:
            self.notify(_("Commands from the app are turned off in [terminal] shell."))
            return
        if self.app.is_web:
            # Served to a browser, the command would run on the server, not where the
            # agent sits: a leaked session key must not be a shell.
            self.notify(_("Commands from the app do not run in a browser."))
            return
        key, service = self.key, self.service

        def add(run: CommandRun) -> None:
            body = note_body(run)
            self._versioned_write(
                _("command output added as an internal note"),
                lambda v: service.command_note(key, v, body, run.command),
                not_done=lambda exc: self._not_sent("note", body, exc),
            )

        screen = ShellNoteScreen(key, terminal.shell_timeout, terminal.shell_output_kib)
        self.app.push_screen(screen, on_answer(add))

    @on_ticket
    def action_reply(self, ticket: Ticket) -> None:
        self._open_composer("reply", ticket)

    @on_ticket
    def action_note(self, ticket: Ticket) -> None:
        self._open_composer("note", ticket)
