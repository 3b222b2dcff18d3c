"""The phrase tables: what the rules read, distilled from the support policies in the seeds.

Data, kept apart from the engine that reads it (`rules`): each rule is a set of
phrases (regular expressions, matched as whole words in the lowercased subject and
description) and the votes they cast. The comments quote the policy lines each group
comes from (000-004: the seeds' policy pages).
"""

from __future__ import annotations

from ..model import Priority, TicketType
from .votes import Rule, phrase_rule, priority_vote, tier_vote, type_vote

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
    r"|archive|perform|plan|run|check|test|add|re-?run|re-?send|resend|re-?import|re-?process"
    r"|import)"
)
_ASK = r"(?:please|could you|can you|would you|kindly|we need you to|we would like you to)"
_GRANT = r"(?:grant|give|provide|request(?:ing)?|need|needs|add|create|set up|setup|restore)"
_ACCESS = r"(?:access|accounts?|logins?|permissions?|roles?|rights|sso)"
_NEWCOMER = r"(?:user|starter|employee|hire|joiner|colleague|member of staff|store manager)"

COUNTED_PEOPLE = (
    r"people|persons|users|staff|employees|colleagues|agents|planners|buyers|teachers"
    r"|students|members|drivers|cashiers|designers|accountants|nurses"
)
"""Who a number counts in "12 people", "around 40 users": how many are affected."""

HARM = 4.5
"""A security breach or another customer's data on screen is critical whatever the
customer calls it: above "not urgent" (3) and the leans of a question together."""

TYPE_LEANS: dict[TicketType, tuple[Priority, int]] = {
    INC: (MED, 2),
    SRV: (MED, 2),
    ACC: (LOW, 1),
    CHG: (LOW, 2),
    INFO: (LOW, 1),
    CMP: (MED, 2),
}
"""What a ticket's type says of its priority and tier when its words say nothing else
(the policy's usual case: a request is medium, a question low, a suggestion low, tier 2).
A type phrase casts these as light votes, so the words that gave the type are quoted."""
TYPE_LEAN_SHARE = 0.25
"""A type's summed votes s lean priority and tier by min(s, TYPE_LEAN_CAP) times this:
below any rule."""
TYPE_LEAN_CAP = 3.0
"""Many words for one type ("error", "failed", "broken") say it is that type, not that
its usual tier outweighs a word about the tier itself ("ERP", "integration")."""

