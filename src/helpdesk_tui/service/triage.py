"""Triage: the suggested priority, type and tier of a new ticket, and similar past ones.

`domain.triage` (the rules, their phrase tables, the model's reader: twelve modules) is
imported by the methods that use it, not with this module: the service is on the app's
launch path, and a launch suggests nothing before its first rows are drawn.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain import escalation
from ..domain.access import Action
from ..domain.model import DONE_STATUSES, Status, Ticket
from ..store.base import Capability, Query, SortKey
from .core import ServiceCore, iter_all
from .errors import ServiceError
from .triage_learning import LEARNING_OFF, MIN_TICKETS, LearningFailed, available, learn

if TYPE_CHECKING:
    from ..domain.triage import SimilarTicket, Suggestion, TicketIndex, Triage
    from ..domain.triage.model import TriageModel

TRIAGE_DOCS = 5000
"""Resolved tickets triage learns from: the most recent ones, so memory stays bounded."""
TRIAGE_REFRESH = 600.0
"""Seconds before the index of similar tickets is built again with what was resolved
meanwhile."""
LEARNER_REFRESH = 3600.0
"""Seconds a store's learned model is used (kept on disk between runs) before triage
learns again: an hour's resolved tickets seldom change what a team's labels teach, and
learning costs seconds of CPU (importing scikit-learn alone takes 1.7 s)."""
TRIAGE_SEARCH_WORDS = 2
"""Full-text searches for similar tickets older than the index: each costs a store query."""
MAX_SIMILAR = 100
"""Similar tickets one suggestion lists, at most: more than a page an agent reads."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.cache
def shipped_model() -> TriageModel | None:
    """The classifier the product ships (domain/triage/model.bin, written by
    scripts/train_triage.py), read once, on the first suggestion (0.07 s, in the worker
    that asks; never at launch). None when the file is missing or unreadable (a damaged
    install): the rules alone then, as before the model."""
    from ..domain.triage.model import TriageModel

    try:
        packed = files("helpdesk_tui.domain.triage").joinpath("model.bin").read_bytes()
        return TriageModel.from_bytes(packed)
    except (OSError, ValueError):
        return None


