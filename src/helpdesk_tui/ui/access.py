"""Refusals said before a dialog opens, not after it was filled.

The service decides who may do what (domain.access, checked and audited on every
write). A tier-1 agent pressing `a`, or `d` on a lead's review, filled the picker or
the decision dialog only to be refused at the end; the same rule asked up front, for
the agent the service acts as, says so at once. The write still goes through the
service, which checks again.
"""

from __future__ import annotations

from textual.dom import DOMNode

from ..domain.access import AccessDenied, Action, can
from ..domain.model import Ticket
from .context import app_context


def refused(node: DOMNode, action: Action, ticket: Ticket) -> bool:
    """Whether the acting agent may not do `action` on `ticket`: if so, say why (as the
    service's refusal would be said) and return True."""
    context = app_context(node)
    decision = can(context.service.me, action, ticket)
    if decision:
        return False
    context.show_error(AccessDenied(decision.why))
    return True
