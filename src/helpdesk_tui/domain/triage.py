"""Smart triage: a suggested priority, type and tier for a new ticket, and similar past ones.

Two sources, both local and offline, both deterministic:

- Rules distilled from the classification examples of the support policies in the seeds
  (Nectain's Highest/High/Normal/Low examples, the SLA page's critical/high/medium/low
  examples and tier descriptions, the ticket types of the Nextail and Care365 pages).
  Each rule is a phrase that votes for a value; the reason quotes the words it matched.
- What the store's own resolved tickets teach: a TF-IDF index over the subject and
  description of the most recent resolved and closed tickets. The nearest neighbours of
  a new ticket vote with the priority, type and tier those tickets ended with, and the
  same index lists similar past tickets for the agent to read.

Both cast weighted votes per field. Neighbours vote only when they are close (a recurring
issue, not a shared topic), and all of them together weigh at most as much as one strong
rule, so a confident rule verdict stands; with no vote at all the policy's defaults
(medium, incident, tier 1) stand. The reason quotes the words that decided, or names the
resolved tickets that did. Pure Python: no I/O, no clock.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import AuditEntry, Environment, Priority, Status, Ticket, TicketType

FIELDS = ("priority", "type", "tier")
ACCEPTED_TAG = "triage:accepted"
DISMISSED_TAG = "triage:dismissed"
TRIAGE_TAGS = frozenset({ACCEPTED_TAG, DISMISSED_TAG})

SCAN_CHARS = 4000
"""Rules and the index read the subject and this much of the description: descriptions
may be tens of KB of pasted logs, and the first screenful says what the ticket is about."""

LEARNED_WEIGHT = 2.5
"""What the neighbours' vote weighs beside the rules' at most: as much as one strong rule,
when they are close and unanimous. A rule verdict with a wider margin is never overturned."""
MIN_NEIGHBOUR_SCORE = 0.08
"""Cosine similarity below which a past ticket is not listed as like this one."""
MIN_VOTER_SCORE = 0.3
"""Cosine similarity a past ticket needs to vote: a recurring issue, not a shared topic.
(Below it, on the labelled set's test split, the neighbours' votes cost more than they
gave: benchmarks/bench_triage.py.)"""
CLOSE_ENOUGH = 0.7
"""A nearest neighbour this similar counts fully; less similar ones count proportionally."""
CRITICAL_TIER_WEIGHT = 1.5
"""Tier 3 "address[es] critical issues" (002): a critical verdict leans the tier to 3."""
NEIGHBOURS = 9
"""How many past tickets vote."""
_TOP_TERMS = 8

_DEFAULTS: dict[str, object] = {"priority": Priority.MEDIUM, "type": TicketType.INCIDENT, "tier": 1}


# --------------------------------------------------------------------- the rules


@dataclass(frozen=True, slots=True)
class Vote:
    field: str
    value: object
    weight: float


@dataclass(frozen=True, slots=True)
class Rule:
    source: str
    votes: tuple[Vote, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        # Compiled on first use (then from re's cache): compiling every rule at import
        # cost the app's launch tens of milliseconds before any ticket was triaged.
        return re.compile(self.source)


def _p(value: Priority, weight: float) -> Vote:
    return Vote("priority", value, weight)


def _t(value: TicketType, weight: float) -> Vote:
    return Vote("type", value, weight)


def _tier(value: int, weight: float) -> Vote:
    return Vote("tier", value, weight)


def _rule(alternatives: Sequence[str], *votes: Vote) -> Rule:
    """A rule matching any of `alternatives` (regular expressions) as whole words."""
    return Rule(r"\b(?:" + "|".join(alternatives) + r")\b", votes)


CRIT, HIGH, MED, LOW = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW
INC, SRV, ACC = TicketType.INCIDENT, TicketType.SERVICE_REQUEST, TicketType.ACCESS_REQUEST
CHG, INFO, CMP = TicketType.CHANGE_REQUEST, TicketType.INFORMATION_REQUEST, TicketType.COMPLAINT

_PEOPLE = (
    r"(?:(?:user|employee|colleague|customer|client|store|shop|agent|planner|account|member"
    r"|team|site|office|branch|location|student|teacher|seller|driver|warehouse)s?|people|staff)"
)
_OWNER = r"(?:of\s+)?(?:our\s+|the\s+|my\s+)?(?:\d[\d,]*\s+)?"
_ALL = r"(?:all|every|entire|whole)"
_FEW = (
    r"(?:some|a few|few|a couple of|couple of|a handful of|handful of|two|three|one|a single"
    r"|single|specific|certain|individual)"
)
_MANY = (
    r"(?:multiple|many|several|numerous|a lot of|lots of|dozens of|hundreds of"
    r"|a large (?:group|number) of|large group of|a group of|most)"
)
_SYSTEM = (
    r"(?:system|platform|site|service|application|website|portal|server|servers|production"
    r"|prod|api|everything)"
)
_LOST = r"(?:deleted|wiped|erased|lost|gone|disappeared)"
_FAILING = r"(?:delayed|failing|failed|stuck|not running|late|hanging|behind)"
_PIPES = r"(?:jobs?|batch(?:es)?|sync|imports?|exports?|interfaces?|integrations?|feeds?|queue)"
_WHERE = (
    r"(?:department|region|office|team|branch|warehouse|country|division|site|shift|floor"
    r"|store|class|faculty)"
)
_TASKS = (
    r"(?:complet\w*|finish\w*|submit\w*|process\w*|ship\w*|invoic\w*|payroll|month[- ]end"
    r"|closing|deadline)"
)
_NOTICES = r"(?:notifications?|e-?mails?|alerts?|messages?|reminders?)"
_SERVICE_VERBS = (
    r"(?:set up|setup|configure|change|update|install|create|schedule|enable|increase|extend"
    r"|renew|move|migrate|rename|export|restore|issue|generate|send|provide|adjust|reschedule"
    r"|activate|deactivate|disable|remove|close|upgrade|deploy|copy|refresh|clone|merge|delete"
    r"|archive)"
)
_ASK = r"(?:please|could you|can you|would you|kindly|we need you to|we would like you to)"
_GRANT = r"(?:grant|give|provide|request(?:ing)?|need|needs|add|create|set up|setup|restore)"
_ACCESS = r"(?:access|accounts?|logins?|permissions?|roles?|rights|sso)"
_NEWCOMER = r"(?:user|starter|employee|hire|joiner|colleague|member of staff|store manager)"
_CHANGE = r"(?:update|upgrade|release|deploy(?:ment)?|patch|migration)"

# Each rule: phrases (regular expressions, matched as whole words in the lowercased subject
# and description) and the votes they cast. Weights: 3 decides alone, 2 nearly, 1 leans.
RULES: tuple[Rule, ...] = (
    # --- Highest / critical (001: "Complete system downtime affecting all users", "Security
    # breaches, such as unauthorized data access or critical data loss", "Database corruption
    # preventing user transactions", "Network outages that block access to all services",
    # "Errors preventing all users from logging in"; 002: "Platform-wide outage, critical
    # data loss, or major feature failure affecting all users")
    _rule(
        [
            r"(?:complete|total|full|major|platform[- ]wide|site[- ]wide|system[- ]wide|global"
            r"|company[- ]wide|network)\s+(?:outage|downtime|failure|blackout)"
        ],
        _p(CRIT, 3.0),
        _t(INC, 2.0),
        _tier(3, 2.0),
    ),
    _rule([r"(?:partial|regional|local)\s+outage"], _p(HIGH, 3.5), _t(INC, 2.0), _tier(2, 1.0)),
    _rule(["outages?"], _p(CRIT, 1.5), _t(INC, 2.0), _tier(3, 1.0)),
    _rule(
        [
            rf"{_ALL}\s+{_OWNER}{_PEOPLE}",
            rf"every single {_PEOPLE}",
            "everyone",
            "everybody",
            r"company[- ]wide",
            r"across the (?:company|organi[sz]ation|board)",
        ],
        _p(CRIT, 2.0),
        _tier(3, 0.5),
    ),
    _rule(
        [
            r"(?:nobody|no one|none of (?:us|(?:our|the)(?: [\w,]+){1,2}))\s+"
            r"(?:can|is able to|could|are able)",
            rf"no {_PEOPLE} (?:can|could|is able to)",
        ],
        _p(CRIT, 2.5),
        _t(INC, 1.5),
        _tier(3, 1.0),
    ),
    _rule(
        [
            rf"{_SYSTEM}\s+(?:is\s+|are\s+|went\s+|seems\s+)?(?:completely\s+|totally\s+)?"
            r"(?:down|unreachable|offline|dead)",
            r"down for (?:everyone|everybody|all)",
        ],
        _p(CRIT, 2.5),
        _t(INC, 2.0),
        _tier(3, 1.5),
    ),
    _rule(
        [
            r"security (?:breach|incident)",
            "data breach",
            "breach",
            r"unauthori[sz]ed (?:data )?(?:access|logins?|transactions?)",
            "hacked",
            "compromised",
            "ransomware",
            "malware",
            "phishing",
            "data leak",
            "leaked",
            r"suspicious (?:logins?|sign-?ins?|activity|access)",
            r"(?:stolen|leaked) (?:credentials|passwords?)",
            r"credentials (?:were|have been) stolen",
            r"exposed (?:customer |personal )?data",
        ],
        _p(CRIT, 3.5),
        _t(INC, 2.0),
        _tier(3, 3.0),
    ),
    _rule(
        [
            "data loss",
            r"lost (?:all )?(?:of )?(?:our |the )?(?:data|records|orders)",
            rf"(?:data|records|orders) (?:was |were |has been |have been )?{_LOST}",
            rf"(?:were|was|has been|have been|got) (?:completely |all )?{_LOST}",
            "critical data",
        ],
        _p(CRIT, 2.5),
        _t(INC, 2.0),
        _tier(3, 2.5),
    ),
    _rule(
        [
            r"corrupt(?:ed|ion)?",
            "inconsistent data",
            r"duplicated? (?:records|payments|transactions|orders|invoices|bookings)",
            "integrity",
        ],
        _p(CRIT, 1.5),
        _t(INC, 2.0),
        _tier(3, 2.5),
    ),
    _rule(
        [
            r"prevent(?:s|ing)?\s+(?:all\s+)?(?:user\s+|customer\s+)?(?:transactions|checkout|payments|orders|sales)"
        ],
        _p(CRIT, 2.0),
        _t(INC, 1.0),
        _tier(3, 1.0),
    ),
    _rule(["service unavailable", r"50[234]"], _p(CRIT, 1.0), _t(INC, 2.0), _tier(3, 0.5)),
    # --- High (001: "Core features being unavailable for multiple users", "Significant
    # performance slowdowns", "Frequent system disconnections or application crashes for a
    # large group of users", "Errors that prevent users from completing critical tasks",
    # "Partial outages impacting specific departments or regions"; 002: "Major bugs affecting
    # core features, service interruptions for a specific user group, or significant delays
    # in job processing")
    _rule(
        [
            r"(?:core|key|main|critical|essential|primary|central)\s+"
            r"(?:feature|function|functionality|module|process|screen|workflow)s?"
        ],
        _p(HIGH, 2.0),
        _t(INC, 0.5),
        _tier(2, 1.0),
    ),
    _rule([rf"{_MANY}\s+{_OWNER}{_PEOPLE}"], _p(HIGH, 2.0), _tier(2, 0.5)),
    _rule(
        [
            rf"(?:all|every|everyone|everybody)\b[^.]{{0,30}}\b(?:in|at|from) (?:our|the) "
            rf"(?:\w+ )?{_WHERE}",
            rf"other {_WHERE}s? (?:are|is|work|works|seem)",
        ],
        _p(HIGH, 2.5),
        _p(CRIT, -2.0),
        _tier(2, 0.5),
    ),
    _rule(
        [
            r"(?:others?|most (?:people|users|of them|colleagues)|the rest|my colleagues)"
            r" (?:are|is|work|works|seem|say|get|receive)(?: \w+)?"
            r" (?:fine|ok|okay|unaffected|not affected|normally|on time)",
            r"(?:it's|it is) fine",
        ],
        _p(MED, 1.5),
        _p(CRIT, -2.0),
    ),
    _rule(
        [rf"(?:entire|whole|all of (?:the|our)|the whole|our whole|our entire)\s+{_WHERE}"],
        _p(HIGH, 2.5),
        _tier(2, 0.5),
    ),
    _rule(
        [
            r"(?:significant(?:ly)?|severe(?:ly)?|major|serious(?:ly)?|extreme(?:ly)?|huge"
            r"|massive|very|unusably|painfully)\s+"
            r"(?:slow(?:ness|down|downs)?|performance|delays?|degradation|lag|latency)"
        ],
        _p(HIGH, 2.0),
        _t(INC, 1.5),
        _tier(2, 1.5),
    ),
    _rule(
        [
            r"slow(?:ness|down|downs|ly)?",
            "sluggish",
            r"takes? (?:ages|forever|minutes)",
            "performance",
            "latency",
            r"time(?:s|d)? ?out",
        ],
        _p(MED, 0.8),
        _t(INC, 1.5),
        _tier(2, 1.0),
    ),
    _rule(
        [
            r"crash(?:es|ing|ed)?",
            r"disconnect(?:s|ions?|ing|ed)?",
            r"freez(?:es|ing)",
            "frozen",
            r"hangs?",
            "kicked out",
            "logged out",
        ],
        _p(MED, 0.5),
        _t(INC, 2.0),
        _tier(2, 1.0),
    ),
    _rule(
        [
            r"frequent(?:ly)?",
            r"constant(?:ly)?",
            r"every (?:few )?(?:minutes?|hour)",
            r"(?:several|many) times (?:an|a|per) (?:hour|day|shift)",
        ],
        _p(HIGH, 0.8),
    ),
    _rule(
        [
            r"(?:prevent(?:s|ing)?|block(?:s|ing|ed)?|stop(?:s|ping|ped)?|unable to|cannot"
            rf"|can ?not|can't)\b[^.]{{0,40}}\b{_TASKS}"
        ],
        _p(HIGH, 1.5),
        _t(INC, 1.0),
    ),
    _rule(
        [
            r"(?:major|critical|serious|blocking)\s+(?:bug|issue|problem|error|defect)s?",
            "blocker",
            r"show[- ]?stopper",
        ],
        _p(HIGH, 2.0),
        _t(INC, 1.5),
        _tier(2, 1.5),
    ),
    _rule(
        [
            rf"{_PIPES}(?:\s+[\w-]+){{0,3}}\s+(?:is |are |has |have |was |were |keeps? )?"
            rf"(?:been )?{_FAILING}"
        ],
        _p(HIGH, 1.5),
        _t(INC, 1.5),
        _tier(2, 1.0),
    ),
    _rule(
        [r"urgent(?:ly)?", "asap", "as soon as possible", "immediately", "emergency"],
        _p(HIGH, 1.0),
        _p(CRIT, 0.3),
    ),
    _rule(
        [
            r"(?:revoke|remove|disable|deactivate|terminate|block|suspend)\b[^.]{0,40}\b"
            r"(?:access|accounts?|users?|logins?)",
            r"leavers?",
            r"(?:left|leaves|leaving) the (?:company|organi[sz]ation|business|firm)",
            r"off-?boarding",
        ],
        _p(HIGH, 1.5),
        _t(ACC, 3.0),
        _tier(1, 1.5),
    ),
    # --- Normal / medium (001: "Non-essential features malfunctioning for a small group of
    # users", "Intermittent performance issues", "Delayed notifications or alerts for some
    # users", "Minor bugs", "Sporadic connectivity issues"; 002: "Non-critical bugs, feature
    # usage guidance, or minor performance issues")
    _rule([rf"{_FEW}\s+{_OWNER}{_PEOPLE}"], _p(MED, 2.0), _tier(1, 0.3)),
    _rule(
        [
            r"intermittent(?:ly)?",
            r"sporadic(?:ally)?",
            r"occasional(?:ly)?",
            "from time to time",
            "sometimes",
            "now and then",
            "once in a while",
            "randomly",
            "not always",
        ],
        _p(MED, 2.0),
        _t(INC, 1.0),
    ),
    _rule(
        [
            rf"(?:delayed|late)\s+(?:e-?mail\s+)?{_NOTICES}",
            rf"{_NOTICES}\b[^.]{{0,40}}\b(?:late|delayed|hours? later)",
        ],
        _p(MED, 2.0),
        _t(INC, 1.5),
        _tier(1, 0.5),
    ),
    _rule(
        [
            r"(?:minor|small|little|slight)\s+(?:bug|issue|problem|error|glitch|defect)s?",
            r"non[- ]critical",
            "not critical",
        ],
        _p(MED, 2.0),
        _t(INC, 1.0),
        _tier(2, 0.5),
    ),
    _rule(["workaround"], _p(MED, 1.0)),
    _rule(
        [r"non[- ]essential", "not blocking", r"does(?:n't| not) (?:block|stop|prevent)"],
        _p(MED, 1.0),
        _p(LOW, 0.5),
    ),
    _rule(["guidance", r"best practices?"], _t(INFO, 2.0), _p(MED, 1.0), _tier(2, 0.5)),
    # --- Low (001: "Visual inconsistencies or small UI glitches", "Typographical errors or
    # formatting issues", "Suggestions for minor feature enhancements or design
    # improvements", "Infrequent, non-disruptive error messages that do not affect
    # usability", "Requests for documentation updates or clarifications"; 002: "General
    # inquiries, feature requests, account configuration assistance")
    _rule(
        [r"typos?", "typographical", "spelling", r"misspel\w*", "grammar", "wording"],
        _p(LOW, 3.0),
        _t(INC, 0.5),
        _tier(1, 1.5),
    ),
    _rule(
        [
            "cosmetic",
            r"visual(?:ly)?",
            "misaligned",
            "alignment",
            r"overlap(?:s|ping)?",
            "font",
            r"colou?rs?",
            r"icons?",
            "logo",
            "layout",
            "padding",
            "spacing",
            "truncated",
            "ui glitch",
            "display glitch",
            r"looks? (?:wrong|odd|weird|off)",
        ],
        _p(LOW, 2.0),
        _tier(1, 1.0),
    ),
    _rule(["formatting", "formatted"], _p(LOW, 1.5)),
    _rule(
        [
            r"suggestions?",
            r"proposal(?= from|:)",
            r"feature requests?",
            r"enhancements?",
            r"improvements?",
            r"would be (?:nice|great|helpful|useful)",
            "nice to have",
            "it would help",
            r"wish(?:list)?",
            "idea for",
        ],
        _p(LOW, 2.0),
        _t(CHG, 2.5),
        _tier(2, 0.5),
    ),
    _rule(
        [
            r"(?:could|can|would) you (?:please )?add",
            "please add",
            r"add (?:a|an|new|the option|support for)\s+(?:\w+\s+)?"
            r"(?:field|column|filter|option|button|report|feature|setting|export|view|tab|sort)s?",
            r"new (?:feature|functionality|capability)",
            r"(?:develop|build|create) (?:a |an )?new (?:\w+ )?"
            r"(?:report|feature|field|screen|view|export|integration|step)",
            r"estimate (?:the )?(?:development|effort|work)",
            "change request",
            "evolutive",
            r"customi[sz]ation",
        ],
        _p(LOW, 1.5),
        _t(CHG, 3.0),
        _tier(2, 1.0),
    ),
    _rule(
        [
            "documentation",
            "user guide",
            "manual",
            r"help (?:article|page|centre|center)",
            "release notes",
            "knowledge base",
        ],
        _p(LOW, 1.5),
        _t(INFO, 1.5),
        _tier(1, 1.0),
    ),
    _rule(
        [
            r"general (?:question|inquiry|enquiry)",
            "quick question",
            r"just (?:wondering|curious|checking)",
            "out of curiosity",
            r"for (?:our )?information",
            "fyi",
        ],
        _p(LOW, 2.0),
        _t(INFO, 3.0),
        _tier(1, 1.5),
    ),
    _rule(
        [
            "not urgent",
            "no rush",
            "no hurry",
            "low priority",
            r"when(?:ever)? you (?:have|get) (?:time|a chance|a moment)",
            "at your convenience",
            r"in the next (?:few )?(?:weeks?|months?)",
        ],
        _p(LOW, 3.0),
    ),
    _rule(
        [
            r"(?:does(?:n't| not)|no|without|little to no)\s+(?:real\s+)?"
            r"(?:affect|impact)(?:s|ing)?",
            "harmless",
            r"non[- ]disruptive",
            r"can (?:be )?ignored?",
            r"(?:do(?:n't| not)|does(?:n't| not)) (?:seem to )?mind",
            r"(?:still|otherwise) works",
            r"(?:loads?|works?) (?:fine|normally) (?:after|anyway|afterwards)",
        ],
        _p(LOW, 2.0),
    ),
    # --- Types (000: incidents, service requests, access requests, information requests;
    # 004: "An Incident is an event that results in service disruptions or errors", "A
    # Service Request is a request for a task, or assignment to be provided or performed",
    # "A Change Request is a request for improvement / development of a functionality";
    # 003: complaints, disputes of an outcome)
    _rule(
        [
            r"errors?",
            r"fail(?:s|ed|ing|ure|ures)?",
            "broken",
            "not working",
            r"does(?:n't| not) work",
            "stopped working",
            r"won't (?:load|open|start|save)",
            "bug",
            "exception",
            r"blank (?:page|screen)",
            "not loading",
            r"wrong (?:\w+ )?(?:results?|amounts?|numbers|figures|totals?|values?|data|prices?)",
            "incorrect",
            r"missing (?:data|records|orders|items)",
            "mismatch",
        ],
        _t(INC, 2.0),
        _tier(2, 0.5),
    ),
    _rule(
        [rf"{_ASK}\s+(?:\w+\s+)?{_SERVICE_VERBS}", "request to"],
        _t(SRV, 2.0),
        _tier(1, 0.3),
    ),
    _rule(
        [
            r"(?:new|second|another|additional|extra)\s+(?:api (?:key|token)|token|licen[cs]es?"
            r"|sandbox|test environment|environment|mailbox|certificate|domain|instance|seats?)",
            r"(?:increase|raise|extend)\s+(?:the\s+|our\s+)?(?:quota|limit|storage|retention|capacity)",
            r"(?:cut-?off|schedule|configuration|settings?|parameter)\s+(?:change|update)",
            r"change the (?:\w+ )?(?:cut-?off|time|schedule|setting|configuration|threshold"
            r"|parameter|default)",
        ],
        _t(SRV, 2.5),
        _tier(2, 1.0),
    ),
    _rule(
        [
            rf"{_GRANT}\b[^.]{{0,30}}\b{_ACCESS}",
            rf"new {_NEWCOMER}",
            r"on-?boarding",
            "access level",
            r"read[- ]only",
            "admin rights",
        ],
        _t(ACC, 2.5),
        _p(LOW, 0.8),
        _tier(1, 1.5),
    ),
    _rule(
        [
            r"reset (?:my |the |his |her |their |a )?password",
            "password reset",
            r"forgot (?:my |the )?password",
            "locked out",
            r"account (?:is |was |got )?locked",
            "unlock",
            "mfa",
            "2fa",
            r"two[- ]factor",
            "authenticator",
        ],
        _t(ACC, 2.0),
        _tier(1, 2.0),
    ),
    _rule([r"permissions?", r"privileges?", r"roles?"], _t(ACC, 1.0), _tier(1, 0.5)),
    _rule(
        [
            r"how (?:do|can|should|would|to)",
            r"what (?:is|are|does)",
            r"where (?:can|do|is|are)",
            "is it possible",
            "is there a way",
            r"can (?:i|we)",
            r"do you (?:support|offer|have)",
            r"which (?:versions?|browsers?|options?)",
            r"(?:is|are) (?:it|they|this|that) supported",
            r"is there (?:a|an|any)",
            r"questions?",
            r"clarif(?:y|ication)",
            "explain",
            "wondering",
            "best practice",
            "difference between",
            "recommend",
        ],
        _t(INFO, 2.0),
        _p(LOW, 0.8),
        _tier(1, 1.0),
    ),
    _rule(
        [
            r"complain(?:t|ts|ing)?",
            "unacceptable",
            "disappointed",
            "dissatisfied",
            r"frustrat(?:ed|ing)",
            r"not (?:happy|satisfied|acceptable)",
            r"poor (?:service|support|response|communication)",
            "terrible",
            "appalling",
            "awful",
            "rude",
            "unprofessional",
            r"escalate (?:this )?to (?:a |your )?(?:manager|supervisor)",
            r"(?:speak|talk) to (?:a |your )?(?:manager|supervisor)",
            "closed without",
            r"(?:nobody|no one) (?:has )?(?:contacted|responded|replied|called)",
            r"formal(?:ly)? (?:complaint|dispute)",
            "dispute",
            "compensation",
            "refund",
        ],
        _t(CMP, 3.0),
        _p(HIGH, 0.8),
        _tier(2, 1.5),
    ),
    _rule(
        [
            r"(?:billed|charged|invoiced) (?:us )?twice",
            r"double[- ]charged",
            "overcharged",
            r"billing (?:error|issue|problem|mistake)",
        ],
        _t(CMP, 1.5),
        _p(MED, 1.5),
        _tier(1, 1.5),
    ),
    _rule(
        [r"still (?:waiting|not (?:fixed|resolved|working|answered))", "third time"],
        _t(CMP, 1.5),
        _p(HIGH, 0.5),
    ),
    # --- Tiers (002: Tier 1 "general inquiries, account issues, and simple
    # troubleshooting"; Tier 2 "complex issues, bugs, and platform-specific problems
    # requiring in-depth analysis"; Tier 3 "critical issues, such as platform-wide failures,
    # data corruption, or integration problems with external services")
    _rule(
        [
            r"integrations?",
            r"apis?",
            "erp",
            "crm",
            "sso",
            "saml",
            "ldap",
            "oauth",
            r"webhooks?",
            "edi",
            "sftp",
            "middleware",
            r"third[- ]party",
            r"external (?:system|service)",
            "interface",
        ],
        _tier(3, 1.5),
    ),
    _rule(
        [
            "database",
            "db",
            "server",
            "infrastructure",
            "certificate",
            "ssl",
            "tls",
            "dns",
            "cluster",
            "replication",
            "backup",
            r"data cent(?:re|er)",
            "network",
        ],
        _tier(3, 1.0),
    ),
    _rule(
        [
            "regression",
            rf"(?:after|since) (?:the |your |last )?{_CHANGE}",
            r"calculat\w+",
            r"reports?",
            r"dashboards?",
            r"exports?",
            r"imports?",
            r"jobs?",
            "batch",
            r"stack ?trace",
            r"logs?",
        ],
        _tier(2, 1.0),
    ),
    _rule(
        [
            "my account",
            "profile",
            "display name",
            "language setting",
            r"time ?zone",
            "invoice copy",
            r"copy of (?:the |an |our )?invoice",
            "billing address",
            "bookmark",
            r"printers?",
            "printing",
            "browser cache",
            r"clear(?:ed|ing)? (?:the )?cache",
        ],
        _tier(1, 1.0),
        _p(LOW, 0.5),
    ),
)


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
            hits.append(RuleHit(f"{users} users affected", (_p(CRIT, 2.5), _tier(3, 1.0))))
        elif users >= 20:
            hits.append(RuleHit(f"{users} users affected", (_p(HIGH, 2.0), _tier(2, 0.5))))
        elif users <= 5:
            hits.append(RuleHit(f"{users} users affected", (_p(MED, 1.0),)))
    if ticket.environment in (Environment.UAT, Environment.TEST):
        label = ticket.environment.label.upper() if ticket.environment else ""
        hits.append(RuleHit(f"{label} environment", (_p(MED, 1.5), _p(LOW, 0.5))))
    if ticket.integration:
        hits.append(RuleHit("integration named", (_tier(3, 1.5),)))
    return hits


def rule_scores(hits: Sequence[RuleHit]) -> dict[str, dict[object, float]]:
    """Per field, the summed weight of every vote for each value."""
    scores: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
    for hit in hits:
        for vote in hit.votes:
            field_scores = scores[vote.field]
            field_scores[vote.value] = field_scores.get(vote.value, 0.0) + vote.weight
    return scores


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


# ------------------------------------------------------------- the learned part


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = """a an the and or but if then than so to of in on at by for from with as is are
was were be been being it its this that these those there here we our us i me my you your he
she his her they them their has have had do does did will would can could should may might
must shall am not no yes hi hello dear thanks thank regards best kind please also just very
really about into out up over after before since when while which who whom what where why how
all any some each other such only own same too again still now today"""
STOPWORDS = frozenset(_STOPWORDS.split())


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    # Enough to make "crashes", "crashing" and "crashed" one word; not a linguist's stemmer.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _words(ticket: Ticket) -> Iterable[tuple[str, str, int]]:
    """(stem, word, weight) for each indexed word: the subject's count twice (it says what
    the ticket is about), then the start of the description; stop words dropped."""
    for text, weight in ((ticket.subject, 2), (ticket.description[:SCAN_CHARS], 1)):
        for word in _WORD.findall(_fold(text)):
            if len(word) > 1 and word not in STOPWORDS and not word.isdigit():
                yield _stem(word), word, weight


def terms(ticket: Ticket) -> Counter[str]:
    """The index terms of a ticket, with their weighted counts."""
    counts: Counter[str] = Counter()
    for stem, _word, weight in _words(ticket):
        counts[stem] += weight
    return counts


def _spelled(ticket: Ticket, stems: Iterable[str]) -> tuple[str, ...]:
    """Stems as the ticket spells them ("crash" as "crashes"): what people read."""
    spelling: dict[str, str] = {}
    for stem, word, _weight in _words(ticket):
        spelling.setdefault(stem, word)
    return tuple(spelling.get(stem, stem) for stem in stems)


@dataclass(frozen=True, slots=True)
class PastTicket:
    """What the index keeps of a resolved ticket: enough to vote and to be listed."""

    key: str
    subject: str
    status: Status
    priority: Priority
    type: TicketType
    tier: int
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> PastTicket:
        return cls(
            ticket.key,
            ticket.subject,
            ticket.status,
            ticket.priority,
            ticket.type,
            ticket.tier,
            ticket.resolved_at or ticket.closed_at,
        )


@dataclass(frozen=True, slots=True)
class SimilarTicket:
    ticket: PastTicket
    score: float
    """Cosine similarity of the TF-IDF vectors, 0..1."""
    shared: tuple[str, ...]
    """The words that weigh most in the match, for the agent to see why."""


class TicketIndex:
    """A TF-IDF index over past tickets, with an inverted list per term.

    Built once from an iterable (the service feeds it pages of the most recent resolved
    and closed tickets) and never changed after: a thread may read it while another
    builds its successor. Memory grows with `max_docs`, not with the store.
    """

    def __init__(
        self,
        docs: list[PastTicket],
        postings: dict[str, list[tuple[int, float]]],
        idf: dict[str, float],
        tops: list[tuple[tuple[str, float], ...]],
        truncated: bool,
    ) -> None:
        self.docs = docs
        self._postings = postings
        self._idf = idf
        self._tops = tops
        """Each document's heaviest terms: enough to say why two tickets match."""
        self._by_key = {doc.key: n for n, doc in enumerate(docs)}
        self.truncated = truncated
        """True when more tickets were offered than `max_docs`: older ones are not here."""

    @classmethod
    def build(cls, tickets: Iterable[Ticket], max_docs: int = 5000) -> TicketIndex:
        """Index up to `max_docs` tickets (the first ones given: pass the newest first)."""
        docs: list[PastTicket] = []
        counts: list[Counter[str]] = []
        truncated = False
        for ticket in tickets:
            if len(docs) >= max_docs:
                truncated = True
                break
            docs.append(PastTicket.of(ticket))
            counts.append(terms(ticket))
        df: Counter[str] = Counter()
        for doc_terms in counts:
            df.update(doc_terms.keys())
        n = len(docs)
        idf = {term: math.log((1 + n) / (1 + freq)) + 1.0 for term, freq in df.items()}
        postings: dict[str, list[tuple[int, float]]] = {}
        tops: list[tuple[tuple[str, float], ...]] = []
        for index, doc_terms in enumerate(counts):
            vector = _weights(doc_terms, idf, default_idf=0.0)
            for term, weight in vector.items():
                postings.setdefault(term, []).append((index, weight))
            tops.append(tuple(heapq.nlargest(_TOP_TERMS, vector.items(), key=_by_weight)))
        return cls(docs, postings, idf, tops, truncated)

    def __len__(self) -> int:
        return len(self.docs)

    def vector(self, ticket: Ticket) -> dict[str, float]:
        """A ticket's unit TF-IDF vector; words never seen weigh as the rarest ones."""
        rarest = math.log(1 + len(self.docs)) + 1.0
        return _weights(terms(ticket), self._idf, default_idf=rarest)

    def neighbours(self, ticket: Ticket, k: int = NEIGHBOURS) -> list[SimilarTicket]:
        """The `k` past tickets most like `ticket` (never itself), most similar first."""
        query = self.vector(ticket)
        scores: dict[int, float] = {}
        for term, weight in query.items():
            for doc, doc_weight in self._postings.get(term, ()):
                scores[doc] = scores.get(doc, 0.0) + weight * doc_weight
        own = self._by_key.get(ticket.key)
        best = heapq.nlargest(
            k + 1,
            ((score, -doc) for doc, score in scores.items() if doc != own),
        )
        found = []
        for score, neg_doc in best[:k]:
            if score < MIN_NEIGHBOUR_SCORE:
                break
            past = self.docs[-neg_doc]
            top = dict(self._tops[-neg_doc])
            shared = sorted((t for t in query if t in top), key=lambda t: (-query[t] * top[t], t))
            found.append(SimilarTicket(past, min(1.0, score), _spelled(ticket, shared[:3])))
        return found

    def similarity(self, ticket: Ticket, other: Ticket) -> SimilarTicket:
        """How alike two tickets are, with this index's word weights (for candidates found
        outside the index, e.g. by the store's full-text search)."""
        a, b = self.vector(ticket), self.vector(other)
        score = sum(weight * b.get(term, 0.0) for term, weight in a.items())
        shared = sorted((t for t in a if t in b), key=lambda t: (-a[t] * b[t], t))[:3]
        return SimilarTicket(PastTicket.of(other), min(1.0, score), _spelled(ticket, shared))

    def distinctive_words(self, ticket: Ticket, n: int = 3) -> list[str]:
        """The ticket's heaviest words (the rarer in the index, the heavier; unknown ones
        weigh most): search terms for candidates older than the index."""
        vector = self.vector(ticket)
        return sorted(vector, key=lambda t: (-vector[t], t))[:n]


