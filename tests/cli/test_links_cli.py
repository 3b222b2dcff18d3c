"""`ticket link`, `unlink`, `links` and `outage` (issue 16, line 2): empty, filled and bad
input on a real SQLite store; every refusal one line, status 2, nothing written."""

from __future__ import annotations

import json

import pytest

from .test_cli import create, run, store  # noqa: F401  (the fixture)


def shown(capsys: pytest.CaptureFixture[str], key: str) -> dict[str, object]:
    code, out, err = run(capsys, "ticket", "show", key, "--json")
    assert code == 0, err
    record: dict[str, object] = json.loads(out)
    return record


def test_link_and_unlink_refuse_bad_input_in_one_line(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, two = create(capsys), create(capsys)
    before = shown(capsys, one)
    for argv, said in (
        ((), "the following arguments are required"),
        ((one, "child-of"), "required: other"),
        ((one, "sibling-of", two), "not a relation: 'sibling-of'"),
        ((one, "child-of", "not-a-key"), "not a ticket key"),
        ((one, "child-of", one), "itself"),
        ((one, "child-of", "HD-9999"), "no ticket HD-9999"),
    ):
        code, out, err = run(capsys, "ticket", "link", *argv)
        assert (code, out) == (2, "") and said in err and err.count("\n") == 1, err
    assert shown(capsys, one) == before

    code, out, err = run(capsys, "ticket", "link", one, "parent-of", two)
    assert (code, out.strip()) == (0, f"linked: {two} child of {one}"), err
    code, out, err = run(capsys, "ticket", "link", two, "relates-to", one)
    assert (code, out) == (2, "") and "linked already" in err
    assert shown(capsys, two)["links"] == [{"relation": "child of", "key": one, "kind": "child_of"}]
    code, out, _ = run(capsys, "ticket", "links", one)
    assert out.split()[:3] == ["parent", "of", two]

    assert run(capsys, "ticket", "unlink", one, two)[0] == 0
    code, out, err = run(capsys, "ticket", "unlink", one, two)
    assert (code, out) == (2, "") and "are not linked" in err
    assert run(capsys, "ticket", "links", one)[1].strip() == f"{one} has no links"


def test_outage_lists_without_confirm_and_sends_with_the_right_count(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    problem = create(capsys)
    code, out, err = run(capsys, "ticket", "outage", problem)
    assert (code, out) == (2, "") and "no open incidents" in err
    incidents = [create(capsys) for _ in range(3)]
    for key in incidents:
        assert run(capsys, "ticket", "link", problem, "problem-of", key)[0] == 0

    code, out, err = run(capsys, "ticket", "outage", problem)
    assert code == 0 and out.splitlines()[-1].startswith("3 open incidents: run again")
    before = [shown(capsys, key) for key in incidents]
    for argv, said in (
        (("--confirm", "3"), "give the reply"),
        (("Fixed.", "--confirm", "2"), "3 open incidents now, not 2"),
        (("Fixed.", "--status", "sideways", "--confirm", "3"), "argument --status"),
    ):
        code, out, err = run(capsys, "ticket", "outage", problem, *argv)
        assert (code, out) == (2, "") and said in err and err.count("\n") == 1, err
    assert [shown(capsys, key) for key in incidents] == before

    code, out, err = run(
        capsys,
        "ticket",
        "outage",
        problem,
        "Fixed at 10:40.",
        "--status",
        "resolved",
        "--confirm",
        "3",
    )
    assert (code, out.strip()) == (0, f"sent to 3 incidents of {problem}"), err
    for key in incidents:
        after = shown(capsys, key)
        assert after["status"] == "resolved"
        assert after["conversation"][-1]["body"] == "Fixed at 10:40."  # type: ignore[index]
