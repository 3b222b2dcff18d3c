"""Smart triage: a suggested priority, type and tier for a new ticket, and similar past ones.

Two sources, both local and offline, both deterministic:

- Rules distilled from the classification examples of the support policies in the seeds
  (Nectain's Highest/High/Normal/Low examples, the SLA page's critical/high/medium/low
  examples and tier descriptions, the ticket types of the Nextail and Care365 pages).
  Each rule is a phrase that votes for a value; the reason quotes the words it matched.
  The phrase tables are data (`phrases`); `rules` is the engine that reads them.
- What the store's own resolved tickets teach (`index`): a TF-IDF index over the subject
  and description of the most recent resolved and closed tickets. The nearest neighbours
  of a new ticket vote with the priority, type and tier those tickets ended with, and the
  same index lists similar past tickets for the agent to read.

Both cast weighted votes per field (`suggestion`). Neighbours vote only when they are
close (a recurring issue, not a shared topic), and all of them together weigh at most as
much as one strong rule, so a confident rule verdict stands; with no vote at all the
policy's defaults (medium, incident, tier 1) stand. The reason quotes the words that
decided, or names the resolved tickets that did. `eligibility` says which tickets are
offered a suggestion. Pure Python: no I/O, no clock.
"""

from __future__ import annotations

from .eligibility import ACCEPTED_TAG, DISMISSED_TAG, TRIAGE_TAGS, Triage, why_not_offered
from .index import (
    CLOSE_ENOUGH,
    LEARNED_WEIGHT,
    MIN_NEIGHBOUR_SCORE,
    MIN_VOTER_SCORE,
    NEIGHBOURS,
    STOPWORDS,
    PastTicket,
    SimilarTicket,
    TicketIndex,
    learned_scores,
    terms,
)
from .phrases import RULES
from .rules import SCAN_CHARS, RuleHit, normalise, rule_hits, rule_scores
from .suggestion import CRITICAL_TIER_WEIGHT, Suggestion, suggest
from .votes import FIELDS, Rule, Vote

__all__ = [
    "ACCEPTED_TAG",
    "CLOSE_ENOUGH",
    "CRITICAL_TIER_WEIGHT",
    "DISMISSED_TAG",
    "FIELDS",
    "LEARNED_WEIGHT",
    "MIN_NEIGHBOUR_SCORE",
    "MIN_VOTER_SCORE",
    "NEIGHBOURS",
    "RULES",
    "SCAN_CHARS",
    "STOPWORDS",
    "TRIAGE_TAGS",
    "PastTicket",
    "Rule",
    "RuleHit",
    "SimilarTicket",
    "Suggestion",
    "TicketIndex",
    "Triage",
    "Vote",
    "learned_scores",
    "normalise",
    "rule_hits",
    "rule_scores",
    "suggest",
    "terms",
    "why_not_offered",
]