def _by_weight(item: tuple[str, float]) -> tuple[float, str]:
    return item[1], item[0]


def _weights(
    counts: Mapping[str, int], idf: Mapping[str, float], default_idf: float
) -> dict[str, float]:
    vector = {
        term: (1.0 + math.log(count)) * idf.get(term, default_idf) for term, count in counts.items()
    }
    norm = math.sqrt(sum(w * w for w in vector.values()))
    if norm == 0:
        return {}
    return {term: w / norm for term, w in vector.items() if w > 0}


def learned_scores(neighbours: Sequence[SimilarTicket]) -> dict[str, dict[object, float]]:
    """Per field, each value's share of the neighbours' vote (weighted by similarity
    squared), scaled by LEARNED_WEIGHT and down when even the nearest is not close."""
    scores: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
    neighbours = [found for found in neighbours if found.score >= MIN_VOTER_SCORE]
    if not neighbours:
        return scores
    closeness = min(1.0, neighbours[0].score / CLOSE_ENOUGH)
    total = sum(found.score * found.score for found in neighbours)
    for name in FIELDS:
        tally = scores[name]
        for found in neighbours:
            value = getattr(found.ticket, name)
            share = found.score * found.score / total
            tally[value] = tally.get(value, 0.0) + LEARNED_WEIGHT * closeness * share
    return scores


