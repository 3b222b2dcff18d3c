"""The rules engine: which phrase rules and structured fields speak for a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Environment, Ticket
from .phrases import CRIT, HIGH, LOW, MED, RULES
from .votes import FIELDS, Vote, priority_vote, tier_vote

SCAN_CHARS = 4000
"""Rules and the index read the subject and this much of the description: descriptions
may be tens of KB of pasted logs, and the first screenful says what the ticket is about."""


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that matched, with the words it matched (lowercased, at most 32 chars)."""

    quote: str
    votes: tuple[Vote, ...]


def normalise(text: str) -> str:
    """Lowercase, typographic quotes made plain, whitespace collapsed: what rules read."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def rule_hits(ticket: Ticket) -> list[RuleHit]:
    """Every rule that matches the ticket's text or its impact fields, in rule order."""
    text = normalise(f"{ticket.subject}. {ticket.description[:SCAN_CHARS]}. {ticket.impact}")
    hits: list[RuleHit] = []
    for rule in RULES:
        match = rule.pattern.search(text)
        if match:
            hits.append(RuleHit(_quote(match.group(0)), rule.votes))
    hits.extend(_field_hits(ticket))
    return hits


def _quote(words: str) -> str:
    words = words.strip(" .,;:")
    return words if len(words) <= 32 else words[:31].rstrip() + "…"


def _field_hits(ticket: Ticket) -> list[RuleHit]:
    """What the structured fields say: how many users, which environment, an integration."""
    hits: list[RuleHit] = []
    users = ticket.affected_users
    if users is not None:
        if users >= 200:
            hits.append(
                RuleHit(f"{users} users affected", (priority_vote(CRIT, 2.5), tier_vote(3, 1.0)))
            )
        elif users >= 20:
            hits.append(
                RuleHit(f"{users} users affected", (priority_vote(HIGH, 2.0), tier_vote(2, 0.5)))
            )
        elif users <= 5:
            hits.append(RuleHit(f"{users} users affected", (priority_vote(MED, 1.0),)))
    if ticket.environment in (Environment.UAT, Environment.TEST):
        label = ticket.environment.label.upper() if ticket.environment else ""
        hits.append(
            RuleHit(f"{label} environment", (priority_vote(MED, 1.5), priority_vote(LOW, 0.5)))
        )
    if ticket.integration:
        hits.append(RuleHit("integration named", (tier_vote(3, 1.5),)))
    return hits


def rule_scores(hits: Sequence[RuleHit]) -> dict[str, dict[object, float]]:
    """Per field, the summed weight of every vote for each value."""
    scores: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
    for hit in hits:
        for vote in hit.votes:
            field_scores = scores[vote.field]
            field_scores[vote.value] = field_scores.get(vote.value, 0.0) + vote.weight
    return scores
