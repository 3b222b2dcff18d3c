"""`ticket escalate` and `ticket decide` (issue 14, acceptance line 3) through `main()`,
on a real SQLite store: who keeps the ticket, a decision's --comment, the history as
sentences in `ticket show` and raw in `--json`, and bad input as one line, exit 2,
nothing written."""

from __future__ import annotations

import getpass
import io
import json
from typing import Any

import pytest

from helpdesk_tui.domain.model import MAX_BODY
from tests.cli.test_cli import run


@pytest.fixture
def key(capsys: pytest.CaptureFixture[str]) -> str:
    """A tier-1 ticket held by alice (tier 1); dmitri is tier 2. This test is the admin."""
    for name, tier in (("alice", "1"), ("dmitri", "2")):
        assert run(capsys, "agent", "add", name, "--tier", tier)[0] == 0
    code, out, err = run(
        capsys, "ticket", "create", "--subject", "Reports time out", "--assignee", "alice", "--json"
    )
    assert code == 0, err
    return str(json.loads(out)["key"])


def shown(capsys: pytest.CaptureFixture[str], key: str) -> dict[str, Any]:
    code, out, err = run(capsys, "ticket", "show", key, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def refused(capsys: pytest.CaptureFixture[str], key: str, *argv: str, word: str) -> None:
    before = shown(capsys, key)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and word in err, err
    assert shown(capsys, key) == before


def test_escalate_hands_on_and_a_decision_carries_a_comment(
    key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--as", "alice", "ticket", "escalate", key, "--tier", "2", "--reason", "needs logs"
    )
    assert code == 0, err
    assert out == (
        f"{key} moved to tier 2, waiting for someone there to accept it; you are watching it\n"
    )
    ticket = shown(capsys, key)
    assert (ticket["assignee"], ticket["escalation"], ticket["watchers"]) == (
        None,
        "awaiting_tier",
        ["alice"],
    )
    code, out, err = run(
        capsys, "--as", "dmitri", "ticket", "decide", key, "accept", "--comment", "on it"
    )
    assert code == 0, err
    assert out.startswith(f"{key}: accept recorded with a note")
    ticket = shown(capsys, key)
    assert (ticket["assignee"], ticket["escalation"]) == ("dmitri", "none")
    assert ticket["conversation"][-1]["kind"] == "note"
    assert ticket["conversation"][-1]["body"] == "on it"
    raw = {h["field"] for h in ticket["history"]}
    assert {"escalated_from_tier", "escalation", "decision:accept", "note"} <= raw
    code, out, _ = run(capsys, "ticket", "show", key)
    history = out.split("\nHistory:\n", 1)[1].splitlines()
    # The file's OS user acted as alice and dmitri with --as: the history says so.
    me = getpass.getuser()
    assert [line.split(" ", 3)[-1] for line in history] == [
        f"Created by {me}",
        f"Escalated from tier 1 to tier 2 by {me} as alice: needs logs"
        " · Assignee: alice → nobody · Watchers: + alice",
        f"Escalation accepted by {me} as dmitri: on it",
    ]
    assert "escalated_" not in out and "awaiting_tier" not in out


def test_escalating_within_ones_own_tier_keeps_the_ticket(
    key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # root, the admin, works at tier 3: moving its own ticket to tier 3 keeps it.
    assert run(capsys, "ticket", "assign", key, "--me")[0] == 0
    code, out, err = run(capsys, "ticket", "escalate", key, "--tier", "3", "--reason", "platform")
    assert code == 0, err
    assert out == f"{key} moved to tier 3, still with root\n"
    assert shown(capsys, key)["escalation"] == "none"


def test_an_empty_comment_adds_no_note(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--as", "alice", "ticket", "escalate", key, "--tier", "2", "--reason", "logs")
    code, out, err = run(
        capsys, "--as", "dmitri", "ticket", "decide", key, "accept", "--comment", ""
    )
    assert code == 0, err
    assert out.startswith(f"{key}: accept recorded (v")
    assert [c["kind"] for c in shown(capsys, key)["conversation"]] == []


def test_bad_decisions_are_one_line_and_write_nothing(
    key: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "--as", "alice", "ticket", "escalate", key, "--tier", "2", "--reason", "logs")
    refused(capsys, key, "ticket", "decide", key, "decline", word="needs a reason")
    refused(
        capsys, key, "ticket", "decide", key, "decline", "--comment", "  ", word="needs a reason"
    )
    refused(capsys, key, "ticket", "decide", key, "reassign", word="the agent to hand")
    refused(
        capsys, key, "ticket", "decide", key, "reassign", "--to", "alice", word="alice is tier 1"
    )
    refused(capsys, key, "ticket", "decide", key, "reassign", "--to", "ghost", word="ghost")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * (MAX_BODY + 1))))
    refused(
        capsys,
        key,
        "ticket",
        "decide",
        key,
        "accept",
        "--comment",
        "-",
        word=f"stdin: more than {MAX_BODY:,} characters",
    )
    refused(capsys, key, "ticket", "escalate", key, "--tier", "3", "--reason", " ", word="reason")
