"""What needs me now, in four counts: the summary `helpdesk-tui status` prints for a tmux
status line or a shell prompt. Counts only, each capped: never a ticket read.

- breached: my open tickets whose next SLA target is due (domain/sla/urgency.py);
- at risk: my open tickets past the policy's at-risk share, not due yet (same module);
- new P1s: P1 tickets in status new that I may see, anybody's: on-call mode pins them
  until someone acknowledges them (queue `A`, which opens them);
- mentions: notes that called me in, on open tickets I have written nothing on since
  (None where the store cannot count them: RT).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..domain.model import ACTIVE_STATUSES, Priority, Status
from ..domain.sla.urgency import Urgency
from ..store.base import Query, Unsupported
from .core import ServiceCore

STANDING_CAP = 99
"""A status line says "99+" past this: the count stops there (Query.count_cap)."""


@dataclass(frozen=True, slots=True)
class Standing:
    """The four counts at `as_of`, for `agent`; each at most `cap`, and named in
    `capped` when more match."""

    agent: str
    as_of: datetime
    breached: int
    at_risk: int
    new_p1: int
    mentions: int | None
    """None: this store cannot count mentions."""
    capped: frozenset[str] = frozenset()
    cap: int = STANDING_CAP

    @property
    def urgent(self) -> bool:
        """A breach of mine, or a P1 nobody has acknowledged: act now."""
        return bool(self.breached or self.new_p1)

    @property
    def quiet(self) -> bool:
        """Nothing at all needs me."""
        return not (self.urgent or self.at_risk or self.mentions)


class StandingUseCases(ServiceCore):
    def standing(self, cap: int = STANDING_CAP) -> Standing:
        """My standing now: four capped counts, through the store's indexes."""
        now = self.clock()
        mine = Query(statuses=ACTIVE_STATUSES, assignees=frozenset({self.me.username}), as_of=now)
        queries = {
            "breached": replace(mine, urgency=Urgency.BREACHED),
            "at_risk": replace(mine, urgency=Urgency.AT_RISK),
            "new_p1": Query(
                statuses=frozenset({Status.NEW}),
                priorities=frozenset({Priority.CRITICAL}),
                as_of=now,
            ),
        }
        counts: dict[str, int] = {}
        capped: set[str] = set()
        for name, query in queries.items():
            # A page of no rows: the count alone, stopped at the cap (store/base.py Page).
            # A store that cannot stop counting (RT's search total) is capped here.
            page = self.query(replace(query, limit=0, count_cap=cap))
            counts[name] = min(page.total, cap)
            if page.capped or page.total > cap:
                capped.add(name)
        mentions = self._unanswered_mentions(cap)
        if mentions is not None and mentions > cap:
            mentions = cap
            capped.add("mentions")
        return Standing(
            agent=self.me.username,
            as_of=now,
            breached=counts["breached"],
            at_risk=counts["at_risk"],
            new_p1=counts["new_p1"],
            mentions=mentions,
            capped=frozenset(capped),
            cap=cap,
        )

    def _unanswered_mentions(self, cap: int) -> int | None:
        scoped = self.scope(Query())
        try:
            return self._repo.unanswered_mentions(self.me.username, scoped.organizations, cap)
        except Unsupported:
            return None
