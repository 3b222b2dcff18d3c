"""Breach rules and the ticket somebody is working: `when_worked` as the policy file
says it (empty, filled, bad), the window an agent's reply or note counts in, and how
the history names a policy.

March 2026: Fri 13, Sat 14, Sun 15, Mon 16; the default policy's business hours are
09:00-18:00 UTC, Monday to Friday.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.domain.model import PauseInterval, Priority, Status, Ticket
from helpdesk_tui.domain.sla import (
    ALWAYS_OPEN,
    Policy,
    PolicyError,
    WhenWorked,
    actor_label,
    actor_short,
    is_policy_actor,
    parse_policy,
    policy_actor,
)
from helpdesk_tui.settings.policies import load_builtin, parse_text, read_builtin

DEFAULT = load_builtin("default")
NEXLY = load_builtin("nexly")
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(priority: str, **fields: object) -> Ticket:
    return Ticket(key="HD-1", subject="s", priority=Priority(priority), **fields)  # type: ignore[arg-type]


MINIMAL = """
name = "minimal"
[priorities.critical]
clock = "24x7"
resolution = "4h"
on_breach = "escalate:tier3"
[priorities.high]
[priorities.medium]
[priorities.low]
"""


# ------------------------------------------------------------------ the policy file


def test_without_the_key_every_rule_notifies() -> None:
    policy = parse_policy(MINIMAL)
    assert {p: policy.rule(p).when_worked for p in Priority} == dict.fromkeys(
        Priority, WhenWorked.NOTIFY
    )
    # A priority with no rule at all answers the same (the rule that does nothing).
    assert Policy("bare").rule(Priority.LOW).when_worked is WhenWorked.NOTIFY


def test_bundled_policies_say_notify() -> None:
    for policy, text in ((DEFAULT, read_builtin("default")), (NEXLY, read_builtin("nexly"))):
        assert 'when_worked = "notify"' in text
        assert {policy.rule(p).when_worked for p in Priority} == {WhenWorked.NOTIFY}


def test_policy_wide_value_and_a_priority_of_its_own() -> None:
    text = MINIMAL.replace('name = "minimal"', 'name = "minimal"\nwhen_worked = "reassign"')
    text = text.replace("[priorities.low]", '[priorities.low]\nwhen_worked = " Notify "')
    policy = parse_policy(text)
    assert policy.rule(Priority.CRITICAL).when_worked is WhenWorked.REASSIGN
    assert policy.rule(Priority.HIGH).when_worked is WhenWorked.REASSIGN
    assert policy.rule(Priority.LOW).when_worked is WhenWorked.NOTIFY
    # The override sits beside the rule it governs; the rule itself is unchanged.
    assert str(policy.rule(Priority.CRITICAL).on_breach) == "escalate:tier3"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'when_worked = "notify"',
            'when_worked = "maybe"',
            'when_worked: expected "notify" or "reassign", got \'maybe\'',
        ),
        (
            'when_worked = "notify"',
            "when_worked = true",
            'when_worked: expected "notify" or "reassign", got True',
        ),
        (
            'when_worked = "notify"',
            'when_worked = ""',
            'when_worked: expected "notify" or "reassign", got \'\'',
        ),
        (
            'on_breach = "escalate:tier2"',
            'on_breach = "escalate:tier2"\nwhen_worked = ["notify"]',
            'priorities.high.when_worked: expected "notify" or "reassign", got [\'notify\']',
        ),
        (
            'on_breach = "escalate:tier3"',
            'on_breach = "escalate:tier3"\nwhen_worked = "escalate"',
            "priorities.critical.when_worked: expected",
        ),
        # The line comes with the errors that were there before, too.
        ('resolution = "8h"', 'resolution = "8x"', "priorities.high.resolution: cannot read"),
    ],
    ids=["word", "boolean", "empty", "list", "per-priority", "older-error"],
)
def test_bad_values_name_the_key_and_the_line(old: str, new: str, message: str) -> None:
    text = read_builtin("default")
    assert old in text
    bad = text.replace(old, new, 1)
    # The line the bad value is on: the last line of what was put in.
    line = text[: text.index(old)].count("\n") + new.count("\n") + 1
    with pytest.raises(PolicyError) as info:
        parse_text(bad)
    assert str(info.value).startswith(f"line {line}: {message}")
    assert "\n" not in str(info.value)
    # parse_policy itself names the key only: the text's lines are the caller's.
    with pytest.raises(PolicyError, match=f"^{re.escape(message)}"):
        parse_policy(bad)


def test_errors_without_a_key_keep_their_words() -> None:
    with pytest.raises(PolicyError, match=r"^not valid TOML: .*line 2"):
        parse_text('name = "x"\n[priorities\n')
    assert PolicyError("not valid TOML: x").key_path == ()
    assert PolicyError("priorities.low.when_worked: bad").key_path == (
        "priorities",
        "low",
        "when_worked",
    )


# ------------------------------------------------------------- the worked window


def test_worked_window_per_priority() -> None:
    windows = {p: DEFAULT.worked_window(p) for p in Priority}
    # Critical has an update target: the policy's own "somebody must be heard from".
    assert (windows[Priority.CRITICAL].duration, windows[Priority.CRITICAL].source) == (
        HOUR,
        "update_every",
    )
    # High has none: its first response, the longer (outside business hours) of the two.
    assert (windows[Priority.HIGH].duration, windows[Priority.HIGH].source) == (
        4 * HOUR,
        "first_response",
    )
    assert windows[Priority.HIGH].calendar is ALWAYS_OPEN
    assert windows[Priority.MEDIUM].duration == 4 * HOUR
    assert windows[Priority.MEDIUM].calendar == DEFAULT.calendar("business")
    assert windows[Priority.LOW].duration == 9 * HOUR  # one business day
    # Neither target: 24 hours on the 24/7 clock.
    fallback = parse_policy(MINIMAL).worked_window(Priority.CRITICAL)
    assert (fallback.duration, fallback.calendar, fallback.source) == (
        24 * HOUR,
        ALWAYS_OPEN,
        "fallback",
    )


def test_is_worked_counts_within_the_window() -> None:
    now = utc("2026-03-16 12:00")
    p1 = ticket("critical", created_at=utc("2026-03-16 06:00"))
    assert not DEFAULT.is_worked(p1, None, now)  # nobody ever wrote
    assert DEFAULT.is_worked(p1, now - 59 * timedelta(minutes=1), now)
    assert DEFAULT.is_worked(p1, now - HOUR, now)  # exactly the window still counts
    assert not DEFAULT.is_worked(p1, now - HOUR - timedelta(seconds=1), now)


def test_business_window_skips_the_weekend() -> None:
    p3 = ticket("medium", created_at=utc("2026-03-13 10:00"))
    friday_note = utc("2026-03-13 17:00")  # one business hour before Friday's close
    assert DEFAULT.is_worked(p3, friday_note, utc("2026-03-16 11:30"))  # 3.5 h counted
    assert not DEFAULT.is_worked(p3, friday_note, utc("2026-03-16 12:30"))  # 4.5 h


def test_time_waiting_on_the_customer_does_not_count() -> None:
    asked = utc("2026-03-16 08:00")
    now = utc("2026-03-16 12:00")
    waited = PauseInterval(utc("2026-03-16 08:05"), utc("2026-03-16 11:50"), Status.PENDING)
    p1 = ticket("critical", created_at=utc("2026-03-16 07:00"), pauses=(waited,))
    assert DEFAULT.is_worked(p1, asked, now)  # 4 h ago, 15 min of it running
    # On hold stops the clock only where the policy says so (nexly, not default).
    held = PauseInterval(utc("2026-03-16 08:05"), None, Status.ON_HOLD)
    p1_held = ticket("critical", created_at=utc("2026-03-16 07:00"), pauses=(held,))
    assert not DEFAULT.is_worked(p1_held, asked, now)
    assert NEXLY.is_worked(p1_held, asked, now)


# ------------------------------------------------------------------ who did it


def test_a_policy_is_named_as_a_policy() -> None:
    assert DEFAULT.actor == policy_actor("default") == "sla:default"
    assert actor_label("sla:default") == "SLA policy default"
    assert actor_label("sla:Team Nord") == "SLA policy Team Nord"
    assert actor_label("dmitri") == "dmitri"  # a login is shown as it is
    assert is_policy_actor("sla:default") and not is_policy_actor("dmitri")
    assert not is_policy_actor(None)  # nobody escalated it
    assert actor_label("sla:nexly", lambda text: text.replace("SLA policy", "SLA-policy")) == (
        "SLA-policy nexly"
    )
    # F3's narrow "By" column keeps the policy's name, not the words before it.
    assert actor_short("sla:default") == "SLA:default" and actor_short("dmitri") == "dmitri"