class TriageUseCases(ServiceCore):
    """Suggestions on new tickets, accepted or dismissed by an agent."""

    _triage_learner: tuple[float, TriageModel | None] | None = None
    """Until when (monotonic clock) the store's learned model is used, and the model."""
    _learning_failed: str | None = None
    """Why the last learning failed (one line, shown as the suggestion's `learning`)."""

    def triage(self, key: str, similar: int = 5) -> Triage:
        """The suggested priority, type and tier of a ticket (offered only while it is new
        and untriaged; see `why_not_offered`) and its most similar past tickets."""
        from ..domain.triage import Triage, why_not_offered

        if not 1 <= similar <= MAX_SIMILAR:
            raise ServiceError(
                f"similar tickets: give a number from 1 to {MAX_SIMILAR}, not {similar}"
            )
        ticket = self.get(key)
        history = self._repo.history(key) if ticket.status is Status.NEW else []
        index = self.triage_index()
        return Triage(
            ticket.key,
            ticket.version,
            self._suggest(ticket),
            why_not_offered(ticket, history),
            tuple(self._similar(ticket, index, similar)),
        )

    def suggest_draft(self, subject: str, description: str) -> Suggestion:
        """What triage would suggest for a ticket not written yet: the intake form asks
        as the agent types (subject and description are all it reads)."""
        draft = Ticket(key="", subject=subject, description=description)
        return self._suggest(draft)

    def suggestions(self, tickets: Sequence[Ticket]) -> dict[str, Suggestion]:
        """The suggestions offered for those of `tickets` that are new and untriaged (the
        queue asks for the rows on screen): one history read per new ticket, no more."""
        from ..domain.triage import why_not_offered

        offered: dict[str, Suggestion] = {}
        for ticket in tickets:
            if why_not_offered(ticket) is None:
                history = self._repo.history(ticket.key)
                if why_not_offered(ticket, history) is None:
                    found = self._suggest(ticket)
                    if found.offered:
                        offered[ticket.key] = found
        return offered

    def accept_suggestion(
        self, key: str, base_version: int, suggestion: Suggestion | None = None
    ) -> Ticket:
        """Write the suggestion (the one shown, or a fresh one) as one version-checked
        change. A tier change routes an unassigned ticket; a held one is escalated."""
        from ..domain.triage import ACCEPTED_TAG, why_not_offered

        ticket = self._for(Action.UPDATE, key)
        why_not = why_not_offered(ticket, self._repo.history(key))
        if why_not is not None:
            raise ServiceError(f"no suggestion to accept on {key}: {why_not}")
        chosen = suggestion or self._suggest(ticket)
        if not chosen.offered:
            raise ServiceError(f"no suggestion to accept on {key}: no signal in its text")
        reason = "triage suggestion accepted"
        offered = chosen.fields()
        fields: dict[str, object] = {
            name: offered[name] for name in ("priority", "type") if name in offered
        }
        fields["tags"] = (*ticket.tags, ACCEPTED_TAG)
        if "tier" in offered and chosen.tier != ticket.tier:
            self._require(Action.ESCALATE, ticket)
            if ticket.assignee is None:
                fields["tier"] = chosen.tier
            else:
                # Escalated as `escalate` does it: an assignee who works at that tier
                # keeps it, else it waits there and the people who had it watch it.
                moved = escalation.change_tier(
                    ticket,
                    chosen.tier,
                    reason,
                    self.me.username,
                    self.clock(),
                    assignee_tier=self._tier_of(ticket.assignee),
                    follow=Capability.WATCHERS in self._repo.capabilities,
                )
                fields.update(moved)
        events = [("triage:accepted", f"{chosen.label}: {chosen.reason}")]
        return self._commit(
            ticket, self._change(ticket, base_version, fields, reason, events=events)
        )

    def dismiss_suggestion(self, key: str, base_version: int) -> Ticket:
        """Remember that the agent declined the suggestion, so it is not offered again."""
        from ..domain.triage import DISMISSED_TAG

        ticket = self._for(Action.UPDATE, key)
        if DISMISSED_TAG in ticket.tags:
            return ticket
        fields = {"tags": (*ticket.tags, DISMISSED_TAG)}
        events: list[tuple[str, str | None]] = [("triage:dismissed", None)]
        why = "triage suggestion dismissed"
        return self._commit(ticket, self._change(ticket, base_version, fields, why, events=events))

    def triage_index(self) -> TicketIndex:
        """The index of the most recent resolved and closed tickets this agent may see,
        built on first use and again when older than TRIAGE_REFRESH seconds."""
        from ..domain.triage import TicketIndex

        with self._triage_lock:
            cached = self._triage_index
            if cached is not None and time.monotonic() - cached[0] < TRIAGE_REFRESH:
                return cached[1]
            # Every done status, cancelled ones skipped here: the store counts "all done"
            # from its open/closed split at once, "resolved or closed" row by row.
            query = Query(statuses=DONE_STATUSES, sort=SortKey.UPDATED, descending=True)
            done = iter_all(self, query, 500)
            index = TicketIndex.build(_past(done), TRIAGE_DOCS)
            self._triage_index = (time.monotonic(), index)
            return index

    @property
    def triage_learning_due(self) -> bool:
        """Whether the next suggestion may learn first (seconds, once an hour at most):
        no model of the store's resolved tickets is held in memory, or it is too old.
        From memory alone; a model kept on disk from another run is read in 0.1 s."""
        kept = self._triage_learner
        return kept is None or time.monotonic() >= kept[0]

    def stop_learning(self) -> None:
        """Stop a child learning the store's model, and start none after this: the app's
        exit waits for its workers, and a child fitting a large store runs a minute."""
        self._learning_children.stop()

    def triage_learner(self) -> TriageModel | None:
        """A model of the resolved tickets this agent may see (None without scikit-learn
        or with too few of them): kept on disk between runs (`triage_file`), learned
        again after LEARNER_REFRESH seconds. One caller learns; the others (the queue and
        the ticket asking at once) wait for its model rather than learn it again."""
        with self._learning_lock:  # guards _triage_learner: every write is under it
            kept = self._triage_learner
            if kept is not None and time.monotonic() < kept[0]:
                return kept[1]
            learner, age = _read_learner(self.triage_file)
            self._learning_failed = None
            if learner is None:
                query = Query(statuses=DONE_STATUSES, sort=SortKey.UPDATED, descending=True)
                try:
                    done = _limited(_past(iter_all(self, query, 500)), TRIAGE_DOCS)
                    learner = learn(done, self._learning_children)
                except LearningFailed as failed:
                    self._learning_failed = str(failed)
                age = 0.0
                _keep_learner(self.triage_file, learner)
            # Too few resolved tickets: asked again as soon as the index is.
            lasts = LEARNER_REFRESH - age if learner is not None else TRIAGE_REFRESH
            self._triage_learner = (time.monotonic() + lasts, learner)
            return learner

    def _suggest(self, ticket: Ticket) -> Suggestion:
        """One code path for every suggestion (app, intake form, command line): the rules,
        the shipped model and, when it can be trained, the model of the store's resolved
        tickets."""
        from ..domain.triage import suggest

        learner, model = self.triage_learner(), shipped_model()
        if learner is not None:
            return suggest(ticket, learner=learner, model=model)
        why = self._learning_failed or (
            LEARNING_OFF if not available() else f"learning off: under {MIN_TICKETS} resolved"
        )
        return suggest(ticket, learning=why, model=model)

    def _similar(self, ticket: Ticket, index: TicketIndex, k: int) -> list[SimilarTicket]:
        from ..domain.triage import MIN_NEIGHBOUR_SCORE

        found = {s.ticket.key: s for s in index.neighbours(ticket, k)}
        if index.truncated and Capability.FULL_TEXT in self._repo.capabilities:
            # Older tickets than the index holds: the store's search finds candidates.
            for word in index.distinctive_words(ticket, TRIAGE_SEARCH_WORDS):
                page = self.query(Query(statuses=DONE_STATUSES, text=word, limit=20))
                for other in _past(page.tickets):
                    if other.key != ticket.key and other.key not in found:
                        like = index.similarity(ticket, other)
                        if like.score >= MIN_NEIGHBOUR_SCORE:
                            found[other.key] = like
        # Most similar first; of equals, the most recently resolved.
        newest = sorted(found.values(), key=lambda s: s.ticket.resolved_at or _EPOCH, reverse=True)
        return sorted(newest, key=lambda s: -s.score)[:k]


