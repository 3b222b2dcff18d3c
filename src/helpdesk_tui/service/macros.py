"""Macros on a ticket: the body filled in for it, and the checks on the field changes
that `reply` and `note` send in their one version-checked write (`changes=`)."""

from __future__ import annotations

from ..domain import sla
from ..domain.access import Action
from ..domain.macros import ME, Macro, MacroChanges, due_text, render
from ..domain.model import Escalation, Ticket
from .checks import valid_new
from .core import ServiceCore
from .errors import ServiceError


class MacroUseCases(ServiceCore):
    """What a macro does to a ticket, for `TicketUseCases` to send."""

    def render_macro(self, macro: Macro, ticket: Ticket, language: str | None = None) -> str:
        """The macro's body for `ticket`, in `language` or else the ticket's (English
        where the macro has no body in it), signed by me; customer text inserted once."""
        self._require(Action.VIEW, ticket)
        due = due_text(sla.evaluate(ticket, self.policy, self.clock()))
        return render(macro, ticket, self.me.name, language, due)

    def _macro_fields(self, ticket: Ticket, changes: MacroChanges) -> dict[str, object]:
        """The fields `changes` (less its status, which the comment's own status rules
        handle) set on `ticket`, once I am found allowed to set each of them."""
        fields: dict[str, object] = {}
        if changes.priority is not None or changes.tags:
            self._require(Action.UPDATE, ticket)
        if changes.priority is not None:
            fields["priority"] = changes.priority
        if changes.tags:
            tags = (" ".join(tag.split()) for tag in (*ticket.tags, *changes.tags))
            fields["tags"] = tuple(dict.fromkeys(tag for tag in tags if tag))
        if changes.assignee is not None:
            assignee = self.me.username if changes.assignee == ME else changes.assignee
            if assignee != ticket.assignee:
                if ticket.escalation is Escalation.AWAITING_TIER:
                    # Taking or handing on such a ticket decides its escalation: that is
                    # `assign`'s (and `decide`'s) to record, not a side effect of a reply.
                    raise ServiceError(
                        f"{ticket.key} waits for tier {ticket.tier} to accept it: take or"
                        " assign it first, then use the macro"
                    )
                self._check_assignee(ticket, assignee)
                fields["assignee"] = assignee
        # The limits a ticket's fields have anywhere (one line, lengths): a macro file
        # cannot store what `ticket update` could not.
        valid_new(Ticket(key="", subject="-").with_changes(**fields))
        return fields