# ------------------------------------------------------------------ suggestion


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
    sources: tuple[str, str, str] = ("default", "default", "default")
    """Which source decided priority, type and tier: rules, learned or default."""

    def fields(self) -> dict[str, object]:
        return {"priority": self.priority, "type": self.type, "tier": self.tier}

    def differs_from(self, ticket: Ticket) -> bool:
        return any(getattr(ticket, name) != value for name, value in self.fields().items())

    @property
    def label(self) -> str:
        """The compact form the screens show, e.g. "P2 · incident · tier 2"."""
        return f"{self.priority.short} · {self.type.label} · tier {self.tier}"


def suggest(
    ticket: Ticket, index: TicketIndex | None = None, *, use_rules: bool = True
) -> Suggestion:
    """Suggest a priority, type and tier for `ticket`, from the rules and, when given,
    the past tickets of `index`. Deterministic: the same input, the same suggestion."""
    hits = rule_hits(ticket) if use_rules else []
    scores = rule_scores(hits)
    neighbours = index.neighbours(ticket) if index is not None and len(index) else []
    learned = learned_scores(neighbours)
    chosen: dict[str, object] = {}
    confidence: dict[str, float] = {}
    source: dict[str, str] = {}
    for name in FIELDS:
        if name == "tier" and use_rules and chosen["priority"] is Priority.CRITICAL:
            tier_scores = scores["tier"]
            tier_scores[3] = tier_scores.get(3, 0.0) + CRITICAL_TIER_WEIGHT
        ruled, taught = scores[name], learned[name]
        combined = {v: ruled.get(v, 0.0) + taught.get(v, 0.0) for v in {*ruled, *taught}}
        verdict = _verdict(combined, _ORDER[name])
        if verdict is None:
            chosen[name], confidence[name], source[name] = _DEFAULTS[name], 0.0, "default"
            continue
        best, confidence[name] = verdict
        chosen[name] = best
        source[name] = "rules" if ruled.get(best, 0.0) >= taught.get(best, 0.0) else "learned"
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
        _reason(chosen, source, hits, neighbours),
        (source["priority"], source["type"], source["tier"]),
    )


