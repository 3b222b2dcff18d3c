"""Smart triage: a suggested priority, type and tier for a new ticket, and similar past ones.

Three sources, all local and offline, all deterministic:

- Rules distilled from the classification examples of the support policies in the seeds
  (Nectain's Highest/High/Normal/Low examples, the SLA page's critical/high/medium/low
  examples and tier descriptions, the ticket types of the Nextail and Care365 pages).
  Each rule is a phrase that votes for a value; the reason quotes the words it matched.
  The phrase tables are data (`phrases`); `rules` is the engine that reads them.
- The model the product ships (`model`): a linear classifier per field over word and
  character n-grams, trained by scripts/train_triage.py on 3,360 tickets written from
  the seeds in English, Swedish and Portuguese. Its vote outweighs a rule's: on text
  written by someone else it is right far more often; a rule of named harm (a breach,
  another customer's data) still decides the ticket (P1, incident, tier 3).
- What the store's own resolved tickets teach: the service's scikit-learn model when the
  `learn` extra is installed (its votes outweigh the shipped model's: a team's own
  labels). A TF-IDF index (`index`) lists similar past tickets; its close neighbours
  can vote too (`suggest(ticket, index)`, as the benchmark measures).

All cast weighted votes per field (`suggestion`); a field nothing spoke for gets no
suggestion. The reason quotes the words that decided, or names the resolved tickets that
did. `eligibility` says which tickets are offered a suggestion. Pure Python: no I/O, no
clock (the service reads the model's file).
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
