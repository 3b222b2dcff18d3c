"""A policy from TOML text: text in, a Policy out, or one line naming the key at fault.

Pure: the caller reads the file (settings/policies, or the user's own path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..model import Priority, Status
from ..toml_text import TomlError, read_toml
from .calendar import (
    ALWAYS_CALENDAR_NAME,
    ALWAYS_OPEN,
    WEEKDAYS,
    BusinessCalendar,
    Calendar,
    Window,
    day_spans,
)
from .policy import (
    ALWAYS_PAUSE,
    BreachAction,
    BreachRule,
    Policy,
    PolicyError,
    PriorityTargets,
    TargetSpec,
    WhenWorked,
)

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(bd|bh|d|h|m|s)", re.IGNORECASE)
_DURATION_ALL = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*(?:bd|bh|d|h|m|s)\s*)+", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "bh": 3600.0, "m": 60.0, "s": 1.0}
MAX_TARGET = timedelta(days=365)
"""The longest a policy's target may be. A promise of more than a year is a typo, and
a due time counted that far on (in business time, years further) leaves the store's
range and then the calendar's."""


def parse_duration(
    text: str, calendar: Calendar = ALWAYS_OPEN, longest: timedelta | None = None
) -> timedelta:
    """Working time from "15m", "4h", "1h30m", "1bd", "3bd", "24bh", "90s" or "1d".

    "bd" is a business day, the length of `calendar`'s standard working day (9 h for
    09:00-18:00); "bh" is a business hour. Both need a business calendar, and "d" (24
    hours) needs a 24x7 one: on a business clock "1d" would silently mean 24 working
    hours, almost three business days. Raises ValueError with a one-line reason, also
    for a duration over `longest`.
    """
    if not isinstance(text, str) or not _DURATION_ALL.fullmatch(text):
        raise ValueError(f"cannot read {text!r} as a duration (examples: 15m, 4h, 1h30m, 1bd)")
    total = 0.0
    for number, unit in _DURATION_PART.findall(text):
        unit = unit.lower()
        if unit in ("bd", "bh") and calendar.always_open:
            raise ValueError(f"{text!r} counts business time but the clock is 24x7 (use h or d)")
        if unit == "d" and not calendar.always_open:
            raise ValueError(
                f"{text!r}: 'd' means 24 hours; on business hours write 'bd' for a business day"
            )
        per = calendar.day_seconds if unit == "bd" else _UNIT_SECONDS[unit]
        total += float(number) * per
    if total <= 0:
        raise ValueError(f"duration {text!r} must be longer than zero")
    if longest is not None and total > longest.total_seconds():
        raise ValueError(f"{text!r} is longer than {longest.days} days")
    try:
        return timedelta(seconds=total)
    except OverflowError:  # past timedelta's 999,999,999 days, or a float's range
        raise ValueError(f"duration {text!r} is too long") from None


_TOP_KEYS = (
    "name",
    "description",
    "at_risk_share",
    "pause_on_hold",
    "when_worked",
    "calendars",
    "priorities",
)
_CALENDAR_KEYS = ("timezone", "weekdays", "hours", "holidays", *WEEKDAYS)
_PRIORITY_KEYS = (
    "clock",
    "first_response",
    "resolution",
    "update_every",
    "on_at_risk",
    "on_breach",
    "when_worked",
)
_TARGET_KEYS = ("within", "clock", "outside_hours", "hours")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}: " if path else ""
            raise PolicyError(f"{where}unknown key {key!r} (expected one of {', '.join(allowed)})")


def _table(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{path}: expected a table, got {type(value).__name__}")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{path}: expected a string, got {value!r}")
    return value


def _parse_time(text: str, path: str) -> time:
    m = _TIME.match(text)
    if not m:
        raise PolicyError(f"{path}: cannot read {text.strip()!r} as a time (expected HH:MM)")
    h, mi = int(m[1]), int(m[2])
    if (h, mi) == (24, 0):
        return time(0, 0)  # end of the day
    if h > 23 or mi > 59:
        raise PolicyError(f"{path}: {text.strip()!r} is not a time of day")
    return time(h, mi)


