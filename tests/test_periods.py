"""Report periods, calendar spans and character charts: pure functions, frozen instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.domain.periods import Period, PeriodKind, Span, months_before, parse_instant
from helpdesk_tui.reporting import charts
from helpdesk_tui.reporting.metrics import Durations, format_duration

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "months", "expected"),
    [
        (utc(2026, 3, 4, 10, 30), 24, utc(2024, 3, 4, 10, 30)),
        (utc(2026, 3, 31), 1, utc(2026, 2, 28)),  # no 31 February: the month's last day
        (utc(2024, 3, 31), 1, utc(2024, 2, 29)),
        (utc(2026, 1, 15), 1, utc(2025, 12, 15)),
        (utc(2026, 1, 15), 13, utc(2024, 12, 15)),
    ],
)
def test_months_before(at: datetime, months: int, expected: datetime) -> None:
    assert months_before(at, months) == expected


@pytest.mark.parametrize(
    ("text", "span", "said"),
    [
        ("24m", Span(months=24), "24 months"),
        ("2y", Span(months=24), "24 months"),
        ("90d", Span(days=90), "90 days"),
        ("1w", Span(days=7), "7 days"),
        ("1m", Span(months=1), "1 month"),
    ],
)
def test_span_parse(text: str, span: Span, said: str) -> None:
    assert Span.parse(text) == span
    assert str(span) == said


@pytest.mark.parametrize("text", ["", "24", "m", "0d", "-1d", "1.5m", "24 months", "9999999d"])
def test_span_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        Span.parse(text)


def test_rolling_period_and_its_steps() -> None:
    period = Period.rolling(NOW, 7)
    assert (period.since, period.until) == (NOW - timedelta(days=7), NOW)
    assert period.describe() == "last 7 days"
    earlier = period.shifted(-1)
    assert (earlier.since, earlier.until) == (NOW - timedelta(days=14), NOW - timedelta(days=7))
    assert earlier.describe() == "7 days to 2026-02-25 10:30"
    assert (earlier.shifted(1).since, earlier.shifted(1).until) == (period.since, period.until)


def test_last_months_is_a_named_range() -> None:
    period = Period.last(NOW, Span(months=3))
    assert period.since == utc(2025, 12, 4, 10, 30) and period.until == NOW
    assert period.title() == "last 3 months (2025-12-04 10:30 → 2026-03-04 10:30)"


def test_weeks_are_iso_weeks() -> None:
    last = Period.week(NOW)
    assert (last.since, last.until, last.kind) == (
        utc(2026, 2, 23),
        utc(2026, 3, 2),
        PeriodKind.WEEK,
    )
    assert last.title() == "week 2026-W09 (2026-02-23 → 2026-03-01)"
    # On a Monday morning the last complete week is the one that ended at midnight.
    assert Period.week(utc(2026, 3, 2, 8, 0)) == last
    assert Period.week(NOW, "2026-W09") == last
    assert Period.week(NOW, "2026w9") == last
    assert Period.week(NOW, "2026-W01").since == utc(2025, 12, 29)  # ISO week 1 starts in 2025
    assert last.shifted(-1).describe() == "week 2026-W08"
    with pytest.raises(ValueError, match="not a week"):
        Period.week(NOW, "2025-W53")  # 2025 has 52 ISO weeks (2026, from a Thursday, 53)
    with pytest.raises(ValueError, match="cannot read"):
        Period.week(NOW, "week 9")


def test_months_step_by_calendar_month() -> None:
    last = Period.month(NOW)
    assert (last.since, last.until) == (utc(2026, 2, 1), utc(2026, 3, 1))
    assert last.title() == "February 2026 (2026-02-01 → 2026-02-28)"
    assert last.shifted(-2).since == utc(2025, 12, 1)
    assert last.shifted(-2).until == utc(2026, 1, 1)
    assert Period.month(utc(2026, 1, 9)).since == utc(2025, 12, 1)
    assert Period.month(NOW, "2024-02").until == utc(2024, 3, 1)
    with pytest.raises(ValueError, match="cannot read"):
        Period.month(NOW, "2024-13")


def test_period_refuses_an_empty_or_naive_range() -> None:
    with pytest.raises(ValueError, match="ends"):
        Period.between(NOW, NOW)
    with pytest.raises(ValueError, match="timezone"):
        Period.between(datetime(2026, 1, 1), NOW)


def test_parse_instant() -> None:
    assert parse_instant("2026-01-01") == utc(2026, 1, 1)
    assert parse_instant("2026-01-01T09:00") == utc(2026, 1, 1, 9)
    assert parse_instant("2026-01-01T10:00+01:00") == utc(2026, 1, 1, 9)
    with pytest.raises(ValueError, match="cannot read 'soon'"):
        parse_instant("soon")


def test_durations_median_and_nearest_rank_p90() -> None:
    d = Durations()
    assert d.median is None and d.p90 is None
    for value in (50.0, 10.0, 40.0, 20.0, 30.0, 60.0, 70.0, 80.0, 90.0, 100.0):
        d.add(value)
    assert d.median == 55.0  # the mean of the 5th and 6th of 10
    assert d.p90 == 90.0  # 9 of 10 values are at most 90
    d.add(1000.0)
    assert d.median == 60.0 and d.p90 == 100.0  # ceil(0.9 * 11) = 10th
    one = Durations()
    one.add(5.0)
    assert one.median == one.p90 == 5.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0m"), (59, "0m"), (2640, "44m"), (19620, "5h27m"), (273600, "3d04h")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_bars_show_something_only_for_something() -> None:
    assert charts.bar(0.0, 10) == "░" * 10
    assert charts.bar(0.01, 10) == "█" + "░" * 9  # not zero: one cell
    assert charts.bar(0.99, 10) == "█" * 9 + "░"  # not all: one cell short
    assert charts.bar(1.0, 10) == "█" * 10
    assert charts.bar(0.5, 10, track=False) == "█" * 5
    assert charts.bar(0.5, 4, charts.ASCII) == "##.."


def test_sparkline() -> None:
    assert charts.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert charts.sparkline([1.0, None, 0.5], low=0.0, high=1.0) == "█ ▅"
    assert charts.sparkline([0, 0]) == "▁▁"
    assert charts.sparkline([None, None]) == "  "
    assert charts.sparkline([3, 3]) == "██"


def test_glyphs_follow_the_output_encoding() -> None:
    assert charts.glyphs_for("utf-8") is charts.UNICODE
    assert charts.glyphs_for("ascii") is charts.ASCII
    assert charts.glyphs_for("no-such-codec") is charts.ASCII


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: Span.parse("99999y"), "longer than 1000 years"),
        (lambda: Span.parse("999999d"), "longer than 1000 years"),
        (lambda: Span(months=12 * 3000).before(NOW), "before the year 1"),
        (lambda: Period.week(NOW, "9999-W52"), "outside the years 1970 to 4999"),
        (lambda: Period.month(NOW, "8999-12"), "outside the years 1970 to 4999"),
        (lambda: Period.week(NOW, "5000-W01"), "outside the years"),
        (lambda: Period.week(NOW, "0001-W01"), "outside the years"),
        (lambda: Period.month(NOW, "9999-12"), "outside the years"),
        (lambda: Period.between(utc(1, 1, 1), NOW), "0001-01-01 is outside"),
        (lambda: Period.rolling(NOW, 400_000), "at most"),
        (lambda: Period.last(NOW, Span(months=12 * 900)), "1126-03-04 is outside"),
    ],
)
def test_periods_past_the_calendar_are_refused_in_words(make: object, said: str) -> None:
    # Each of these once ended `report` or `purge` with OverflowError or a bare ValueError
    # from the calendar ("year -97973 is out of range").
    with pytest.raises(ValueError, match=said):
        make()  # type: ignore[operator]


def test_the_last_years_of_the_range_still_work() -> None:
    assert Period.month(NOW, "4999-12").until == utc(5000, 1, 1)
    assert Period.week(NOW, "1970-W02").since == utc(1970, 1, 5)
    assert Span.parse("1000y").before(NOW) == utc(1026, 3, 4, 10, 30)
    # A screen stepping a period may leave the range: that period simply holds nothing.
    assert Period.month(NOW, "1970-01").shifted(-1).since == utc(1969, 12, 1)
