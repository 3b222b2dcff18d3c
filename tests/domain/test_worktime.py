"""Time spent as a person types it, read into whole minutes and shown back."""

from __future__ import annotations

import pytest

from helpdesk_tui.domain.worktime import (
    MAX_MINUTES,
    check_minutes,
    format_minutes,
    parse_minutes,
    total_minutes,
)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("15m", 15),
        ("1h", 60),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("90", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        (".25h", 15),
        (" 2H ", 120),
        ("45 min", 45),
        ("168h", MAX_MINUTES),
        ("1", 1),
    ],
)
def test_what_people_type_is_read_as_whole_minutes(typed: str, minutes: int) -> None:
    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "no time given"),
        ("   ", "no time given"),
        ("abc", "not a time: 'abc'"),
        ("-5m", "not a time"),
        ("1h30", "not a time"),
        ("h", "not a time"),
        ("m", "not a time"),
        ("0", "at least 1 minute"),
        ("0h0m", "at least 1 minute"),
        ("169h", "at most a week"),
        ("1.01h", "not a whole number of minutes"),
        ("1" * 40, "not a time"),
    ],
)
def test_bad_input_is_one_line_saying_why(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        parse_minutes(typed)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 120


def test_shown_as_typed_and_read_back_the_same() -> None:
    assert [format_minutes(m) for m in (5, 60, 90, 125, 0)] == ["5m", "1h", "1h30m", "2h05m", "0m"]
    for minutes in (1, 59, 60, 61, 599, MAX_MINUTES):
        assert parse_minutes(format_minutes(minutes)) == minutes


def test_a_stored_value_is_checked_as_well() -> None:
    assert check_minutes(30) == 30
    for bad in (0, -1, MAX_MINUTES + 1, True, 1.5, "30"):
        with pytest.raises(ValueError):
            check_minutes(bad)
    assert total_minutes([15, None, 30, None]) == 45
    assert total_minutes([]) == 0