def _limited(tickets: Iterable[Ticket], size: int) -> Iterable[Ticket]:
    for n, ticket in enumerate(tickets):
        if n >= size:
            return
        yield ticket


def _past(tickets: Iterable[Ticket]) -> Iterable[Ticket]:
    """What triage learns from: resolved and closed tickets, not cancelled ones (spam,
    duplicates, filed by mistake)."""
    return (t for t in tickets if t.status is not Status.CANCELLED)


def _read_learner(path: Path | None) -> tuple[TriageModel | None, float]:
    """The learned model kept at `path` and its age in seconds, if it is younger than
    LEARNER_REFRESH and readable; (None, 0) otherwise."""
    from ..domain.triage.model import TriageModel

    if path is None:
        return None, 0.0
    try:
        age = time.time() - path.stat().st_mtime
        if not 0 <= age < LEARNER_REFRESH:
            return None, 0.0
        return TriageModel.from_bytes(path.read_bytes()), age
    except (OSError, ValueError):
        return None, 0.0


def _keep_learner(path: Path | None, learner: TriageModel | None) -> None:
    """Keep `learner` at `path` for the next run, readable by this user only (its
    vocabulary is words of the tickets); a folder that can't be written keeps nothing."""
    if path is None or learner is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".learning-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(learner.to_bytes())
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        return
