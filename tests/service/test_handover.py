"""Shift handover (issue 19, acceptance line 5) on SQLite and PostgreSQL: each section
holds what it should and nothing else, on a real store with the clock frozen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_tui.domain.model import Escalation, Priority, Status, Ticket
from helpdesk_tui.reporting import handover as rendering
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.service.handover import (
    SECTION_CAP,
    Did,
    Section,
    parse_span,
)
from tests.conftest import FROZEN
from tests.service.conftest import Desk

HOURS_8, HOURS_4 = timedelta(hours=8), timedelta(hours=4)


def keys(section: Section) -> list[str]:
    return [line.ticket.key for line in section.lines]


def did(section: Section) -> dict[str, Did]:
    return {line.ticket.key: line.did for line in section.lines}


def new(desk: Desk, subject: str, **fields: object) -> Ticket:
    return desk.as_("dave").create(
        TicketDraft(subject, requester_email="ada@example.com", **fields)
    )  # type: ignore[arg-type]


def test_touched_lists_my_last_action_per_ticket_since_the_start_of_the_shift(
    desk: Desk,
) -> None:
    carol, bob = desk.as_("carol"), desk.as_("bob")
    desk.now = FROZEN - timedelta(hours=10)  # before --since 8h
    early = new(desk, "Touched before the shift", tier=3)
    early = carol.take(early.key, early.version)
    desk.now = FROZEN - timedelta(hours=3)
    replied = new(desk, "Replied to", tier=3)
    replied = carol.take(replied.key, replied.version)
    desk.now = FROZEN - timedelta(hours=2)
    replied = carol.reply(replied.key, replied.version, "Looking into it.")
    resolved = carol.take(*_kv(new(desk, "Resolved", tier=3)))
    resolved = carol.reply(resolved.key, resolved.version, "Fixed.", status=Status.RESOLVED)
    noted = carol.take(*_kv(new(desk, "Noted", tier=3)))
    desk.now = FROZEN - timedelta(hours=1)
    noted = carol.note(noted.key, noted.version, "Checked the logs.")
    others = bob.take(*_kv(new(desk, "Bob's work", tier=2)))
    bob.reply(others.key, others.version, "On it.")
    desk.now = FROZEN

    found = carol.handover(HOURS_8, HOURS_4)

    assert found.since == FROZEN - HOURS_8 and found.until == FROZEN + HOURS_4
    assert keys(found.touched) == [noted.key, resolved.key, replied.key]  # latest first
    assert did(found.touched) == {
        noted.key: Did.NOTED,
        resolved.key: Did.REPLIED,
        replied.key: Did.REPLIED,
    }
    assert found.touched.total == 3 and found.touched.complete
    text = rendering.render(found, "text")
    assert f"{resolved.key}  P3  Resolved  — replied · now resolved" in text
    assert early.key not in text.split("Waiting on me")[0]
    assert others.key not in text
    # A shorter shift leaves out what came before it.
    assert keys(carol.handover(timedelta(minutes=90), HOURS_4).touched) == [noted.key]


def test_waiting_on_me_is_my_next_move_only(desk: Desk) -> None:
    carol, dave = desk.as_("carol"), desk.as_("dave")
    fresh = new(desk, "New and mine", tier=3, assignee="carol")
    spoke = carol.take(*_kv(new(desk, "Customer wrote last", tier=3)))
    spoke = carol.reply(spoke.key, spoke.version, "Can you send the logs?")
    desk.now = FROZEN + timedelta(minutes=5)
    dave.customer_reply(spoke.key, "Here they are.")
    answered = carol.take(*_kv(new(desk, "I answered last", tier=3)))
    carol.reply(answered.key, answered.version, "Done on our side.")
    waiting_tier = desk.as_("bob").take(*_kv(new(desk, "Needs tier 3", tier=2)))
    waiting_tier = desk.as_("bob").escalate(
        waiting_tier.key, waiting_tier.version, 3, "needs a specialist"
    )
    bobs = new(desk, "New and bob's", tier=2, assignee="bob")
    done = carol.take(*_kv(new(desk, "Closed", tier=3)))
    done = carol.reply(done.key, done.version, "Fixed.", status=Status.RESOLVED)
    carol.set_status(done.key, done.version, Status.CLOSED)
    review = carol.take(*_kv(new(desk, "Review please", tier=3)))
    review = carol.reply(review.key, review.version, "We looked at it.")
    review = carol.request_review(review.key, review.version, "the customer disputes it")
    own = dave.take(*_kv(new(desk, "My own review", tier=3)))
    own = dave.reply(own.key, own.version, "We looked at it.")
    own = dave.request_review(own.key, own.version, "a second opinion")

    found = carol.handover(HOURS_8, HOURS_4)
    assert did(found.waiting) == {
        fresh.key: Did.NEW,
        spoke.key: Did.CUSTOMER_REPLIED,
        waiting_tier.key: Did.AWAITING_TIER,
    }
    assert found.waiting.total == 3
    text = rendering.render(found, "text")
    assert "escalated to my tier by bob, nobody has accepted it" in text
    for absent in (answered, bobs, done, review, own):
        assert absent.key not in rendering.render(found, "text").split("Waiting on me")[1]

    # A lead's reviews wait on the lead, but not the one they asked for themselves.
    lead = dave.handover(HOURS_8, HOURS_4)
    assert did(lead.waiting)[review.key] is Did.AWAITING_REVIEW
    assert own.key not in keys(lead.waiting)
    assert desk.repo.get(review.key).escalation is Escalation.AWAITING_LEAD


def test_breaching_holds_mine_and_my_tiers_unassigned_due_inside_the_window(
    desk: Desk,
) -> None:
    carol = desk.as_("carol")
    desk.now = FROZEN - timedelta(hours=2)
    breached = new(desk, "Already breached", tier=3, priority=Priority.CRITICAL, assignee="carol")
    desk.now = FROZEN
    mine = new(desk, "Mine, P1", tier=3, priority=Priority.CRITICAL, assignee="carol")
    unassigned = new(desk, "Nobody's, tier 3", tier=3, priority=Priority.HIGH)
    later = new(desk, "Due tomorrow", tier=3, priority=Priority.LOW, assignee="carol")
    other_tier = new(desk, "Nobody's, tier 1", tier=1, priority=Priority.CRITICAL)
    others = new(desk, "Bob's P1", tier=2, priority=Priority.CRITICAL, assignee="bob")
    done = carol.reply(
        *_kv(new(desk, "Resolved P1", tier=3, priority=Priority.CRITICAL, assignee="carol")),
        "Fixed.",
        status=Status.RESOLVED,
    )

    found = carol.handover(HOURS_8, HOURS_4)

    assert keys(found.breaching) == [mine.key, unassigned.key]  # soonest first
    first, second = found.breaching.lines
    assert (first.time_left, first.countdown) == ("15m00s", True)
    assert rendering.what(first) == "15m00s left"
    assert rendering.what(second) == "1h00m left · unassigned"
    shown = rendering.render(found, "text").split("Breaching by")[1]
    for absent in (breached, later, other_tier, others, done):
        assert absent.key not in shown
    # A longer window reaches the low-priority ticket due tomorrow (a business day).
    assert later.key in keys(carol.handover(HOURS_8, timedelta(days=2)).breaching)


def test_sections_are_capped_and_say_how_many_more(desk: Desk) -> None:
    carol = desk.as_("carol")
    for number in range(SECTION_CAP + 3):
        new(desk, f"Mine {number}", tier=3, assignee="carol")
    found = carol.handover(HOURS_8, HOURS_4)
    assert len(found.waiting.lines) == SECTION_CAP
    assert (found.waiting.total, found.waiting.more) == (SECTION_CAP + 3, 3)
    assert "  and 3 more" in rendering.render(found, "text")


def test_an_empty_handover_says_nothing_in_each_section(desk: Desk) -> None:
    found = desk.as_("alice").handover(HOURS_8, HOURS_4)
    assert not (found.touched.lines or found.waiting.lines or found.breaching.lines)
    text = rendering.render(found, "text")
    assert text.count("  nothing\n") == 3
    assert text.startswith("Handover: ")
    assert "2026-03-04 02:30 → 10:30 UTC" in text.splitlines()[0]


def test_json_has_stable_keys_and_iso_times(desk: Desk) -> None:
    carol = desk.as_("carol")
    mine = new(desk, "Mine, P1 [/] *bold*", tier=3, priority=Priority.CRITICAL, assignee="carol")
    carol.take(mine.key, mine.version)
    found = carol.handover(HOURS_8, HOURS_4)
    record = rendering.to_json(found)
    assert set(record) == {"agent", "now", "since", "until", "touched", "waiting", "breaching"}
    assert record["now"] == FROZEN.isoformat()
    line = record["breaching"]["tickets"][0]
    assert set(line) == {
        "key",
        "priority",
        "status",
        "tier",
        "assignee",
        "subject",
        "kind",
        "detail",
        "what",
        "at",
        "due_at",
        "time_left",
    }
    assert (line["key"], line["priority"], line["time_left"]) == (mine.key, "P1", "15m00s")
    assert line["due_at"] == (FROZEN + timedelta(minutes=15)).isoformat()
    markdown = rendering.render(found, "markdown")
    assert "Mine, P1 \\[/\\] \\*bold\\*" in markdown


def _kv(ticket: Ticket) -> tuple[str, int]:
    return ticket.key, ticket.version


@pytest.mark.parametrize(
    ("text", "minutes"), [("8h", 480), ("30m", 30), ("2d", 2880), ("1h30m", 90), (" 4h ", 240)]
)
def test_spans_read_as_the_sla_policies_write_them(text: str, minutes: int) -> None:
    assert parse_span(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "text", ["yesterday", "-3h", "0", "0h", "", "31d", "10s", "8 hours", "9" * 40]
)
def test_bad_spans_are_one_line(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_span(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("backend", ["rt"], indirect=True)
def test_on_request_tracker_touched_is_not_available_and_the_rest_works(desk: Desk) -> None:
    carol = desk.as_("carol")
    fresh = new(desk, "New and mine", tier=3, assignee="carol")
    found = carol.handover(HOURS_8, HOURS_4)
    assert found.touched.unsupported and "RT" in found.touched.unsupported
    assert did(found.waiting) == {fresh.key: Did.NEW}
    text = rendering.render(found, "text")
    assert "Touched since 02:30\n  not available: RT cannot list" in text