# Each rule: phrases (regular expressions, matched as whole words in the lowercased subject
# and description) and the votes they cast. Weights: 3 decides alone, 2 nearly, 1 leans.
RULES: tuple[Rule, ...] = (
    # --- Highest / critical (001: "Complete system downtime affecting all users", "Security
    # breaches, such as unauthorized data access or critical data loss", "Database corruption
    # preventing user transactions", "Network outages that block access to all services",
    # "Errors preventing all users from logging in"; 002: "Platform-wide outage, critical
    # data loss, or major feature failure affecting all users")
    phrase_rule(
        [
            r"(?:complete|total|full|major|platform[- ]wide|site[- ]wide|system[- ]wide|global"
            r"|company[- ]wide|network)\s+(?:outage|downtime|failure|blackout)"
        ],
        priority_vote(CRIT, 3.0),
        type_vote(INC, 2.0),
        tier_vote(3, 2.0),
    ),
    phrase_rule(
        [r"(?:partial|regional|local)\s+outage"],
        priority_vote(HIGH, 3.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(["outages?"], priority_vote(CRIT, 1.5), type_vote(INC, 2.0), tier_vote(3, 1.0)),
    phrase_rule(
        [
            rf"{_ALL}\s+{_OWNER}{_PEOPLE}",
            rf"every single {_PEOPLE}",
            "everyone",
            "everybody",
            r"company[- ]wide",
            r"across the (?:company|organi[sz]ation|board)",
        ],
        priority_vote(CRIT, 2.0),
        type_vote(INC, 0.5),
        tier_vote(3, 0.5),
    ),
    phrase_rule(
        [
            r"(?:nobody|no one|none of (?:us|(?:our|the)(?: [\w,]+){1,2}))"
            r"(?: (?:in|at) (?:the|our) (?:company|organi[sz]ation|business|firm))?\s+"
            r"(?:can|is able to|could|are able)",
            rf"no {_PEOPLE} (?:can|could|is able to)",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 1.5),
        tier_vote(3, 1.0),
    ),
    phrase_rule(
        [
            rf"{_SYSTEM}\s+(?:is\s+|are\s+|went\s+|seems\s+)?(?:completely\s+|totally\s+)?"
            r"(?:down|unreachable|offline|dead|not responding|unresponsive)",
            r"down for (?:everyone|everybody|all)",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 2.0),
        tier_vote(3, 1.5),
    ),
    phrase_rule(
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
            r"(?:unknown|unfamiliar|foreign|suspicious) (?:ip|country|location|device|address)",
        ],
        priority_vote(CRIT, HARM),
        type_vote(INC, 3.0),
        tier_vote(3, 3.0),
    ),
    # Serious harm in plain words: another customer's data on screen is a breach, records
    # gone missing are data loss, the whole company stopped is an outage.
    phrase_rule(
        [
            r"(?:another|other|a different) (?:customer|client|company|retailer|tenant)'?s? "
            r"(?:data|records|names|orders|invoices|numbers|details|addresses)",
            r"(?:belong|belongs|belonging) to (?:a different|another|other) "
            r"(?:customer|client|company|retailer|tenant)",
            r"(?:visible|exposed|accessible|readable) to (?:anyone|everyone|the public|all)",
            r"public(?:ly)? (?:link|url|accessible)",
            r"(?:data|orders|names|addresses|numbers|figures|details|records|invoices|sales"
            r"|customers|prices)(?: [\w-]+){0,3} (?:of|from) (?:another|a different|other"
            r"|someone else's) (?:customer|client|company|retailer|tenant|chain|brand)s?",
            r"wrong (?:customer|client|company|retailer|tenant)'?s",
        ],
        priority_vote(CRIT, HARM),
        type_vote(INC, 3.0),
        tier_vote(3, 3.0),
    ),
    phrase_rule(
        [
            r"(?:invoices|orders|records|data|files|documents|transactions|bookings|figures)"
            r"(?: [\w-]+){0,4} (?:have |has |are |were )?(?:gone missing|vanished|disappeared"
            r"|been deleted|been wiped)",
            r"(?:whole|entire) (?:company|business|organi[sz]ation) (?:can't|cannot|is unable"
            r"|is at a standstill|has stopped|is stuck)",
            r"(?:can't|cannot) (?:do any|work at all)",
        ],
        priority_vote(CRIT, 3.0),
        type_vote(INC, 2.0),
        tier_vote(3, 2.0),
    ),
    phrase_rule(
        [
            "data loss",
            r"lost (?:all )?(?:of )?(?:our |the )?(?:data|records|orders)",
            rf"(?:data|records|orders) (?:was |were |has been |have been )?{_LOST}",
            rf"(?:were|was|has been|have been|got) (?:completely |all )?{_LOST}",
            "critical data",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 2.0),
        tier_vote(3, 2.5),
    ),
    phrase_rule(
        [
            r"corrupt(?:ed|ion)?",
            "inconsistent data",
            r"duplicated? (?:records|payments|transactions|orders|invoices|bookings)",
            "integrity",
        ],
        priority_vote(CRIT, 1.5),
        type_vote(INC, 2.0),
        tier_vote(3, 2.5),
    ),
    phrase_rule(
        [
            r"prevent(?:s|ing)?\s+(?:all\s+)?(?:user\s+|customer\s+)?(?:transactions|checkout|payments|orders|sales)"
        ],
        priority_vote(CRIT, 2.0),
        type_vote(INC, 1.0),
        tier_vote(3, 1.0),
    ),
    phrase_rule(
        ["service unavailable", r"50[234]"],
        priority_vote(CRIT, 1.0),
        type_vote(INC, 2.0),
        tier_vote(3, 0.5),
    ),
    # --- High (001: "Core features being unavailable for multiple users", "Significant
    # performance slowdowns", "Frequent system disconnections or application crashes for a
    # large group of users", "Errors that prevent users from completing critical tasks",
    # "Partial outages impacting specific departments or regions"; 002: "Major bugs affecting
    # core features, service interruptions for a specific user group, or significant delays
    # in job processing")
    phrase_rule(
        [
            r"(?:core|key|main|critical|essential|primary|central)\s+"
            r"(?:feature|function|functionality|module|process|screen|workflow)s?"
        ],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 0.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [rf"{_MANY}\s+{_OWNER}(?:{_PEOPLE}|{_WHERE}(?:e?s)?)"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 0.5),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            rf"(?:all|every|everyone|everybody)\b[^.]{{0,30}}\b(?:in|at|from) (?:our|the) "
            rf"(?:\w+ )?{_WHERE}",
            rf"other {_WHERE}s? (?:are|is|work|works|seem)",
        ],
        priority_vote(HIGH, 2.5),
        priority_vote(CRIT, -2.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            r"(?:others?|most (?:people|users|of them|colleagues)|the rest|my colleagues)"
            r" (?:are|is|work|works|seem|say|get|receive)(?: \w+)?"
            r" (?:fine|ok|okay|unaffected|not affected|normally|on time)",
            r"(?:it's|it is) fine",
        ],
        priority_vote(MED, 1.5),
        priority_vote(CRIT, -2.0),
    ),
    phrase_rule(
        [
            rf"(?:entire|whole|all of (?:the|our)|the whole|our whole|our entire)\s+(?:\w+\s+)?"
            rf"{_WHERE}",
            rf"(?:nobody|no one) (?:in|at|from) (?:the|our) (?:\w+ ){{0,2}}{_WHERE}",
        ],
        priority_vote(HIGH, 2.5),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            r"(?:significant(?:ly)?|severe(?:ly)?|major|serious(?:ly)?|extreme(?:ly)?|huge"
            r"|massive|very|unusably|painfully)\s+"
            r"(?:slow(?:ness|down|downs)?|performance|delays?|degradation|lag|latency)"
        ],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"slow(?:ness|down|downs|ly)?",
            "sluggish",
            r"takes? (?:ages|forever|minutes)",
            "performance",
            "latency",
            r"time(?:s|d)? ?out",
        ],
        priority_vote(MED, 0.8),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"crash(?:es|ing|ed)?",
            r"disconnect(?:s|ions?|ing|ed)?",
            r"freez(?:es|ing)",
            "frozen",
            r"hangs?",
            "kicked out",
            "logged out",
        ],
        priority_vote(MED, 0.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"frequent(?:ly)?",
            r"constant(?:ly)?",
            r"every (?:few )?(?:minutes?|hour)",
            r"(?:several|many) times (?:an|a|per) (?:hour|day|shift)",
        ],
        priority_vote(HIGH, 0.8),
    ),
    phrase_rule(
        [
            r"(?:prevent(?:s|ing)?|block(?:s|ing|ed)?|stop(?:s|ping|ped)?|unable to|cannot"
            rf"|can ?not|can't)\b[^.]{{0,40}}\b{_TASKS}"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [
            r"(?:major|critical|serious|blocking)\s+(?:bug|issue|problem|error|defect)s?",
            "blocker",
            r"show[- ]?stopper",
        ],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            rf"{_PIPES}(?:\s+[\w-]+){{0,3}}\s+(?:is |are |has |have |was |were |keeps? )?"
            rf"(?:been )?{_FAILING}"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"urgent(?:ly)?", "asap", "as soon as possible", "immediately", "emergency"],
        priority_vote(HIGH, 1.0),
        priority_vote(CRIT, 0.3),
    ),
    phrase_rule(
        [
            r"(?:revoke|remove|disable|deactivate|terminate|block|suspend)\b[^.]{0,40}\b"
            r"(?:access|accounts?|users?|logins?)",
            r"leavers?",
            r"(?:left|leaves|leaving) the (?:company|organi[sz]ation|business|firm)",
            r"off-?boarding",
        ],
        priority_vote(HIGH, 2.5),
        type_vote(ACC, 3.0),
        tier_vote(1, 1.5),
    ),
    # --- Normal / medium (001: "Non-essential features malfunctioning for a small group of
    # users", "Intermittent performance issues", "Delayed notifications or alerts for some
    # users", "Minor bugs", "Sporadic connectivity issues"; 002: "Non-critical bugs, feature
    # usage guidance, or minor performance issues")
    phrase_rule([rf"{_FEW}\s+{_OWNER}{_PEOPLE}"], priority_vote(MED, 2.0), tier_vote(1, 0.3)),
    phrase_rule(
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
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [
            rf"(?:delayed|late)\s+(?:e-?mail\s+)?{_NOTICES}",
            rf"{_NOTICES}\b[^.]{{0,40}}\b(?:late|delayed|hours? later)",
        ],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.5),
        tier_vote(1, 0.5),
    ),
    phrase_rule(
        [
            r"(?:minor|small|little|slight)\s+(?:bug|issue|problem|error|glitch|defect)s?",
            r"non[- ]critical",
            "not critical",
        ],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            "workaround",
            r"in the meantime",
            "meanwhile",
            r"(?:we|i|they) can still",
            r"(?:by|in) hand for now",
        ],
        priority_vote(MED, 1.0),
    ),
    phrase_rule(
        [
            r"no (?:way around|workaround|alternative|other way)",
            r"(?:is|are) due (?:today|tomorrow|this (?:week|afternoon|evening))",
            r"deadline (?:is )?(?:today|tomorrow)",
        ],
        priority_vote(HIGH, 1.5),
    ),
    phrase_rule(
        [r"non[- ]essential", "not blocking", r"does(?:n't| not) (?:block|stop|prevent)"],
        priority_vote(MED, 1.0),
        priority_vote(LOW, 0.5),
    ),
    phrase_rule(
        ["guidance", r"best practices?", r"what (?:do|would) you recommend", "advice"],
        type_vote(INFO, 2.0),
        priority_vote(MED, 2.0),
        tier_vote(2, 0.5),
    ),
    # --- Low (001: "Visual inconsistencies or small UI glitches", "Typographical errors or
    # formatting issues", "Suggestions for minor feature enhancements or design
    # improvements", "Infrequent, non-disruptive error messages that do not affect
    # usability", "Requests for documentation updates or clarifications"; 002: "General
    # inquiries, feature requests, account configuration assistance")
    phrase_rule(
        [r"typos?", "typographical", "spelling", r"misspel\w*", "grammar", "wording"],
        priority_vote(LOW, 3.0),
        type_vote(INC, 0.5),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
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
        priority_vote(LOW, 2.0),
        type_vote(INC, 0.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(["formatting", "formatted"], priority_vote(LOW, 1.5)),
    phrase_rule(
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
        priority_vote(LOW, 2.0),
        type_vote(CHG, 2.5),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
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
        priority_vote(LOW, 1.5),
        type_vote(CHG, 3.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            "documentation",
            "user guide",
            "manual",
            r"help (?:article|page|centre|center)",
            "release notes",
            "knowledge base",
        ],
        priority_vote(LOW, 1.5),
        type_vote(INFO, 1.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"general (?:question|inquiry|enquiry)",
            "quick question",
            r"just (?:wondering|curious|checking)",
            "out of curiosity",
            r"for (?:our )?information",
            "fyi",
        ],
        priority_vote(LOW, 2.0),
        type_vote(INFO, 3.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            "not urgent",
            "no rush",
            "no hurry",
            "low priority",
            r"when(?:ever)? you (?:have|get) (?:time|a chance|a moment)",
            "at your convenience",
            r"in the next (?:few )?(?:weeks?|months?)",
        ],
        priority_vote(LOW, 3.0),
    ),
    phrase_rule(
        [
            r"(?:does(?:n't| not)|no|without|little to no)\s+(?:real\s+)?"
            r"(?:affect|impact)(?:s|ing)?",
            "harmless",
            r"non[- ]disruptive",
            r"can (?:be )?ignored?",
            r"(?:do(?:n't| not)|does(?:n't| not)) (?:seem to )?mind",
            r"(?:still|otherwise) works",
            r"(?:loads?|works?) (?:fine|normally) (?:after|anyway|afterwards)",
            r"(?:works|is working|working) again",
        ],
        priority_vote(LOW, 2.0),
    ),
    # --- Types (000: incidents, service requests, access requests, information requests;
    # 004: "An Incident is an event that results in service disruptions or errors", "A
    # Service Request is a request for a task, or assignment to be provided or performed",
    # "A Change Request is a request for improvement / development of a functionality";
    # 003: complaints, disputes of an outcome)
    phrase_rule(
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
            r"(?:blank|empty) (?:page|screen)",
            r"warnings?",
            "not loading",
            r"wrong (?:\w+ )?(?:results?|amounts?|numbers|figures|totals?|values?|data|prices?)",
            "incorrect",
            r"missing (?:data|records|orders|items)",
            "mismatch",
        ],
        type_vote(INC, 2.0),
        tier_vote(2, 0.5),
    ),
    # A problem in plain words, no "error" named: something cannot be done, is not saved,
    # has gone missing, shows the wrong thing.
    phrase_rule(
        [
            r"(?:can ?not|can't|unable to|couldn't|could not) (?:\w+ )?(?:log|open|print|save"
            r"|see|access|load|send|post|find|use|connect|finish|complete|process|enrol\w*)",
            r"(?:not|isn't|aren't|wasn't|weren't) (?:being )?(?:saved|updated|sent|loaded|shown"
            r"|synced|displayed|received|imported|exported|calculated|posted)",
            r"(?:is|are|went|has gone|have gone) missing",
            r"missing (?:after|since|from)",
            r"shows? (?:the )?wrong",
            r"spins? forever",
            r"no longer (?:\w+ )?(?:synced|sent|imported|working|works|updated|arrive|loads?"
            r"|shows?|visible|available|possible)",
            r"wrong(?:ly)?",
        ],
        type_vote(INC, 1.5),
    ),
    phrase_rule(
        [rf"{_ASK}\s+(?:\w+\s+)?{_SERVICE_VERBS}", "request to"],
        type_vote(SRV, 2.0),
        tier_vote(1, 0.3),
    ),
    phrase_rule(
        [
            r"(?:new|second|another|additional|extra)\s+(?:api (?:key|token)|token|licen[cs]es?"
            r"|sandbox|test environment|environment|mailbox|certificate|domain|instance|seats?)",
            r"(?:increase|raise|extend)\s+(?:the\s+|our\s+)?(?:quota|limit|storage|retention|capacity)",
            r"(?:cut-?off|schedule|configuration|settings?|parameter)\s+(?:change|update)",
            r"change the (?:\w+ )?(?:cut-?off|time|schedule|setting|configuration|threshold"
            r"|parameter|default)",
        ],
        type_vote(SRV, 2.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:copy|duplicate|re-?issue) of (?:the |an |our )?(?:\w+ )?(?:invoice|receipt)",
            r"invoice copy",
        ],
        type_vote(SRV, 2.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            rf"{_GRANT}\b[^.]{{0,30}}\b{_ACCESS}",
            rf"new {_NEWCOMER}",
            r"on-?boarding",
            "access level",
            r"read[- ]only",
            "admin rights",
        ],
        type_vote(ACC, 2.5),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
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
        type_vote(ACC, 2.0),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.0),
    ),
    phrase_rule(
        [r"permissions?", r"privileges?", r"roles?"], type_vote(ACC, 1.0), tier_vote(1, 0.5)
    ),
    phrase_rule(
        [
            r"how (?:do|can|should|would|to)",
            r"what (?:is|are|does)",
            r"where (?:can|do|is|are)",
            r"when (?:is|will|are|does|do|can|should)",
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
        type_vote(INFO, 2.0),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
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
            "dispute",
            "compensation",
            "refund",
        ],
        type_vote(CMP, 3.0),
        priority_vote(MED, 0.8),
        tier_vote(2, 1.5),
    ),
    # A complaint that has already waited, been closed unsolved or asks for a manager is
    # an escalation (003: a disputed outcome goes to a lead): high.
    phrase_rule(
        [
            r"escalated? (?:this )?to (?:a |your )?(?:manager|supervisor|lead)",
            r"(?:speak|talk) (?:to|with) (?:a |your )?(?:manager|supervisor)",
            "closed without",
            r"(?:nobody|no one) (?:has )?(?:contacted|responded|replied|called|answered)",
            r"formal(?:ly)? (?:complaint|dispute)",
            r"without (?:an |any )?(?:answer|reply|response|update)",
        ],
        type_vote(CMP, 3.0),
        priority_vote(HIGH, 2.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"(?:billed|charged|invoiced) (?:us )?twice",
            r"double[- ]charged",
            "overcharged",
            r"billing (?:error|issue|problem|mistake)",
            r"(?:billed|charged|invoiced) (?:us )?for",
        ],
        type_vote(CMP, 1.5),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.5),
    ),
    phrase_rule(
        [r"still (?:waiting|not (?:fixed|resolved|working|answered))", r"(?:third|fourth) time"],
        type_vote(CMP, 1.5),
        priority_vote(HIGH, 1.0),
    ),
)
