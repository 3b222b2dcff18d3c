"""`export` to JSON Lines and `import` of it on the command line: a fresh store takes a
full export back and exports the same bytes; bad input is one line, exit 2, and nothing
written (no ticket, no file); CSV says what it leaves out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_cli import run

Spoil = Callable[[dict[str, object]], object]
FILE = bytes(range(256))


@pytest.fixture
def exported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A full export of a store with a reply, a note with a file, an escalation (and so a
    watcher) and a link;
    the test then goes on in an empty store of its own (with the same agent)."""
    assert run(capsys, "agent", "add", "dmitri", "--tier", "2", "--name", "Dmitri")[0] == 0
    for subject in ("Checkout fails", "Payments slow"):
        assert run(capsys, "ticket", "create", "--subject", subject)[0] == 0
    assert run(capsys, "ticket", "reply", "HD-1", "Looking into it.", "--time", "1h30m")[0] == 0
    log = tmp_path / "gateway.log"
    log.write_bytes(FILE)
    code, _, err = run(capsys, "ticket", "note", "HD-1", "the log", "--attach", str(log))
    assert code == 0, err
    assert run(capsys, "ticket", "link", "HD-2", "relates-to", "HD-1")[0] == 0
    # Whoever escalates a ticket watches it.
    assert run(capsys, "ticket", "escalate", "HD-1", "--tier", "2", "--reason", "logs")[0] == 0
    path = tmp_path / "all.jsonl"
    code, _, err = run(capsys, "export", str(path))
    assert code == 0 and "exported 2 tickets" in err and "note:" not in err
    monkeypatch.setenv("HELPDESK_TUI_DATA_DIR", str(tmp_path / "fresh"))
    assert run(capsys, "agent", "add", "dmitri", "--tier", "2", "--name", "Dmitri")[0] == 0
    return path


def _export(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run(capsys, "export", "-", "--format", "jsonl")
    assert code == 0
    return out


def _files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "fresh").rglob("*") if p.is_file() and "attach" in str(p))


def test_a_fresh_store_exports_the_same_bytes_it_imported(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "import", str(exported))
    assert code == 0, err
    assert "imported 2 tickets" in out
    again = tmp_path / "again.jsonl"
    assert run(capsys, "export", str(again))[0] == 0
    assert again.read_bytes() == exported.read_bytes()
    record = json.loads(exported.read_text().splitlines()[0])
    assert [c["kind"] for c in record["comments"]] == ["reply", "note"]
    assert [c["minutes"] for c in record["comments"]] == [90, None]
    assert record["comments"][1]["files"][0]["size"] == len(FILE)
    assert record["watchers"] and record["escalation"] == "awaiting_tier"
    assert json.loads(exported.read_text().splitlines()[1])["links"][0]["target"] == "HD-1"
    assert len(_files(tmp_path)) == 1


def test_an_empty_file_imports_nothing(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, out, _ = run(capsys, "import", str(empty))
    assert code == 0 and "imported 0 tickets" in out
    assert _export(capsys) == ""


def _first_file(record: dict[str, object]) -> dict[str, object]:
    comments = record["comments"]
    assert isinstance(comments, list)
    return dict(comments[1]["files"][0])


def _set_file(record: dict[str, object], **values: object) -> None:
    comments = record["comments"]
    assert isinstance(comments, list)
    comments[1]["files"][0].update(values)


BAD: list[tuple[str, Spoil | None, str]] = [
    ("json", None, "line 2: not valid JSON"),
    ("base64", lambda r: _set_file(r, content="%%%%"), "content: is not base64"),
    ("sha256", lambda r: _set_file(r, sha256="a" * 64), "sha256: does not match the content"),
    (
        "size",
        lambda r: _set_file(r, size=int(str(_first_file(r)["size"])) + 1),
        "but the content is 256 bytes",
    ),
    (
        "link",
        lambda r: r.update(links=[{"kind": "relates", "target": "HD-404"}]),
        "links to HD-404, which is neither in the import nor in the store",
    ),
    ("kind", lambda r: r["comments"][0].update(kind="memo"), "comments, item 1, kind"),  # type: ignore[index]
]


@pytest.mark.parametrize(("spoil", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_line_is_one_line_exit_2_and_nothing_written(
    exported: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    spoil: Spoil | None,
    message: str,
) -> None:
    first, second = exported.read_text().splitlines()
    record = json.loads(first)
    if spoil is None:
        bad = first[: len(first) // 2]  # cut off mid-object
    else:
        spoil(record)
        bad = json.dumps(record)
    # The good ticket comes first: it is taken, then undone with the bad one.
    path = tmp_path / "bad.jsonl"
    path.write_text(second + "\n" + bad + "\n")
    code, out, err = run(capsys, "import", str(path))
    assert code == 2 and out == ""
    assert message in err and "bad.jsonl" in err, err
    assert err.count("\n") == 1, err
    assert _export(capsys) == ""
    assert _files(tmp_path) == []


def test_a_key_the_store_has_is_refused_by_name_unless_update(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "import", str(exported))[0] == 0
    before = _export(capsys)
    code, _, err = run(capsys, "import", str(exported))
    assert code == 2 and err.count("\n") == 1
    assert "all.jsonl, line 1: key HD-1 is already in the store" in err
    assert _export(capsys) == before
    # --update with what the store holds already changes nothing, not even a version.
    assert run(capsys, "import", str(exported), "--update")[0] == 0
    assert _export(capsys) == before
    # --update: the file's fields; the comments it holds already are not added twice.
    first, second = exported.read_text().splitlines()
    record = json.loads(first)
    record["subject"] = "Checkout fails on Safari"
    path = tmp_path / "changed.jsonl"
    path.write_text(json.dumps(record) + "\n" + second + "\n")
    code, out, err = run(capsys, "import", str(path), "--update")
    assert code == 0, err
    assert "imported 2 tickets" in out
    code, out, _ = run(capsys, "ticket", "show", "HD-1", "--json")
    shown = json.loads(out)
    assert shown["subject"] == "Checkout fails on Safari"
    assert len(shown["conversation"]) == 2
    assert len(_files(tmp_path)) == 1


def test_update_needs_a_full_export(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flat = tmp_path / "flat.jsonl"
    flat.write_text(json.dumps({"subject": "Flat", "key": "HD-5"}) + "\n")
    code, _, err = run(capsys, "import", str(flat), "--update")
    assert code == 2 and err.count("\n") == 1 and "--update needs a full export" in err
    assert _export(capsys) == ""


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_say_they_hold_ticket_fields_only(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    assert run(capsys, "import", str(exported))[0] == 0
    code, _, err = run(capsys, "export", str(tmp_path / f"out.{fmt}"))
    assert code == 0
    assert f"{fmt.upper()} holds ticket fields only" in err
    assert "no conversation, files, links or history" in err