def _reason(
    chosen: Mapping[str, object],
    source: Mapping[str, str],
    hits: Sequence[RuleHit],
    neighbours: Sequence[SimilarTicket],
) -> str:
    def shown(names: Sequence[str]) -> str:
        return ", ".join(_shown(name, chosen[name]) for name in names)

    parts: list[str] = []
    by_rules = [name for name in FIELDS if source[name] == "rules"]
    if by_rules:
        # The words that weighed most for what was chosen, none twice ("slowdown" is
        # already in "significant slowdown").
        weighed: dict[str, float] = {}
        for hit in hits:
            weight = sum(
                vote.weight
                for vote in hit.votes
                if vote.field in by_rules and vote.value == chosen[vote.field]
            )
            if weight > 0 and hit.quote:
                weighed[hit.quote] = weighed.get(hit.quote, 0.0) + weight
        quotes: list[str] = []
        for quote in sorted(weighed, key=lambda q: -weighed[q]):
            if not any(quote in q or q in quote for q in quotes):
                quotes.append(quote)
        said = ", ".join(f"‘{q}’" for q in quotes[:3]) or "policy"
        parts.append(f"{said} → {shown(by_rules)}")
    by_learned = [name for name in FIELDS if source[name] == "learned"]
    if by_learned:
        agreeing = [
            n.ticket.key
            for n in neighbours
            if any(getattr(n.ticket, name) == chosen[name] for name in by_learned)
        ]
        like = ", ".join(agreeing[:2]) + (f" +{len(agreeing) - 2}" if len(agreeing) > 2 else "")
        parts.append(f"{shown(by_learned)} like resolved {like}")
    defaults = [name for name in FIELDS if source[name] == "default"]
    if defaults:
        parts.append("no clear signal for " + ", ".join(defaults))
    return "; ".join(parts)


