"""What a store write accepts: pydantic checks each field's kind; a wrong value is one line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpdesk_tui.domain.model import PauseInterval, Priority, Status
from helpdesk_tui.store.base import InvalidInput
from helpdesk_tui.store.validation import FIELD_KINDS, check_fields, check_ts

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def test_good_values_come_back_as_the_store_keeps_them() -> None:
    cet = timezone(timedelta(hours=1))
    checked = check_fields(
        {
            "subject": "VPN down",
            "assignee": "",
            "priority": "high",
            "status": Status.OPEN,
            "environment": None,
            "tier": 2,
            "affected_users": None,
            "watchers": ["ann", "", "bob", "ann"],
            "tags": ("vpn",),
            "sla_due_at": NOW.astimezone(cet),
            "updated_at": NOW,
            "pauses": [PauseInterval(NOW, None, Status.PENDING)],
        }
    )
    assert checked["assignee"] is None  # "" means nobody
    assert checked["priority"] is Priority.HIGH
    assert checked["watchers"] == ("ann", "bob")
    assert checked["tags"] == ("vpn",)
    assert checked["sla_due_at"] == NOW and checked["sla_due_at"].tzinfo is UTC
    assert checked["pauses"] == (PauseInterval(NOW, None, Status.PENDING),)


def test_an_empty_write_checks_nothing() -> None:
    assert check_fields({}) == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": 3}, "subject must be text, not int"),
        ({"subject": None}, "subject cannot be empty"),
        ({"assignee": ["ann"]}, "assignee must be text, not list"),
        ({"tier": "2"}, "tier must be a whole number, not '2'"),
        ({"tier": 2.0}, "tier must be a whole number, not 2.0"),
        ({"tier": True}, "tier must be a whole number, not True"),
        ({"priority": "urgent"}, "priority cannot be 'urgent' (choose from critical, high"),
        ({"environment": "moon"}, "environment cannot be 'moon'"),
        ({"tags": "vpn"}, "tags must be a list of names"),
        ({"watchers": ["ann", 7]}, "watchers must be a list of names"),
        ({"sla_due_at": "2026-12-04T09:30:00Z"}, "sla_due_at must be a timestamp"),
        ({"updated_at": None}, "updated_at cannot be empty"),
        ({"sla_due_at": datetime(2026, 12, 4, 9, 30)}, "timestamp without a timezone"),
        ({"pauses": [("a", "b", "c")]}, "pauses must be a list of pause intervals"),
        ({"key": "HD-1"}, "'key' is not a field a write may change"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_fields(fields)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and "pydantic" not in str(caught.value)


def test_parameters_are_checked_the_same_way() -> None:
    assert check_ts("at", NOW) == NOW
    with pytest.raises(InvalidInput, match="at must be a timestamp"):
        check_ts("at", "now")


def test_every_kind_is_a_type_pydantic_can_check() -> None:
    for name in FIELD_KINDS:
        with pytest.raises(InvalidInput, match=name):
            check_fields({name: object()})


def test_importing_the_stores_does_not_import_pydantic() -> None:
    code = (
        "import sys\n"
        "import helpdesk_tui.store.validation, helpdesk_tui.store.sql.writes\n"
        "import helpdesk_tui.store.rt.writes\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_ticket_field_of_a_type_with_no_write_check_is_refused_at_import() -> None:
    # The kinds are read from Ticket's types: a new field of a new type must get a check.
    from helpdesk_tui.store.validation import _kind_of

    assert _kind_of("tier", int | None) == "optional whole number"
    with pytest.raises(TypeError, match=r"Ticket\.score: no write check"):
        _kind_of("score", float)
    with pytest.raises(TypeError, match="no write check"):
        _kind_of("pairs", tuple[int, ...])
