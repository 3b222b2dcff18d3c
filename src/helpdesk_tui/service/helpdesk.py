"""Use cases: the one way in for the TUI, the command line and mail.

Each use case checks access and lifecycle rules, derives what follows from the
change (timestamps, SLA pauses, the SLA due columns), and hands the store one
atomic `Change`; the store writes it with its audit entries or refuses it. The
use cases live in one module each (tickets, customer, assignment, escalation,
triage, sweep, admin, delivery); `HelpdeskService` is all of them, for one agent,
and the store stays private to it.
"""

from __future__ import annotations

from ..domain.model import Ticket
from ..store.base import Capability, ChangeFeed, PresenceListener, PresenceState, Query
from .admin import AdminUseCases
from .assignment import AssignmentUseCases
from .customer import CustomerUseCases
from .delivery import DeliveryUseCases
from .handover import HandoverUseCases
from .links import LinkUseCases
from .macros import SharedMacroUseCases
from .mentions import MentionUseCases
from .merging import MergeUseCases
from .requesters import RequesterUseCases
from .standing import StandingUseCases
from .sweep import SweepUseCases
from .tickets import TicketUseCases
from .triage import TriageUseCases


class HelpdeskService(
    LinkUseCases,
    TicketUseCases,
    CustomerUseCases,
    RequesterUseCases,
    MergeUseCases,
    MentionUseCases,
    StandingUseCases,
    HandoverUseCases,
    SharedMacroUseCases,
    AssignmentUseCases,
    TriageUseCases,
    SweepUseCases,
    AdminUseCases,
    DeliveryUseCases,
):
    """Everything an agent can do, on behalf of `agent`, against one repository."""

    # ------------------------------------------------------------ the store itself

    @property
    def key_prefix(self) -> str:
        """What the store's ticket keys start with ("HD" of HD-42)."""
        return self._repo.key_prefix

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._repo.capabilities

    def store_protocols(self) -> frozenset[str]:
        """The optional store protocols the repository implements (store.deferred)."""
        from ..store.deferred import protocols_of

        return protocols_of(self._repo)

    def latest(self, key: str) -> Ticket:
        """The ticket as the store has it now, to base a write on; the write that follows
        checks access, so this read alone is not audited."""
        return self._repo.get(key)

    def is_empty(self) -> bool:
        """Whether the store holds no ticket at all (whoever may see them)."""
        return self._repo.count(Query(limit=1)) == 0

    def generate_demo(self, count: int = 300, seed: int = 7) -> int:
        """Fill the store with `count` demo tickets ending now; how many were made."""
        from . import demo  # only a first run and `demo` need it

        # The stories are the demo's agents' own, me among them: no login signs them.
        with self._repo.unsigned():
            made = demo.generate(
                self._repo, self.policy, self.clock(), self.me.username, count, seed
            )
        # The demo may have made me one of its agents (its tier, team and name): act as
        # the store now has me, not as the first run's bootstrap said.
        self.me = self._repo.get_agent(self.me.username)
        return made

    def change_token(self) -> str:
        """What changes with every write to the store (the UI's listener compares them)."""
        return self._repo.change_token()

    def change_feed(self) -> ChangeFeed:
        """The store's feed of changed ticket keys (or a poll of its change token), for
        the UI's change listener: keys and tokens, never tickets."""
        # SQLAlchemy comes with it: the listener calls this in its own thread, after
        # the launch's first rows are drawn.
        from ..store.sql.live import feed_for

        return feed_for(self._repo)

    # ------------------------------------------------------------ presence

    def announce(self, key: str, state: PresenceState, *, ask: bool = False) -> None:
        """Tell whoever has `key` open that I view it, reply on it or left it; `ask`: I
        just opened it, answer with your own state. The store names me from its login,
        not from `me` (Capability.PRESENCE; Unsupported elsewhere)."""
        self._repo.announce(key, state, ask=ask)

    def open_presence(self, key: str) -> PresenceListener:
        """Listen to who else has `key` open: only on a ticket I may see (the read
        raises AccessDenied or NotFound otherwise). Close it when the ticket is."""
        self.get(key)
        return self._repo.open_presence(key)

    def close(self) -> None:
        self.stop_learning()
        self._repo.close()