def _parse_windows(value: object, path: str) -> tuple[Window, ...]:
    """ "09:00-18:00", "09:00-12:00, 13:00-17:00", ["09:00-12:00", ...] or "closed"."""
    items: list[str]
    if isinstance(value, str):
        items = [] if value.strip().lower() in ("", "closed", "none") else value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise PolicyError(f'{path}: expected hours like "09:00-18:00", got {value!r}')
    windows: list[Window] = []
    for item in items:
        start, sep, end = item.partition("-")
        if not sep:
            raise PolicyError(
                f"{path}: cannot read {item.strip()!r} as hours (expected HH:MM-HH:MM)"
            )
        t0 = _parse_time(start, path)
        if t0 == time(0, 0) and start.strip().startswith("24"):
            raise PolicyError(f"{path}: a window cannot start at 24:00")
        windows.append((t0, _parse_time(end, path)))
    try:
        day_spans(path, windows)
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    return tuple(windows)


def _parse_calendar(name: str, value: object) -> BusinessCalendar:
    path = f"calendars.{name}"
    if name == ALWAYS_CALENDAR_NAME:
        raise PolicyError(
            f"{path}: the name {ALWAYS_CALENDAR_NAME!r} is reserved for the 24/7 clock"
        )
    table = _table(value, path)
    _check_keys(table, _CALENDAR_KEYS, path)
    timezone = _string(table.get("timezone", "UTC"), f"{path}.timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            f"{path}.timezone: unknown timezone {timezone!r} (an IANA name like Europe/Stockholm)"
        ) from None
    hours: list[tuple[Window, ...]] = [() for _ in WEEKDAYS]
    if "weekdays" in table or "hours" in table:
        if "weekdays" not in table or "hours" not in table:
            missing = "hours" if "weekdays" in table else "weekdays"
            raise PolicyError(f"{path}.{missing}: missing (weekdays and hours go together)")
        days = table["weekdays"]
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            raise PolicyError(f'{path}.weekdays: expected a list like ["mon", "tue"], got {days!r}')
        shared = _parse_windows(table["hours"], f"{path}.hours")
        for d in days:
            key = d.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise PolicyError(f"{path}.weekdays: unknown weekday {d!r} (use mon..sun)")
            hours[WEEKDAYS.index(key)] = shared
    for i, day in enumerate(WEEKDAYS):
        if day in table:  # a day of its own overrides the shorthand
            hours[i] = _parse_windows(table[day], f"{path}.{day}")
    if not any(hours):
        raise PolicyError(
            f'{path}: no working hours (set weekdays and hours, or e.g. mon = "09:00-18:00")'
        )
    holidays: set[date] = set()
    raw = table.get("holidays", [])
    if not isinstance(raw, list):
        raise PolicyError(f"{path}.holidays: expected a list of dates, got {raw!r}")
    for item in raw:
        if isinstance(item, date) and not isinstance(item, datetime):
            holidays.add(item)
        elif isinstance(item, str):
            try:
                holidays.add(date.fromisoformat(item.strip()))
            except ValueError:
                raise PolicyError(
                    f"{path}.holidays: cannot read {item!r} as a date (expected YYYY-MM-DD)"
                ) from None
        else:
            raise PolicyError(f"{path}.holidays: expected a date like 2026-12-25, got {item!r}")
    try:
        return BusinessCalendar(name, timezone, hours, frozenset(holidays))
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _resolve_clock(
    name: object, path: str, calendars: Mapping[str, Calendar]
) -> tuple[str, Calendar]:
    text = _string(name, path)
    if text == ALWAYS_CALENDAR_NAME:
        return text, ALWAYS_OPEN
    if text not in calendars:
        known = ", ".join([repr(ALWAYS_CALENDAR_NAME), *(repr(n) for n in calendars)])
        raise PolicyError(f"{path}: unknown calendar {text!r} (known: {known})")
    return text, calendars[text]


