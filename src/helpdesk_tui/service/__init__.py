"""Use cases, the one way in: `HelpdeskService` and what its callers hand it and catch."""

from ..domain.access import AccessDenied
from ..domain.escalation import EscalationError
from ..domain.lifecycle import TransitionError
from ..domain.model import MAX_BODY, MAX_SUBJECT
from ..store.base import ConflictError, NotFound, StoreError
from .core import Clock, iter_all
from .delivery import Delivery
from .drafts import TicketDraft
from .errors import ImportRefused, ServiceError
from .helpdesk import HelpdeskService
from .sweep import SweepResult

# Re-exported so callers catch one family without knowing which ring refused.
__all__ = [
    "MAX_BODY",
    "MAX_SUBJECT",
    "AccessDenied",
    "Clock",
    "ConflictError",
    "Delivery",
    "EscalationError",
    "HelpdeskService",
    "ImportRefused",
    "NotFound",
    "ServiceError",
    "StoreError",
    "SweepResult",
    "TicketDraft",
    "TransitionError",
    "iter_all",
]
