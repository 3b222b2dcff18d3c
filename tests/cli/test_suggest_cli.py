"""`ticket suggest` (#20): the suggestion from the customer's own words, "no suggestion"
on a line when the text gives no signal, its sources, and no accepting of nothing."""

from __future__ import annotations

import json

import pytest

from .test_cli import run, store  # noqa: F401  (the fixture)


def created(capsys: pytest.CaptureFixture[str], subject: str, description: str) -> str:
    code, out, err = run(
        capsys,
        "ticket",
        "create",
        "--subject",
        subject,
        "--description",
        description,
        "--json",
    )
    assert code == 0, err
    return str(json.loads(out)["key"])


def test_no_signal_says_no_suggestion_and_accepts_nothing(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = created(capsys, "Hej", "Tack\n\nBest regards\nAnna | 24/7 Outage Hotline")
    code, out, err = run(capsys, "ticket", "suggest", key)
    assert code == 0, err
    assert out.splitlines()[0] == f"{key}: no suggestion"
    assert "sources: none, none, none" in out and "outage" not in out.lower()
    record = json.loads(run(capsys, "ticket", "suggest", key, "--json")[1])
    assert record["offered"] is False and record["priority"] is None
    code, out, err = run(capsys, "ticket", "suggest", key, "--accept")
    assert (code, out) == (2, "") and "no suggestion" in err


def test_a_signal_is_quoted_from_the_customer_s_words(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = created(capsys, "Sistema fora do ar", "A empresa inteira está parada.")
    code, out, err = run(capsys, "ticket", "suggest", key)
    assert code == 0, err
    assert out.startswith(f"{key}: P1 · incident · tier 3")
    assert '"sistema fora do ar"' in out
    # Which of the rules and the shipped model is the surer may change with a retrain;
    # neither may be a default.
    sources = next(line for line in out.splitlines() if "sources:" in line)
    assert set(sources.split(":", 1)[1].strip().split(", ")) <= {"rules", "model"}
    code, out, err = run(capsys, "ticket", "suggest", key, "--accept")
    assert code == 0 and "accepted" in out
    shown = json.loads(run(capsys, "ticket", "show", key, "--json")[1])
    assert (shown["priority"], shown["tier"]) == ("critical", 3)


@pytest.mark.parametrize("similar", ["-1", "0", "101", "99999999999999999999"])
def test_a_count_of_similar_tickets_out_of_range_is_one_line(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    similar: str,
) -> None:
    key = created(capsys, "Sistema fora do ar", "A empresa inteira está parada.")
    before = run(capsys, "export", "-", "--format", "jsonl")[1]
    code, out, err = run(capsys, "ticket", "suggest", key, "--similar", similar, "--accept")
    assert (code, out) == (2, "")
    assert err == f"helpdesk-tui: similar tickets: give a number from 1 to 100, not {similar}\n"
    assert run(capsys, "export", "-", "--format", "jsonl")[1] == before
    code, out, err = run(capsys, "ticket", "suggest", key, "--similar", "100")
    assert code == 0, err