def _duration(value: object, path: str, calendar: Calendar) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PolicyError(f'{path}: {value!r} needs a unit, e.g. "{value}m" or "{value}h"')
    try:
        return parse_duration(value, calendar, MAX_TARGET)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _parse_target(
    value: object, path: str, clock: object, clock_path: str, calendars: Mapping[str, Calendar]
) -> TargetSpec:
    if isinstance(value, dict):
        _check_keys(value, _TARGET_KEYS, path)
        if "within" not in value:
            raise PolicyError(f'{path}.within: missing (how long, e.g. "4h")')
        if "clock" in value:
            clock, clock_path = value["clock"], f"{path}.clock"
        within, within_path = value["within"], f"{path}.within"
    else:
        within, within_path = value, path
    if clock is None:
        raise PolicyError(f'{clock_path}: missing (name a calendar from [calendars] or "24x7")')
    cal_name, cal = _resolve_clock(clock, clock_path, calendars)
    duration = _duration(within, within_path, cal)
    outside: timedelta | None = None
    hours_name: str | None = None
    if isinstance(value, dict) and ("outside_hours" in value or "hours" in value):
        if "outside_hours" not in value or "hours" not in value:
            missing = "hours" if "outside_hours" in value else "outside_hours"
            raise PolicyError(f"{path}.{missing}: missing (outside_hours and hours go together)")
        outside = _duration(value["outside_hours"], f"{path}.outside_hours", cal)
        hours_name, hours_cal = _resolve_clock(value["hours"], f"{path}.hours", calendars)
        if hours_cal.always_open:
            raise PolicyError(
                f"{path}.hours: 24x7 is never closed, so outside_hours would never apply"
            )
    return TargetSpec(duration, cal_name, outside, hours_name)


def _parse_action(value: object, path: str) -> BreachAction | None:
    if value is None:
        return None
    text = _string(value, path)
    if text.strip().lower() in ("", "none"):
        return None
    try:
        return BreachAction.parse(text)
    except ValueError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _parse_when_worked(value: object, path: str) -> WhenWorked:
    choices = " or ".join(f'"{w}"' for w in WhenWorked)
    if not isinstance(value, str) or value.strip().lower() not in tuple(WhenWorked):
        raise PolicyError(f"{path}: expected {choices}, got {value!r}")
    return WhenWorked(value.strip().lower())


def parse_policy(text: str) -> Policy:
    """Read a policy from TOML text. Raises PolicyError with one line naming the key.

    See `policies/default.toml` for the format, with comments.
    """
    try:
        data = read_toml(text)
    except TomlError as exc:
        raise PolicyError(str(exc)) from None
    _check_keys(data, _TOP_KEYS, "")
    name = _string(data.get("name"), "name") if "name" in data else None
    if not name or not name.strip():
        raise PolicyError("name: missing (every policy needs a name)")
    description = _string(data.get("description", ""), "description")
    share = data.get("at_risk_share", 0.75)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise PolicyError(f"at_risk_share: expected a number above 0 and at most 1, got {share!r}")
    pause_on_hold = data.get("pause_on_hold", False)
    if not isinstance(pause_on_hold, bool):
        raise PolicyError(f"pause_on_hold: expected true or false, got {pause_on_hold!r}")
    when_worked = _parse_when_worked(data.get("when_worked", "notify"), "when_worked")

    calendars: dict[str, Calendar] = {}
    for cal_name, value in _table(data.get("calendars", {}), "calendars").items():
        calendars[cal_name] = _parse_calendar(cal_name, value)

    priorities = _table(data.get("priorities"), "priorities") if "priorities" in data else None
    if priorities is None:
        raise PolicyError(
            "priorities: missing (one table per priority: critical, high, medium, low)"
        )
    known = [p.value for p in Priority]
    for key in priorities:
        if key not in known:
            raise PolicyError(f"priorities: unknown priority {key!r} (expected {', '.join(known)})")
    targets: dict[Priority, PriorityTargets] = {}
    rules: dict[Priority, BreachRule] = {}
    for priority in Priority:
        path = f"priorities.{priority}"
        if priority.value not in priorities:
            raise PolicyError(f"{path}: missing (an empty table means no targets)")
        table = _table(priorities[priority.value], path)
        _check_keys(table, _PRIORITY_KEYS, path)
        clock = table.get("clock")
        specs = {
            key: _parse_target(table[key], f"{path}.{key}", clock, f"{path}.clock", calendars)
            for key in ("first_response", "resolution", "update_every")
            if key in table
        }
        if "clock" in table:
            _resolve_clock(clock, f"{path}.clock", calendars)
        targets[priority] = PriorityTargets(**specs)
        rules[priority] = BreachRule(
            _parse_action(table.get("on_at_risk"), f"{path}.on_at_risk"),
            _parse_action(table.get("on_breach"), f"{path}.on_breach"),
            _parse_when_worked(table.get("when_worked", when_worked), f"{path}.when_worked"),
        )
    pause = set(ALWAYS_PAUSE)
    if pause_on_hold:
        pause.add(Status.ON_HOLD)
    return Policy(
        name=name.strip(),
        description=description.strip(),
        calendars=calendars,
        targets=targets,
        breach_rules=rules,
        at_risk_share=float(share),
        pause_statuses=frozenset(pause),
    )
