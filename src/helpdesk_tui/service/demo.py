"""A realistic demo store, written through the service so every ticket has a true history.

Scenarios follow the seeds' own examples (outages, core features down for a group of
users, access requests, configuration questions, complaints). Time is simulated: each
ticket is lived through on its own clock that ends before `now`, so open tickets land
in every SLA state (running, at risk, breached, paused) when the demo is opened.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..domain.access import serves
from ..domain.escalation import ReviewDecision
from ..domain.model import (
    Agent,
    Channel,
    Environment,
    Escalation,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
)
from ..domain.sla import Policy
from ..store.base import NotFound, TicketRepository
from .drafts import TicketDraft
from .helpdesk import HelpdeskService

ORGANIZATIONS = {
    "Acme Retail": "acme-retail.example",
    "Northwind Logistics": "northwind.example",
    "Fjordvik AB": "fjordvik.example",
    "Lisboa Têxteis": "lisboatexteis.example",
    "Contoso Health": "contoso-health.example",
    "Globex Education": "globex-edu.example",
    "Initech Finance": "initech.example",
    "Umbrella Labs": "umbrella-labs.example",
}

PEOPLE = [
    "Maria Santos",
    "Erik Lindqvist",
    "Priya Natarajan",
    "James O'Connor",
    "Sofia Almeida",
    "Lars Johansson",
    "Chen Wei",
    "Fatima Haddad",
    "Tomás Ribeiro",
    "Anna Berg",
    "David Kim",
    "Ingrid Nilsson",
    "Kwame Mensah",
    "Laura Fischer",
    "Rui Costa",
]

AGENTS = [
    Agent("alice", "Alice Moreau", "alice@helpdesk.example", 1, Role.AGENT, "Frontline"),
    Agent("bongani", "Bongani Dube", "bongani@helpdesk.example", 1, Role.AGENT, "Frontline"),
    Agent(
        "carla",
        "Carla Nunes",
        "carla@helpdesk.example",
        1,
        Role.AGENT,
        "Frontline",
        ("Lisboa Têxteis", "Acme Retail", "Globex Education"),
    ),
    Agent("dmitri", "Dmitri Volkov", "dmitri@helpdesk.example", 2, Role.AGENT, "Platform"),
    Agent("elin", "Elin Sjöberg", "elin@helpdesk.example", 2, Role.AGENT, "Platform"),
    Agent("farah", "Farah Aziz", "farah@helpdesk.example", 2, Role.AGENT, "Platform"),
    Agent("gustavo", "Gustavo Pereira", "gustavo@helpdesk.example", 3, Role.AGENT, "Engineering"),
    Agent("hana", "Hana Sato", "hana@helpdesk.example", 3, Role.AGENT, "Engineering"),
    Agent("ivan", "Ivan Petrov", "ivan@helpdesk.example", 3, Role.LEAD, "Engineering"),
    Agent("julia", "Julia Becker", "julia@helpdesk.example", 2, Role.LEAD, "Frontline"),
]

TEAMS = [
    Team("Frontline", "Tier 1: general enquiries, accounts, first troubleshooting"),
    Team("Platform", "Tier 2: complex issues, bugs, platform-specific analysis"),
    Team("Engineering", "Tier 3: platform-wide failures, data corruption, integrations"),
]


@dataclass(frozen=True, slots=True)
class Scenario:
    subject: str
    description: str
    type: TicketType
    priority: Priority
    tier: int
    category: str
    replies: tuple[str, ...]
    customer: tuple[str, ...]
    notes: tuple[str, ...]
    integration: str | None = None
    affected: int | None = None


SCENARIOS = [
    Scenario(
        "Complete outage: nobody can log in to the platform",
        "Since 07:40 every user at {org} gets 'Service unavailable' on the login page. "
        "Our stores open in an hour and cannot see today's replenishment orders.\n\n"
        "Browser: Chrome 131 and Edge, several offices. Screenshot attached in the portal.",
        TicketType.INCIDENT,
        Priority.CRITICAL,
        3,
        "outage",
        (
            "We can reproduce the outage and our engineers are on it. Next update within the hour.",
            "Service is restored: a failed certificate rotation on the login gateway. "
            "Root-cause report follows within 2 business days.",
        ),
        (
            "Any news? Our regional managers are calling us.",
            "Confirmed, everyone can log in again.",
        ),
        (
            "Gateway returns 503 on /auth/callback; cert expired at 07:38 UTC.",
            "Paged on-call; rotation job failed silently, see change CHG-2211.",
        ),
        None,
        1200,
    ),
    Scenario(
        "Database error prevents saving transactions",
        "Since this morning the checkout step fails with 'ERROR: could not write block' for "
        "all our users in production. Orders are piling up. Environment: production.",
        TicketType.INCIDENT,
        Priority.CRITICAL,
        3,
        "data",
        (
            "We have stopped the failing writer and are restoring the affected table; "
            "no data is lost. Next update in 60 minutes.",
        ),
        ("Is our data safe? We need an answer for our management.",),
        ("Disk full on db-03; autovacuum stuck. Freed space, replaying WAL.",),
        "ERP sync",
        800,
    ),
    Scenario(
        "Replenishment jobs delayed by several hours",
        "The nightly replenishment job for the Nordic stores finished at 11:20 instead of 05:00. "
        "Store managers could not review proposals before opening.",
        TicketType.INCIDENT,
        Priority.HIGH,
        2,
        "jobs",
        (
            "Thanks for the details. The job queue was saturated by a reprocessing run; "
            "we have rescheduled it and tonight's run is prioritised.",
        ),
        ("It happened again today, 09:45 this time.",),
        ("Worker pool stuck at 4/16 since the deploy on Monday.",),
        "Job scheduler",
        60,
    ),
    Scenario(
        "Core feature unavailable for the Lisbon office",
        "The stock transfer screen shows a blank page for all users in our Lisbon office "
        "(about 40 people). Other offices are fine. We tried clearing the cache.",
        TicketType.INCIDENT,
        Priority.HIGH,
        2,
        "frontend",
        (
            "Could you send us the browser console output from one of the affected users?",
            "A regional CDN node served a stale bundle; it has been purged. Please reload.",
        ),
        ("Console says 'ChunkLoadError: Loading chunk 412 failed'.", "Works now, thank you!"),
        ("Only eu-south edge affected. Purge requested.",),
        None,
        40,
    ),
    Scenario(
        "Significant slowdown when opening reports",
        "Opening the weekly sales report takes 90 seconds instead of 5. It affects the whole "
        "merchandising team and makes our Monday meeting very hard.",
        TicketType.INCIDENT,
        Priority.HIGH,
        2,
        "performance",
        ("We see the slow queries on our side and are working on an index fix.",),
        ("Any update? Still slow this morning.",),
        ("Query plan switched to seq scan after stats reset; ANALYZE scheduled.",),
        None,
        25,
    ),
    Scenario(
        "Notifications arrive late for some users",
        "Three of our planners receive the 'proposal ready' e-mail notifications one to two "
        "hours late. Others get them on time.",
        TicketType.INCIDENT,
        Priority.MEDIUM,
        1,
        "notifications",
        (
            "We have found a delayed mail queue for your tenant and cleared it. "
            "Could you confirm the next notifications arrive on time?",
        ),
        ("Today they came on time. Thanks.",),
        ("SMTP relay retry backlog; tenant throttle too low.",),
    ),
    Scenario(
        "Minor bug: export to Excel drops the last column",
        "When we export the assortment plan to Excel, the 'Season' column is missing. "
        "The CSV export is fine.",
        TicketType.INCIDENT,
        Priority.MEDIUM,
        2,
        "export",
        (
            "Thank you, we reproduced it and a fix is planned for the next release. "
            "Until then the CSV export is a workaround.",
        ),
        ("OK, we will use CSV for now.",),
        ("Bug filed: xlsx writer off-by-one when > 26 columns.",),
    ),
    Scenario(
        "New user account for a store manager",
        "Please create an account for our new store manager.\n\nFull name: {person}\n"
        "E-mail: {email}\nAccess level: Store\nPermissions: replenishment, transfers",
        TicketType.ACCESS_REQUEST,
        Priority.LOW,
        1,
        "accounts",
        ("The account is created and an invitation was sent to the address you gave.",),
        ("Received, thank you.",),
        ("Verified requester is an admin contact for the organization.",),
    ),
    Scenario(
        "Revoke access for a leaver",
        "{person} left the company on Friday. Please revoke all access to the platform today.",
        TicketType.ACCESS_REQUEST,
        Priority.HIGH,
        1,
        "accounts",
        ("Access is revoked and active sessions were ended.",),
        ("Thanks for the quick action.",),
        ("Security-relevant: do same day even outside hours.",),
    ),
    Scenario(
        "Change the replenishment cut-off time",
        "We would like the replenishment proposals to be generated at 04:00 instead of 05:00 "
        "from next Monday, for all Nordic stores.",
        TicketType.SERVICE_REQUEST,
        Priority.MEDIUM,
        2,
        "configuration",
        ("The change is scheduled for Sunday night. We will confirm once it is live.",),
        ("Great, thank you.",),
        ("Needs change approval from the customer's admin; received.",),
    ),
    Scenario(
        "How do I set up a new warehouse in the platform?",
        "We open a new distribution centre in Porto next month. What do we need to send you "
        "to configure it, and how long does it take?",
        TicketType.INFORMATION_REQUEST,
        Priority.LOW,
        1,
        "guidance",
        (
            "Here is the checklist for a new warehouse: location codes, opening date, capacity "
            "and the stores it serves. Setup takes about 5 business days.",
        ),
        ("Perfect, we will send it by Friday.",),
        (),
    ),
    Scenario(
        "Typo in the transfer confirmation dialog",
        "The confirmation dialog says 'Transfer sucessfully created'. Small thing, but our "
        "users noticed.",
        TicketType.INCIDENT,
        Priority.LOW,
        1,
        "ui",
        ("Thanks for spotting it! The fix ships with the next release.",),
        (),
        (),
    ),
    Scenario(
        "Complaint: ticket closed without a real answer",
        "Our previous ticket about the missing sales data was closed with a generic message. "
        "The data is still missing and nobody contacted us. This is not acceptable.",
        TicketType.COMPLAINT,
        Priority.HIGH,
        2,
        "complaint",
        (
            "We are sorry: the previous ticket should not have been closed. A lead is reviewing "
            "it and we will call you today.",
        ),
        ("We expect a proper explanation this time.",),
        ("Customer disputes the outcome of the earlier ticket: lead review.",),
    ),
    Scenario(
        "Request for a new API key for the ERP integration",
        "Our ERP team needs a second API key for the test environment (UAT) to validate "
        "the new order interface.",
        TicketType.SERVICE_REQUEST,
        Priority.MEDIUM,
        2,
        "integration",
        ("A UAT key has been issued to your admin contact through the secure portal.",),
        ("Got it, thanks.",),
        ("Never send keys by e-mail: portal only.",),
        "ERP order API",
    ),
    Scenario(
        "Change request: add a field to the store profile",
        "Could you add an 'opening hours on Sunday' field to the store profile? We need it "
        "for the new weekend replenishment logic.",
        TicketType.CHANGE_REQUEST,
        Priority.LOW,
        2,
        "feature",
        (
            "Thanks for the suggestion. We have passed it to the product team as feedback; "
            "it is not part of the support scope.",
        ),
        (),
        ("Out of scope (evolutive): log as feedback.",),
    ),
    Scenario(
        "Sporadic disconnections from the mobile app",
        "A few of our store staff are logged out of the mobile app several times per shift. "
        "It does not happen to everyone.",
        TicketType.INCIDENT,
        Priority.MEDIUM,
        1,
        "mobile",
        ("Which app version and phone model do the affected users have?",),
        ("iOS 18.1, app version 4.12.0, iPhone 13 mostly.",),
        ("Token refresh race on iOS 18; known issue MOB-77.",),
    ),
]


class SimClock:
    """A clock the demo moves forward by hand, never past `until` (the demo's now): a
    story that would run on past it ends there, so nothing is written in the future."""

    def __init__(self, at: datetime, until: datetime) -> None:
        self.at = at
        self.until = until

    def __call__(self) -> datetime:
        return self.at

    def advance(self, rng: random.Random, low_minutes: float, high_minutes: float) -> None:
        self.at = min(
            self.at + timedelta(minutes=rng.uniform(low_minutes, high_minutes)), self.until
        )


def seed_agents(repo: TicketRepository, me: Agent) -> list[Agent]:
    """The demo's teams and agents, and `me` among them: as the demo's agent of that name
    when there is one (signing in as "alice" on a first run is the demo's tier-1 alice,
    not a lead of the same name). The store's admin stays its admin: the first run made
    them so, and without one nobody could ever add an agent."""
    for team in TEAMS:
        repo.save_team(team)
    for agent in AGENTS:
        keep_admin = agent.username == me.username and me.role is Role.ADMIN
        repo.save_agent(replace(agent, role=Role.ADMIN) if keep_admin else agent)
    # The stories are the demo's own: its agents as it defines them, whoever I am.
    agents = list(AGENTS)
    return agents if any(a.username == me.username for a in agents) else [*agents, me]


def generate(
    repo: TicketRepository,
    policy: Policy,
    now: datetime,
    me_username: str,
    count: int = 300,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill `repo` with `count` tickets ending before `now`; returns how many were made."""
    rng = random.Random(seed)
    try:
        me = repo.get_agent(me_username)
    except NotFound:
        me = repo.save_agent(Agent(me_username, me_username, "", 2, Role.LEAD, "Platform"))
    agents = seed_agents(repo, me)
    me = next(a for a in agents if a.username == me_username)
    made = 0
    for index in range(count):
        scenario = SCENARIOS[index % len(SCENARIOS)]
        _live_one(repo, policy, now, rng, scenario, agents, me)
        made += 1
        if progress and made % 50 == 0:
            progress(made)
    return made


def _service(
    repo: TicketRepository, policy: Policy, clock: SimClock, agent: Agent
) -> HelpdeskService:
    return HelpdeskService(repo, policy, clock, agent)


_FATES = [
    "new",
    "open",
    "pending",
    "on_hold",
    "escalated",
    "review",
    "resolved",
    "closed",
    "cancelled",
]
_FATE_WEIGHTS = [8, 14, 6, 3, 4, 2, 10, 48, 3]
_ACTIVE_FATES = ("new", "open", "pending", "on_hold", "escalated", "review")
_TARGET_HOURS = {Priority.CRITICAL: 4, Priority.HIGH: 8, Priority.MEDIUM: 20, Priority.LOW: 60}


def _live_one(
    repo: TicketRepository,
    policy: Policy,
    now: datetime,
    rng: random.Random,
    scenario: Scenario,
    agents: list[Agent],
    me: Agent,
) -> None:
    # Where this ticket's story ends decides what the agent sees: about a third are
    # still open (some fresh, some old enough to breach), the rest done.
    fate = rng.choices(_FATES, weights=_FATE_WEIGHTS)[0]
    # Open tickets are aged against their own resolution target, so the queue shows a
    # spread: mostly running, some at risk, a few breached; done ones reach months back.
    if fate in _ACTIVE_FATES:
        share = rng.choice([0.05, 0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 1.1, 1.5])
        age_hours = _TARGET_HOURS[scenario.priority] * share
    else:
        age_hours = rng.uniform(24, 24 * 120)
    clock = SimClock(now - timedelta(hours=age_hours), now)
    ticket = _take_in(repo, policy, clock, rng, scenario, agents)
    if fate == "new":
        return
    eligible = [
        a
        for a in agents
        if a.tier >= ticket.tier and a.role is Role.AGENT and serves(a, ticket.organization)
    ]
    owner = me if rng.random() < 0.18 and me.tier >= ticket.tier else rng.choice(eligible)
    if fate == "escalated" and owner.tier > ticket.tier:
        # Whoever escalates works at the ticket's tier: one above it would keep the
        # ticket, and the demo would show no escalation waiting. Chosen without the
        # random source, so every other ticket of a seed stays as it was.
        owner = next((a for a in eligible if a.tier == ticket.tier), owner)
    clock.advance(rng, 2, _response_minutes(scenario.priority, rng))
    ticket = _service(repo, policy, clock, _lead(agents)).assign(
        ticket.key, ticket.version, owner.username
    )
    work = _service(repo, policy, clock, owner)
    if rng.random() < 0.3:
        ticket = work.watch(ticket.key, ticket.version)
    for note in scenario.notes[:1]:
        ticket = work.note(ticket.key, ticket.version, note)
    clock.advance(rng, 1, 20)
    ticket = work.reply(ticket.key, ticket.version, scenario.replies[0])
    if fate == "open" or _stop_while_open(work, ticket, fate):
        return
    _resolve(repo, policy, clock, rng, scenario, agents, work, ticket, fate)


def _lead(agents: list[Agent]) -> Agent:
    return next(a for a in agents if a.role is Role.LEAD)


def _take_in(
    repo: TicketRepository,
    policy: Policy,
    clock: SimClock,
    rng: random.Random,
    scenario: Scenario,
    agents: list[Agent],
) -> Ticket:
    """The ticket as the lead took the customer's call or mail in."""
    org = rng.choice(list(ORGANIZATIONS))
    person = rng.choice(PEOPLE)
    email = person.lower().replace(" ", ".").replace("'", "") + "@" + ORGANIZATIONS[org]
    draft = TicketDraft(
        subject=scenario.subject,
        description=scenario.description.format(org=org, person=rng.choice(PEOPLE), email=email),
        type=scenario.type,
        priority=scenario.priority,
        tier=1 if scenario.tier == 3 and rng.random() < 0.3 else scenario.tier,
        requester_name=person,
        requester_email=email,
        organization=org,
        channel=rng.choice(list(Channel)),
        environment=rng.choice([Environment.PRODUCTION] * 4 + [Environment.UAT, Environment.TEST]),
        impact=f"{scenario.affected} users affected" if scenario.affected else "",
        affected_users=scenario.affected,
        integration=scenario.integration,
        category=scenario.category,
        tags=tuple(rng.sample(["vip", "nordics", "iberia", "regression", "mobile", "billing"], 1)),
    )
    return _service(repo, policy, clock, _lead(agents)).create(draft)


def _stop_while_open(work: HelpdeskService, ticket: Ticket, fate: str) -> bool:
    """Leave the ticket waiting, escalated or cancelled as its fate says; False: go on."""
    key, version = ticket.key, ticket.version
    if fate == "pending":
        work.set_status(key, version, Status.PENDING)
    elif fate == "on_hold":
        work.set_status(key, version, Status.ON_HOLD, "waiting on the hosting provider")
    elif fate == "escalated":
        to = min(3, ticket.tier + 1) if ticket.tier < 3 else 2
        work.escalate(key, version, to, "needs platform-level analysis beyond my tier")
    elif fate == "review":
        work.request_review(key, version, "customer disputes the outcome")
    elif fate == "cancelled":
        work.set_status(key, version, Status.CANCELLED, "duplicate of an earlier ticket")
    else:
        return False
    return True


def _resolve(
    repo: TicketRepository,
    policy: Policy,
    clock: SimClock,
    rng: random.Random,
    scenario: Scenario,
    agents: list[Agent],
    work: HelpdeskService,
    ticket: Ticket,
    fate: str,
) -> None:
    """The rest of a story that ends resolved or closed (with CSAT, sometimes)."""
    for said in scenario.customer[:1]:
        clock.advance(rng, 10, 240)
        ticket = work.customer_reply(ticket.key, said)
    if ticket.tier < 3 and rng.random() < 0.15:
        clock.advance(rng, 5, 60)
        ticket = work.escalate(
            ticket.key, ticket.version, ticket.tier + 1, "root cause is in the platform"
        )
        if ticket.escalation is Escalation.AWAITING_TIER:  # else its owner works there
            senior = next(a for a in agents if a.tier >= ticket.tier and a.role is Role.AGENT)
            work = _service(repo, policy, clock, senior)
            ticket = work.decide(ticket.key, ticket.version, ReviewDecision.ACCEPT)
    clock.advance(rng, 30, _resolution_minutes(scenario.priority, rng))
    final = scenario.replies[-1]
    ticket = work.reply(ticket.key, ticket.version, final, status=Status.RESOLVED)
    if fate == "resolved":
        return
    clock.advance(rng, 60, 60 * 48)
    if len(scenario.customer) > 1:
        ticket = work.customer_reply(ticket.key, scenario.customer[-1])
        ticket = work.reply(
            ticket.key,
            ticket.version,
            "Glad to hear it. Closing this ticket.",
            status=Status.RESOLVED,
        )
    ticket = work.set_status(ticket.key, ticket.version, Status.CLOSED)
    if rng.random() < 0.6:
        score = rng.choices([1, 2, 3, 4, 5], weights=[3, 4, 10, 30, 53])[0]
        comment = rng.choice(["", "Quick and friendly.", "Took too long.", "Clear explanation."])
        work.record_csat(ticket.key, ticket.version, score, comment or None)


def _response_minutes(priority: Priority, rng: random.Random) -> float:
    # Mostly within target, sometimes well past it, like a real team.
    target = {Priority.CRITICAL: 15, Priority.HIGH: 60, Priority.MEDIUM: 240, Priority.LOW: 540}
    return target[priority] * rng.choice([0.3, 0.6, 0.9, 1.4])


def _resolution_minutes(priority: Priority, rng: random.Random) -> float:
    target = {Priority.CRITICAL: 240, Priority.HIGH: 480, Priority.MEDIUM: 540, Priority.LOW: 1620}
    return target[priority] * rng.choice([0.4, 0.7, 0.9, 1.3])
