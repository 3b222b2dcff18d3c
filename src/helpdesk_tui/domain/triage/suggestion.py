"""The suggestion: rule and neighbour votes combined per field, with a reason for people."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..model import Priority, Ticket, TicketType
from .index import SimilarTicket, TicketIndex, learned_scores
from .model import MODEL_WEIGHT
from .phrases import HARM
from .rules import RuleHit, rule_hits, rule_scores
from .votes import FIELDS

CRITICAL_TIER_WEIGHT = 1.5
"""Tier 3 "address[es] critical issues" (002): a critical verdict leans the tier to 3."""

_DEFAULTS: dict[str, object] = {"priority": Priority.MEDIUM, "type": TicketType.INCIDENT, "tier": 1}
NO_SIGNAL = "none"
"""The source of a field nothing spoke for: no suggestion is offered for it."""


class Classified(Protocol):
    """What a suggestion compares itself with: a ticket, or a draft of one."""

    @property
    def priority(self) -> Priority: ...
    @property
    def type(self) -> TicketType: ...
    @property
    def tier(self) -> int: ...


class Learner(Protocol):
    """A model trained on the store's resolved tickets (the service's, over scikit-learn)."""

    def scores(self, ticket: Ticket) -> dict[str, dict[object, float]]:
        """Per field, the weight of each value's vote (comparable to the rules' weights)."""
        ...

    def words(self, ticket: Ticket, name: str, value: object) -> tuple[str, ...]:
        """The ticket's own words that spoke most for `value` of field `name`."""
        ...


def _verdict(
    scores: Mapping[object, float], order: Sequence[object]
) -> tuple[object, float] | None:
    """The best value and a confidence from its margin over the runner-up (1 - e^-margin);
    None when no value has a positive score (a rule may vote against a value)."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    if not ranked or ranked[0][1] <= 0:
        return None
    best, top = ranked[0]
    runner_up = max(ranked[1][1], 0.0) if len(ranked) > 1 else 0.0
    return best, 1.0 - math.exp(-(top - runner_up))


_ORDER: dict[str, Sequence[object]] = {
    "priority": list(Priority),
    "type": list(TicketType),
    "tier": [1, 2, 3],
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What triage proposes for one ticket, and why, in one line for people."""

    priority: Priority
    type: TicketType
    tier: int
    confidence: float
    """0..1: the mean of the three fields' confidences."""
    reason: str
    """Quotes the ticket's own words: untrusted text, show it as plain text only."""
    sources: tuple[str, str, str] = ("rules", "rules", "rules")
    """Which source decided priority, type and tier: "rules", "model" (the classifier the
    product ships, `model.py`), "learned" (this store's resolved tickets) or "none" (no
    signal: that field is not suggested, whatever value stands in it)."""
    learning: str = ""
    """Why the store's tickets did not vote, when they did not ("" when they could)."""

    @property
    def offered(self) -> bool:
        """False when nothing spoke for any field: "no suggestion", not the defaults."""
        return any(source != NO_SIGNAL for source in self.sources)

    def fields(self) -> dict[str, object]:
        """The fields with a suggestion (those with no signal are left out)."""
        values = {"priority": self.priority, "type": self.type, "tier": self.tier}
        return {
            name: values[name]
            for name, source in zip(FIELDS, self.sources, strict=True)
            if source != NO_SIGNAL
        }

    def differs_from(self, ticket: Classified) -> bool:
        return any(getattr(ticket, name) != value for name, value in self.fields().items())

    @property
    def label(self) -> str:
        """The compact form the screens show, e.g. "P2 · incident · tier 2" (a field with
        no signal as "no priority"); "no suggestion" when there is none at all."""
        if not self.offered:
            return "no suggestion"
        shown = self.fields()
        return " · ".join(
            _shown(name, shown[name]) if name in shown else f"no {name}" for name in FIELDS
        )


def suggest(
    ticket: Ticket,
    index: TicketIndex | None = None,
    *,
    use_rules: bool = True,
    learner: Learner | None = None,
    learning: str = "",
    model: Learner | None = None,
) -> Suggestion:
    """Suggest a priority, type and tier for `ticket`, from the rules and, when given,
    the `model` the product ships (`model.TriageModel`) and a `learner` trained on the
    store's resolved tickets (or the neighbours in `index`).
    `learning` says why nothing learned voted, for people. Deterministic."""
    hits = rule_hits(ticket) if use_rules else []
    scores = rule_scores(hits)
    neighbours = index.neighbours(ticket) if index is not None and len(index) else []
    learned = learner.scores(ticket) if learner is not None else learned_scores(neighbours)
    modelled = model.scores(ticket) if model is not None else {name: {} for name in FIELDS}
    chosen: dict[str, object] = {}
    confidence: dict[str, float] = {}
    source: dict[str, str] = {}
    if model is not None:
        # The policy calls a breach or another customer's data on screen a critical
        # incident for tier 3 whatever the customer calls it; a model that learned "not
        # urgent" means low, or "access" an access request, must not outvote that.
        harm = {(v.field, v.value) for hit in _named_harm(hits) for v in hit.votes}
        for name, value in harm:
            scores[name][value] = scores[name].get(value, 0.0) + MODEL_WEIGHT
    for name in FIELDS:
        if name == "tier" and use_rules and chosen["priority"] is Priority.CRITICAL:
            tier_scores = scores["tier"]
            tier_scores[3] = tier_scores.get(3, 0.0) + CRITICAL_TIER_WEIGHT
        votes = {"rules": scores[name], "model": modelled[name], "learned": learned[name]}
        values = {v for by in votes.values() for v in by}
        combined = {v: sum(by.get(v, 0.0) for by in votes.values()) for v in values}
        verdict = _verdict(combined, _ORDER[name])
        if verdict is None:
            chosen[name], confidence[name], source[name] = _DEFAULTS[name], 0.0, NO_SIGNAL
            continue
        best, confidence[name] = verdict
        chosen[name] = best
        # The source that weighed most for the value chosen; rules first on a tie.
        source[name] = max(votes, key=lambda s: votes[s].get(best, 0.0))
    priority = chosen["priority"]
    kind = chosen["type"]
    tier = chosen["tier"]
    assert isinstance(priority, Priority) and isinstance(kind, TicketType)
    assert isinstance(tier, int)
    return Suggestion(
        priority,
        kind,
        tier,
        round(sum(confidence.values()) / len(FIELDS), 3),
        _reason(
            chosen,
            source,
            hits,
            neighbours,
            _learned_words(ticket, learner, chosen, source, "learned"),
            _learned_words(ticket, model, chosen, source, "model") or [],
        ),
        (source["priority"], source["type"], source["tier"]),
        learning,
    )


