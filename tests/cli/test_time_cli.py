"""`ticket reply/note --time`, `ticket show` and `report` with time spent, through
`main()` on a real SQLite store: bad input is one line, exit 2, and nothing written."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.cli.test_cli import create, run


@pytest.fixture
def store(capsys: pytest.CaptureFixture[str]) -> str:
    """A store with one agent and one ticket; its key."""
    assert run(capsys, "agent", "add", "dmitri", "--tier", "2", "--name", "Dmitri")[0] == 0
    return create(capsys, "--org", "Acme")


def _show(capsys: pytest.CaptureFixture[str], key: str) -> dict[str, object]:
    code, out, err = run(capsys, "ticket", "show", key, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def test_reply_and_note_record_time_and_show_totals_it(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "ticket", "reply", store, "On it.", "--time", "15m")
    assert (code, err) == (0, "") and "replied on" in out
    code, _, err = run(capsys, "ticket", "note", store, "Gateway logs.", "--time", "1h15m")
    assert code == 0, err
    assert run(capsys, "ticket", "note", store, "No time on this.")[0] == 0
    shown = _show(capsys, store)
    assert shown["time_spent_minutes"] == 90
    conversation = shown["conversation"]
    assert isinstance(conversation, list)
    assert [c["minutes"] for c in conversation] == [15, 75, None]
    code, out, _ = run(capsys, "ticket", "show", store)
    assert code == 0
    assert "  time spent: 1h30m" in out.splitlines()
    heads = [line for line in out.splitlines() if line.startswith("--- ")]
    assert heads[0].endswith("· 15m spent") and heads[1].endswith("· 1h15m spent")
    assert "spent" not in heads[2]


def test_a_ticket_without_time_says_none_in_json_and_nothing_in_text(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _show(capsys, store)["time_spent_minutes"] == 0
    assert "time spent" not in run(capsys, "ticket", "show", store)[1]


@pytest.mark.parametrize(
    ("action", "typed", "message"),
    [
        ("reply", "", "no time given"),
        ("note", "", "no time given"),
        ("reply", "soon", "not a time: 'soon'"),
        ("note", "0m", "at least 1 minute"),
        ("note", "200h", "at most a week"),
        ("reply", "1.01h", "not a whole number of minutes"),
    ],
)
def test_a_bad_time_is_one_line_exit_2_and_nothing_written(
    store: str, capsys: pytest.CaptureFixture[str], action: str, typed: str, message: str
) -> None:
    before = _show(capsys, store)
    code, out, err = run(capsys, "ticket", action, store, "Text.", "--time", typed)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert _show(capsys, store) == before


def test_the_report_adds_time_per_agent_organization_and_type(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ticket", "note", store, "Logs.", "--time", "2h")[0] == 0
    # Up to the day after: a period ends before its `until`, and the note is written now.
    period = ("--since", "2026-03-01", "--until", "2026-03-05")
    code, out, err = run(capsys, "report", *period, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["time_spent"]["by_organization"] == [
        {"organization": "Acme", "minutes": 120}
    ]
    code, out, _ = run(capsys, "report", *period, "--format", "csv")
    rows = [r for r in csv.reader(io.StringIO(out)) if r[0] == "time_spent"]
    assert ["time_spent", "type=incident", "by_type.minutes", "120"] in rows
    code, out, _ = run(capsys, "report", *period)
    assert "Time spent: 2h on replies and notes written in the period" in out
