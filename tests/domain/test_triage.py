"""Smart triage in the domain: rules from the seeds, the learned index, eligibility."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import AuditEntry, Environment, Priority, Status, Ticket, TicketType
from helpdesk_tui.domain.triage import (
    ACCEPTED_TAG,
    DISMISSED_TAG,
    Suggestion,
    TicketIndex,
    rule_hits,
    suggest,
    why_not_offered,
)

LABELLED = Path(__file__).resolve().parents[1] / "data" / "triage_labelled.jsonl"
AT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def new(subject: str, description: str = "", **fields: object) -> Ticket:
    return Ticket(key="HD-1", subject=subject, description=description, **fields)  # type: ignore[arg-type]


def past(n: int, subject: str, priority: Priority, kind: TicketType, tier: int) -> Ticket:
    return Ticket(
        key=f"HD-{100 + n}",
        subject=subject,
        priority=priority,
        type=kind,
        tier=tier,
        status=Status.CLOSED,
        resolved_at=AT,
    )


# --------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("subject", "description", "priority", "kind", "tier"),
    [
        # 001 Highest: "Complete system downtime affecting all users"
        (
            "Complete outage",
            "Since 07:40 all users get 'Service unavailable'.",
            Priority.CRITICAL,
            TicketType.INCIDENT,
            3,
        ),
        # 001 Highest: "Security breaches, such as unauthorized data access"
        (
            "Unauthorized access to our data",
            "We see logins we did not make.",
            Priority.CRITICAL,
            TicketType.INCIDENT,
            3,
        ),
        # 001 High: "Core features being unavailable for multiple users"
        (
            "Core feature down",
            "The transfer module is unavailable for multiple users.",
            Priority.HIGH,
            TicketType.INCIDENT,
            2,
        ),
        # 001 Normal: "Delayed notifications or alerts for some users"
        (
            "Late e-mails",
            "Some users receive delayed notifications.",
            Priority.MEDIUM,
            TicketType.INCIDENT,
            1,
        ),
        # 001 Low: "Typographical errors or formatting issues in the interface"
        ("Typo on the login page", "It says 'pasword'.", Priority.LOW, TicketType.INCIDENT, 1),
        # 000 Access request: "granting, modifying, or revoking access"
        (
            "New user account",
            "Please create an account for our new store manager.",
            Priority.LOW,
            TicketType.ACCESS_REQUEST,
            1,
        ),
        # 004 Change request: "improvement / development of a functionality"
        (
            "Feature request: dark mode",
            "It would be nice to have a dark mode.",
            Priority.LOW,
            TicketType.CHANGE_REQUEST,
            2,
        ),
        # 000 Information request: "guidance, or clarification"
        (
            "How do I export a report?",
            "Is there a way to get a PDF?",
            Priority.LOW,
            TicketType.INFORMATION_REQUEST,
            1,
        ),
        # 003: a customer disputing an outcome
        (
            "Complaint",
            "Closed without a real answer. Unacceptable.",
            Priority.HIGH,
            TicketType.COMPLAINT,
            2,
        ),
    ],
)
def test_rules_follow_the_seeds_examples(
    subject: str, description: str, priority: Priority, kind: TicketType, tier: int
) -> None:
    got = suggest(new(subject, description))
    assert (got.priority, got.type, got.tier) == (priority, kind, tier), got.reason
    assert got.sources == ("rules", "rules", "rules")


def test_the_reason_quotes_the_words_that_decided() -> None:
    got = suggest(new("Platform down", "Every user sees an error since 8am"))
    assert got.priority is Priority.CRITICAL
    assert '"platform down"' in got.reason
    assert '"every user"' in got.reason
    assert got.reason.endswith("→ P1, incident, tier 3")
    assert got.label == "P1 · incident · tier 3"


def test_a_limited_scope_is_not_critical() -> None:
    # "all users in our Lisbon office" is a partial outage (001 High), not a total one.
    got = suggest(new("Blank page", "All users in our Lisbon office see an empty page."))
    assert got.priority is Priority.HIGH


def test_structured_fields_count() -> None:
    many = suggest(new("Reports are slow", affected_users=400))
    assert many.priority is Priority.CRITICAL and "400 users affected" in many.reason
    uat = suggest(new("Wrong figures", "The totals are off.", environment=Environment.UAT))
    assert uat.priority in (Priority.MEDIUM, Priority.LOW)


def test_no_signal_is_no_suggestion() -> None:
    got = suggest(new("Hej", "Tack"))
    assert not got.offered and got.fields() == {}
    assert got.confidence == 0.0 and got.sources == ("none", "none", "none")
    assert got.label == "no suggestion"
    assert "no suggestion for priority, type, tier" in got.reason


def test_only_the_start_of_a_huge_description_is_read() -> None:
    pasted = "x " * 100_000 + "complete outage for all users"
    assert not rule_hits(new("See attached", pasted))


def test_deterministic() -> None:
    ticket = new("Sporadic crashes", "The app crashes from time to time for a few users.")
    assert suggest(ticket) == suggest(ticket)


# ------------------------------------------------------------------- learned


def history() -> list[Ticket]:
    flux = "Flux capacitor misaligned on the quantum rig"
    return [
        *(past(n, flux, Priority.CRITICAL, TicketType.INCIDENT, 3) for n in range(4)),
        past(10, "Wobbly flux readings on rig", Priority.CRITICAL, TicketType.INCIDENT, 3),
        past(11, "Please rename our workspace", Priority.LOW, TicketType.SERVICE_REQUEST, 1),
        past(12, "Rename the cost centre", Priority.LOW, TicketType.SERVICE_REQUEST, 1),
    ]


def test_resolved_tickets_teach_what_the_rules_do_not_know() -> None:
    index = TicketIndex.build(history())
    ticket = new("Flux capacitor misaligned again", "Quantum rig stopped.")
    got = suggest(ticket, index)
    assert (got.priority, got.tier) == (Priority.CRITICAL, 3)
    assert got.sources[0] == "learned" and got.sources[2] == "learned"
    assert "like resolved HD-100" in got.reason
    assert suggest(ticket).priority is not Priority.CRITICAL  # the rules alone cannot


def test_confident_rules_win_over_the_neighbours() -> None:
    # Past tickets about the rig were low; a security breach on it is still critical.
    index = TicketIndex.build(
        [past(n, "Quantum rig question", Priority.LOW, TicketType.INCIDENT, 1) for n in range(5)]
    )
    got = suggest(new("Quantum rig hacked", "Security breach: unauthorized access."), index)
    assert got.priority is Priority.CRITICAL and got.sources[0] == "rules"


def test_neighbours_most_similar_first_never_itself() -> None:
    tickets = history()
    index = TicketIndex.build(tickets)
    found = index.neighbours(tickets[0], k=3)
    assert tickets[0].key not in [f.ticket.key for f in found]
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert found[0].score > 0.9
    # The shared words are spelled as the ticket spells them, not as stems.
    assert "misaligned" in found[0].shared


def test_the_index_is_bounded() -> None:
    many = [past(n, f"Printer jam {n}", Priority.LOW, TicketType.INCIDENT, 1) for n in range(50)]
    index = TicketIndex.build(many, max_docs=10)
    assert len(index) == 10 and index.truncated
    assert [doc.key for doc in index.docs] == [t.key for t in many[:10]]
    assert not TicketIndex.build(many[:5], max_docs=10).truncated


def test_similarity_of_a_candidate_outside_the_index() -> None:
    index = TicketIndex.build(history())
    other = past(99, "Flux capacitor misaligned", Priority.HIGH, TicketType.INCIDENT, 2)
    like = index.similarity(new("Flux capacitor misaligned on rig"), other)
    assert like.score > 0.5 and like.ticket.key == "HD-199"
    assert index.distinctive_words(new("Flux capacitor misaligned"))


# --------------------------------------------------------------- eligibility


def entry(field: str, actor: str = "alice") -> AuditEntry:
    return AuditEntry("HD-1", AT, actor, field, "medium", "high")


def test_offered_only_for_new_untriaged_tickets() -> None:
    ticket = new("Anything")
    assert why_not_offered(ticket) is None
    assert why_not_offered(ticket, [entry("created"), entry("assignee")]) is None
    assert "new tickets" in (why_not_offered(ticket.with_changes(status=Status.OPEN)) or "")
    assert "accepted" in (why_not_offered(ticket.with_changes(tags=(ACCEPTED_TAG,))) or "")
    assert "dismissed" in (why_not_offered(ticket.with_changes(tags=(DISMISSED_TAG,))) or "")
    assert why_not_offered(ticket, [entry("priority")]) == "priority was set by alice"


def test_differs_from() -> None:
    ticket = new("x", priority=Priority.HIGH, type=TicketType.INCIDENT, tier=2)
    same = Suggestion(Priority.HIGH, TicketType.INCIDENT, 2, 1.0, "")
    assert not same.differs_from(ticket)
    assert Suggestion(Priority.LOW, TicketType.INCIDENT, 2, 1.0, "").differs_from(ticket)


# -------------------------------------------------------------- labelled set


def test_rules_keep_their_accuracy_on_the_labelled_set() -> None:
    """A floor, not a target: benchmarks/bench_triage.py reports the real figures."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150
    exact = within = kinds = tiers = 0
    for row in rows:
        got = suggest(new(row["subject"], row["description"]))
        want = Priority(row["priority"])
        exact += got.priority is want
        within += abs(got.priority.rank - want.rank) <= 1
        kinds += got.type.value == row["type"]
        tiers += got.tier == row["tier"]
    n = len(rows)
    assert exact / n >= 0.6 and within / n >= 0.9 and kinds / n >= 0.8 and tiers / n >= 0.6