def _reason(
    chosen: Mapping[str, object],
    source: Mapping[str, str],
    hits: Sequence[RuleHit],
    neighbours: Sequence[SimilarTicket],
    model_words: Sequence[str] | None = None,
    shipped_words: Sequence[str] = (),
) -> str:
    def shown(names: Sequence[str]) -> str:
        return ", ".join(_shown(name, chosen[name]) for name in names)

    parts: list[str] = []
    by_rules = [name for name in FIELDS if source[name] == "rules"]
    if by_rules:
        said = ", ".join(f'"{q}"' for q in _quotes(hits, by_rules, chosen)[:3])
        parts.append(f"{said or 'ticket fields'} → {shown(by_rules)}")
    by_model = [name for name in FIELDS if source[name] == "model"]
    if by_model:
        # A phrase the rules know says it best ("system down"); the model's own words
        # ("sistema fora") fill the rest. Both are the customer's words.
        quotes = _quotes(hits, by_model, chosen)
        quotes += [w for w in shipped_words if not any(w in q or q in w for q in quotes)]
        said = ", ".join(f'"{q}"' for q in quotes[:3])
        parts.append(f"{said or 'the wording'} → {shown(by_model)}")
    by_learned = [name for name in FIELDS if source[name] == "learned"]
    if by_learned and model_words is not None:
        said = ", ".join(f'"{word}"' for word in model_words[:3])
        parts.append(
            f"{said + ' → ' if said else ''}{shown(by_learned)}"
            " (learned from this team's resolved tickets)"
        )
    elif by_learned:
        agreeing = [
            n.ticket.key
            for n in neighbours
            if any(getattr(n.ticket, name) == chosen[name] for name in by_learned)
        ]
        like = ", ".join(agreeing[:2]) + (f" +{len(agreeing) - 2}" if len(agreeing) > 2 else "")
        parts.append(f"{shown(by_learned)} like resolved {like}")
    missing = [name for name in FIELDS if source[name] == NO_SIGNAL]
    if missing:
        parts.append("no suggestion for " + ", ".join(missing))
    return "; ".join(parts)


def _named_harm(hits: Sequence[RuleHit]) -> list[RuleHit]:
    """The matches of rules of named harm (phrases.HARM: a breach, exposure, another
    customer's data)."""
    return [
        hit
        for hit in hits
        if any(
            vote.field == "priority" and vote.value is Priority.CRITICAL and vote.weight >= HARM
            for vote in hit.votes
        )
    ]


def _quotes(
    hits: Sequence[RuleHit], names: Sequence[str], chosen: Mapping[str, object]
) -> list[str]:
    """The rule matches that weighed most for the values chosen for `names`, none twice
    ("slowdown" is already in "significant slowdown")."""
    weighed: dict[str, float] = {}
    for hit in hits:
        weight = sum(
            vote.weight
            for vote in hit.votes
            if vote.field in names and vote.value == chosen[vote.field]
        )
        if weight > 0 and hit.quote:
            weighed[hit.quote] = weighed.get(hit.quote, 0.0) + weight
    quotes: list[str] = []
    for quote in sorted(weighed, key=lambda q: -weighed[q]):
        if not any(quote in q or q in quote for q in quotes):
            quotes.append(quote)
    return quotes


def _learned_words(
    ticket: Ticket,
    learner: Learner | None,
    chosen: Mapping[str, object],
    source: Mapping[str, str],
    which: str,
) -> list[str] | None:
    """The words `learner` weighed most for the fields it decided, those whose source is
    `which` (None: no learner)."""
    if learner is None:
        return None
    words: list[str] = []
    for name in FIELDS:
        if source[name] == which:
            for word in learner.words(ticket, name, chosen[name]):
                if word not in words:
                    words.append(word)
    return words


def _shown(name: str, value: object) -> str:
    if isinstance(value, Priority):
        return value.short
    if isinstance(value, TicketType):
        return value.label
    return f"tier {value}"
