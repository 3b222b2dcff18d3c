"""`helpdesk-tui handover` through `main()` on a real SQLite store, clock frozen
(HELPDESK_TUI_NOW): text for a chat, Markdown, and JSON for scripts."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta

import pytest

from tests.cli.test_cli import run
from tests.conftest import FROZEN


@pytest.fixture
def worked(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """A P1 I hold, unanswered (due in 15 minutes), and a P3 I hold and answered."""
    me = getpass.getuser()
    keys = []
    for priority in ("p1", "p3"):
        code, out, err = run(
            capsys,
            *("ticket", "create", "--subject", "Checkout [red]fails[/]", "--priority", priority),
            *("--assignee", me, "--email", "ada@example.com", "--json"),
        )
        assert code == 0, err
        keys.append(json.loads(out)["key"])
    assert run(capsys, "ticket", "reply", keys[1], "Looking into it.")[0] == 0
    return keys[0], keys[1]


def test_text_is_plain_with_a_title_and_one_line_per_ticket(
    worked: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    urgent, answered = worked
    code, out, err = run(capsys, "handover")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Handover: ") and lines[0].endswith("02:30 → 10:30 UTC")
    assert "\x1b" not in out
    assert f"{answered}  P3  Checkout [red]fails[/]  — replied · now open" in lines
    assert f"{urgent}  P1  Checkout [red]fails[/]  — created it · now new" in lines
    assert f"{urgent}  P1  Checkout [red]fails[/]  — 15m00s left" in lines
    assert f"{urgent}  P1  Checkout [red]fails[/]  — new, not acknowledged" in lines


def test_markdown_and_json(worked: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    urgent, answered = worked
    code, out, _ = run(capsys, "handover", "--format", "markdown", "--since", "1h30m")
    assert code == 0
    assert out.startswith("### Handover: ")
    assert f"- `{answered}` P3 Checkout \\[red\\]fails\\[/\\] — replied · now open" in out
    code, out, _ = run(capsys, "handover", "--format", "json", "--next", "30m")
    record = json.loads(out)
    assert record["now"] == FROZEN.isoformat()
    assert record["until"] == (FROZEN + timedelta(minutes=30)).isoformat()
    assert record["since"] == (FROZEN - timedelta(hours=8)).isoformat()
    touched = record["touched"]["tickets"]
    assert [(t["key"], t["kind"]) for t in touched] == [(answered, "replied"), (urgent, "created")]
    assert touched[0]["at"] == FROZEN.isoformat() and touched[0]["status"] == "open"
    breaching = record["breaching"]["tickets"]
    assert [(t["key"], t["time_left"]) for t in breaching] == [(urgent, "15m00s")]
    assert breaching[0]["due_at"] == (FROZEN + timedelta(minutes=15)).isoformat()


def test_a_short_window_leaves_out_later_breaches(
    worked: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "handover", "--format", "json", "--next", "10m")
    assert code == 0
    assert json.loads(out)["breaching"] == {
        "total": 0,
        "more": 0,
        "complete": True,
        "unsupported": None,
        "tickets": [],
    }