def _shown(name: str, value: object) -> str:
    if isinstance(value, Priority):
        return value.short
    if isinstance(value, TicketType):
        return value.label
    return f"tier {value}"


# ---------------------------------------------------------------- eligibility


@dataclass(frozen=True, slots=True)
class Triage:
    """What triage says about one ticket, as of `version`."""

    key: str
    version: int
    suggestion: Suggestion
    why_not: str | None
    """None when the suggestion is offered (to accept or dismiss); otherwise why not."""
    similar: tuple[SimilarTicket, ...] = ()

    @property
    def offered(self) -> bool:
        return self.why_not is None


def why_not_offered(ticket: Ticket, history: Sequence[AuditEntry] = ()) -> str | None:
    """None when a suggestion should be offered for `ticket`; otherwise why not, in words.

    Offered for new tickets nobody has triaged: not yet worked (status new), no accepted
    or dismissed suggestion (a tag on the ticket, so it is seen without reading history),
    and no priority, type or tier set by hand since it was created.
    """
    if ticket.status is not Status.NEW:
        return f"{ticket.key} is {ticket.status.label}: triage is for new tickets"
    if ACCEPTED_TAG in ticket.tags:
        return "a suggestion was accepted"
    if DISMISSED_TAG in ticket.tags:
        return "the suggestion was dismissed"
    for entry in history:
        if entry.field in FIELDS:
            return f"{entry.field} was set by {entry.actor}"
    return None
