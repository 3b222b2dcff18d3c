"""`sla sweep` as cron runs it: one line per ticket saying what the rules did, the same
under `--json`, the history crediting the policy, and a bad policy file refused."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.settings.policies import read_builtin
from tests.conftest import FROZEN

from .test_cli import run

Capture = pytest.CaptureFixture[str]


def at(monkeypatch: pytest.MonkeyPatch, after: timedelta) -> None:
    monkeypatch.setenv("HELPDESK_TUI_NOW", (FROZEN + after).isoformat())


def ticket(capsys: Capture, *extra: str) -> str:
    code, out, err = run(capsys, "ticket", "create", "--json", *extra)
    assert code == 0, err
    return str(json.loads(out)["key"])


@pytest.fixture
def desk(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test's login is the store's admin (it runs the sweep); a lead, a tier-1 agent
    and a tier-3 engineer. Two critical tickets held by tia: one she keeps writing on,
    one she answered once. Their clocks breach at 4 h; the sweep runs at 4h01."""
    for argv in (
        ("lea", "--tier", "3", "--role", "lead"),
        ("tia", "--tier", "1"),
        ("gus", "--tier", "3"),
    ):
        assert run(capsys, "agent", "add", *argv)[0] == 0
    keys = {
        name: ticket(
            capsys, "--subject", f"Checkout down ({name})", "--priority", "p1", "--assignee", "tia"
        )
        for name in ("worked", "idle")
    }
    at(monkeypatch, timedelta(minutes=5))
    for key in keys.values():
        assert run(capsys, "--as", "tia", "ticket", "reply", key, "On it.")[0] == 0
    at(monkeypatch, timedelta(hours=3, minutes=50))
    assert run(capsys, "--as", "tia", "ticket", "note", keys["worked"], "Gateway 502s.")[0] == 0
    at(monkeypatch, timedelta(hours=4, minutes=1))
    return keys


def test_sweep_says_what_it_did_per_ticket(desk: dict[str, str], capsys: Capture) -> None:
    code, out, err = run(capsys, "sla", "sweep")
    assert code == 0, err
    head, *lines = out.splitlines()
    assert head.startswith("evaluated 2 open tickets: 4 new breaches, 0 newly at risk")
    assert "1 escalated, 1 kept with their assignee" in head  # tickets, not clocks
    worked, idle = desk["worked"], desk["idle"]
    assert lines == [
        f"  {worked}  resolution breached: stays with tia (tia's note 11m ago); watching: "
        "lea, gus; update breached: stays with tia",
        f"  {idle}  resolution breached: tier 1 → 3, taken from tia (no agent reply or note "
        "within 1h); update breached: recorded (already at tier 3)",
    ]
    # Run again: nothing new to say.
    code, out, _ = run(capsys, "sla", "sweep")
    assert out.splitlines()[1:] == []


def test_sweep_json_and_the_history(desk: dict[str, str], capsys: Capture) -> None:
    code, out, _ = run(capsys, "sla", "sweep", "--json")
    record = json.loads(out)
    assert code == 0 and record["escalated"] == [desk["idle"]]
    outcomes = {(a["key"], a["clock"]): a["outcome"] for a in record["actions"]}
    assert outcomes == {
        (desk["worked"], "resolution"): "kept",
        (desk["worked"], "update"): "kept",
        (desk["idle"], "resolution"): "escalated",
        (desk["idle"], "update"): "recorded",
    }
    code, out, _ = run(capsys, "ticket", "show", desk["worked"], "--json")
    shown = json.loads(out)
    assert shown["assignee"] == "tia" and shown["tier"] == 1
    assert shown["conversation"][-1]["author"] == "sla:default"
    swept = [h for h in shown["history"] if h["field"].startswith("sla:")]
    assert {h["actor"] for h in swept} == {"sla:default"}
    code, out, _ = run(capsys, "ticket", "show", desk["worked"])
    assert "--- NOTE · SLA policy default · " in out
    # The sweep's writes (at 14:31) read as the policy's; root, who ran it, is named only
    # as the runner in the event's detail, never as the one who acted.
    swept_lines = [line for line in out.split("History:")[1].splitlines() if "T14:31" in line]
    assert swept_lines and all("by SLA policy default" in line for line in swept_lines)
    assert not any("root" in line.replace("(run by root)", "") for line in swept_lines)


def test_bad_policy_file_is_one_line(
    desk: dict[str, str], capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = read_builtin("default").replace('when_worked = "notify"', 'when_worked = "sometimes"')
    policy = tmp_path / "team.toml"
    policy.write_text(text, encoding="utf-8")
    config = tmp_path / "team-config.toml"
    config.write_text(f'[sla]\npolicy = "{policy}"\n', encoding="utf-8")
    monkeypatch.setenv("HELPDESK_TUI_CONFIG", str(config))
    line = text[: text.index("sometimes")].count("\n") + 1
    code, out, err = run(capsys, "sla", "sweep")
    assert code == 2 and out == ""
    assert err == (
        f"helpdesk-tui: sla policy {policy}: line {line}: when_worked: "
        'expected "notify" or "reassign", got \'sometimes\'\n'
    )
    # Nothing was acted on: with the policy fixed, the sweep finds every breach new.
    monkeypatch.delenv("HELPDESK_TUI_CONFIG")
    code, out, _ = run(capsys, "sla", "sweep", "--json")
    assert len(json.loads(out)["breached"]) == 4
