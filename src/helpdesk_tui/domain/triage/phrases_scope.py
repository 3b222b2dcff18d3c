"""The English tier-scope table: the words that say which tier's work a ticket is (the
systems, artefacts and self-service matters it names), apart from `phrases` so that each
table stays readable. Data only, matched after `phrases.RULES`."""

from __future__ import annotations

from .phrases import LOW
from .votes import Rule, phrase_rule, priority_vote, tier_vote

_CHANGE = r"(?:update|upgrade|release|deploy(?:ment)?|patch|migration)"

SCOPE_RULES: tuple[Rule, ...] = (
    # --- Tiers (002: Tier 1 "general inquiries, account issues, and simple
    # troubleshooting"; Tier 2 "complex issues, bugs, and platform-specific problems
    # requiring in-depth analysis"; Tier 3 "critical issues, such as platform-wide failures,
    # data corruption, or integration problems with external services")
    phrase_rule(
        [
            r"integrations?",
            "erp",
            r"webhooks?",
            "edi",
            "sftp",
            "middleware",
            r"third[- ]party",
            r"external (?:system|service)",
            "interface",
        ],
        tier_vote(3, 3.0),
    ),
    phrase_rule([r"apis?", "crm", "sso", "saml", "ldap", "oauth"], tier_vote(3, 1.5)),
    phrase_rule(
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
        tier_vote(3, 1.0),
    ),
    phrase_rule(
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
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            "my account",
            "profile",
            "display name",
            "language setting",
            r"time ?zone",
            "invoice copy",
            r"copy of (?:the |an |our )?(?:\w+ )?invoice",
            "billing address",
            "bookmark",
            r"print(?:s|ed|ing|ers?)?",
            "browser cache",
            r"clear(?:ed|ing)? (?:the )?cache",
        ],
        tier_vote(1, 1.0),
        priority_vote(LOW, 0.5),
    ),
)
