"""The history as sentences (domain/history.py): one per write, no internal names."""

from __future__ import annotations

from datetime import timedelta

from helpdesk_tui.domain.history import FIELD_LABELS, grouped, narrate, quoted
from helpdesk_tui.domain.model import AuditEntry
from tests.conftest import FROZEN

KEY = "HD-7"


def entry(
    field: str,
    old: str | None = None,
    new: str | None = None,
    *,
    actor: str = "dmitri",
    version: int | None = 5,
    seconds: int = 0,
    reason: str | None = None,
) -> AuditEntry:
    at = FROZEN + timedelta(seconds=seconds)
    return AuditEntry(KEY, at, actor, field, old, new, reason, version)


ESCALATION = [
    entry("tier", "2", "3", reason="needs log analysis"),
    entry("assignee", "dmitri", None, reason="needs log analysis"),
    entry("watchers", "", "dmitri", reason="needs log analysis"),
    entry("escalation", "none", "awaiting_tier", reason="needs log analysis"),
    entry("escalation_reason", None, "needs log analysis", reason="needs log analysis"),
    entry("escalated_by", None, "dmitri", reason="needs log analysis"),
    entry("escalated_at", None, FROZEN.isoformat(), reason="needs log analysis"),
    entry("escalated_from_tier", None, "2", reason="needs log analysis"),
]
"""The eight entries one escalation writes."""


def texts(entries: list[AuditEntry]) -> list[str]:
    return [item.text for item in narrate(entries)]


def test_an_escalation_is_one_sentence_without_field_names() -> None:
    [said] = texts(ESCALATION)
    assert said == (
        "Escalated from tier 2 to tier 3 by dmitri: needs log analysis"
        " · Assignee: dmitri → nobody · Watchers: + dmitri"
    )
    for raw in ("escalated_from_tier", "awaiting_tier", "escalation_reason", "escalated_"):
        assert raw not in said


def test_each_write_is_one_entry_and_the_raw_entries_stay() -> None:
    accepted = [
        entry("escalation", "awaiting_tier", "none", actor="lee", version=6, seconds=60),
        entry("assignee", None, "lee", actor="lee", version=6, seconds=60),
        entry("note", None, "41", actor="lee", version=6, seconds=60),
        entry("decision:accept", None, "logs attached", actor="lee", version=6, seconds=60),
    ]
    assigned = [entry("assignee", "lee", "ann", actor="lee", version=7, seconds=120)]
    items = narrate([*ESCALATION, *accepted, *assigned])
    assert [i.text for i in items[1:]] == [
        "Escalation accepted by lee: logs attached",
        "Assigned to ann by lee",
    ]
    assert [len(i.entries) for i in items] == [8, 4, 1]
    assert items[1].entries == tuple(accepted)  # what `ticket show --json` prints


def test_writes_are_told_apart_by_actor_version_and_time() -> None:
    same_version_later = entry("status", "open", "pending", version=5, seconds=3600)
    other_actor = entry("priority", "high", "medium", actor="lee", version=5)
    runs = grouped([ESCALATION[0], other_actor, same_version_later])
    assert [len(run) for run in runs] == [1, 1, 1]
    # One write on Request Tracker: transactions seconds apart under one version.
    rt = [entry("status", "open", "resolved", seconds=0), entry("reply", None, "9", seconds=2)]
    assert [len(run) for run in grouped(rt)] == [1 + 1]


def test_other_changes_read_by_their_labels() -> None:
    changed = [
        entry("priority", "medium", "high", actor="lee"),
        entry("type", "incident", "complaint", actor="lee"),
        entry("description", "old text", "new text", actor="lee"),
        entry("tags", "vip,billing", "vip,mobile", actor="lee"),
    ]
    assert texts(changed) == [
        "Priority: P3 → P2 · Type: incident → complaint · Description changed"
        " · Tags: + mobile − billing, by lee"
    ]
    assert texts([entry("status", "open", "on_hold", reason="vendor")]) == [
        "Status: open → on hold, by dmitri: vendor"
    ]


def test_work_on_a_ticket_reads_as_what_was_done() -> None:
    assert texts([entry("created", None, "VPN down", version=1)]) == ["Created by dmitri"]
    assert texts([entry("assignee", None, "dmitri")]) == ["Taken by dmitri"]
    assert texts([entry("assignee", "ann", None)]) == ["Unassigned from ann by dmitri"]
    assert texts([entry("watchers", "ann", "ann,dmitri")]) == ["dmitri started watching"]
    reply = [
        entry("first_response_at", None, FROZEN.isoformat()),
        entry("status", "new", "open"),
        entry("reply", None, "12"),
    ]
    assert texts(reply) == ["Reply by dmitri · Status: new → open"]
    customer = narrate([entry("reply", None, "13", actor="mail")], from_customer={"13": "ada"})
    assert customer[0].text == "Reply from ada (customer)"
    assert texts([entry("refused:assign", reason="only a lead assigns", version=None)]) == [
        "Refused to let dmitri assign: only a lead assigns"
    ]


def test_a_rules_escalation_is_credited_to_its_policy() -> None:
    rule = "sla:default"  # how the sweep credits a policy's rule
    swept = [
        *(
            entry(e.field, e.old, e.new, actor=rule, reason="SLA resolution breached")
            for e in ESCALATION
            if e.field != "watchers"
        ),
        entry("sla:breached:resolution", None, "escalate:tier3 → escalated", actor=rule),
    ]
    assert texts(swept) == [
        "Escalated from tier 2 to tier 3 by SLA policy default: SLA resolution breached"
        " · SLA resolution target breached (by SLA policy default): escalate:tier3 → escalated"
        " · Assignee: dmitri → nobody"
    ]
    recorded = [entry("sla:at_risk:first_response", None, "recorded", actor=rule)]
    assert texts(recorded) == ["SLA first response target at risk (by SLA policy default)"]


def test_hostile_and_long_text_stays_one_safe_line() -> None:
    reason = "\x1b[31mred\x1b[0m line\nbreak " + "word " * 200
    [said] = texts([entry("tier", "1", "2", reason=reason), entry("escalated_at")])
    assert "\x1b" not in said and "\n" not in said
    assert said.endswith("word…") and len(said) < 400
    assert quoted("short") == "short"
    assert quoted("one two three", 9) == "one two…"


def test_the_translation_is_applied_to_sentences_and_labels() -> None:
    swedish = {"Priority": "Prioritet", "{changes}, by {actor}": "{changes}, av {actor}"}
    said = narrate([entry("priority", "low", "high", actor="lee")], lambda t: swedish.get(t, t))
    assert said[0].text == "Prioritet: P4 → P2, av lee"
    assert set(FIELD_LABELS.values()) >= {"Priority", "Assignee", "Watchers"}
