"""`import` refuses records that look fine to a JSON parser but say something the store
cannot hold: a key given twice in one object, another store's key, a ticket named but
nowhere to be found, a ticket linked to itself, an unknown agent watching, a line break in
a file's type, null for a choice, text for a list. Through the installed script, as
users meet it: one line on stderr, exit status 2, the store as it was. `import -` reads
standard input."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FROZEN

from .test_bad_input import SCRIPT, Store

HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """alice (the first user, so admin) and dmitri; tickets HD-1 and HD-2."""
    root = tmp_path_factory.mktemp("import-bad-input")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "HELPDESK_TUI_DATA_DIR": str(root / "data"),
        "HELPDESK_TUI_CONFIG_DIR": str(root / "config"),
        "HELPDESK_TUI_CACHE_DIR": str(root / "cache"),
        "HELPDESK_AGENT": "alice",
        "HELPDESK_TUI_NOW": FROZEN.isoformat(),
        "LANG": "C.UTF-8",
    }
    made = Store(root, env, root / "files")
    assert made.run("agent", "add", "dmitri", "--tier", "2").returncode == 0
    for subject in ("Checkout fails", "VPN drops"):
        assert made.run("ticket", "create", "--subject", subject).returncode == 0
    yield made


@pytest.fixture(scope="module")
def before(store: Store) -> bytes:
    """The store's export, which no refused import may change."""
    return store.export()


def _flat(**fields: object) -> dict[str, object]:
    return {"key": "HD-50", "subject": "fine", **fields}


def _full(*, file: dict[str, object] | None = None, **fields: object) -> dict[str, object]:
    """A record of a full export ("format": 2): one note with one file ("hello")."""
    attached = {"filename": "a.txt", "size": 5, "sha256": HELLO_SHA256, "content": "aGVsbG8="}
    note = {"kind": "note", "author": "dmitri", "body": "log", "created_at": FROZEN.isoformat()}
    record = {
        "format": 2,
        **_flat(),
        "comments": [{**note, "files": [{**attached, **(file or {})}]}],
    }
    return {**record, **fields}


def _lines(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _list(*records: dict[str, object]) -> str:
    return "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"


NOWHERE = "HD-404"
"""A key neither the store nor any file below has."""

# (id, file name, its text, the one line after "helpdesk-tui: <path>, ").
CASES: list[tuple[str, str, str, str]] = [
    (
        "duplicate-key-json",
        "dup.json",
        '[\n{"key": "HD-50", "subject": "first", "subject": "second"}\n]\n',
        "line 2 (record 1): 'subject' comes twice in one object",
    ),
    (
        "duplicate-key-jsonl",
        "dup.jsonl",
        _lines(_flat()) + '{"subject": "a", "tier": 1, "tier": 3}\n',
        "line 2: 'tier' comes twice in one object",
    ),
    (
        "duplicate-key-in-a-comment",
        "dup-full.jsonl",
        json.dumps(_full()).replace('"body": "log"', '"body": "log", "body": "other"') + "\n",
        "line 1: 'body' comes twice in one object",
    ),
    (
        "foreign-prefix-flat",
        "prefix.json",
        _list(_flat(key="XX-5")),
        "line 2 (record 1): key XX-5 is not one of this store's (HD-...)",
    ),
    (
        "foreign-prefix-full",
        "prefix.jsonl",
        _lines(_full(key="XX-5")),
        "line 1: key XX-5 is not one of this store's (HD-...)",
    ),
    (
        # The refusal comes once every record is read (a later one might have been
        # HD-404), and still names the record that names it.
        "merged-into-nowhere-flat",
        "merged.json",
        _list(_flat(merged_into=NOWHERE), _flat(key="HD-51")),
        f"line 2 (record 1): merged_into names {NOWHERE}, which is neither in the import"
        " nor in the store",
    ),
    (
        "merged-into-nowhere-full",
        "merged.jsonl",
        _lines(_full(merged_into=NOWHERE), _full(key="HD-51")),
        f"line 1: merged_into names {NOWHERE}, which is neither in the import nor in the store",
    ),
    (
        "follow-up-of-nowhere",
        "follow.jsonl",
        _lines(_flat(follow_up_of=NOWHERE)),
        f"line 1: follow_up_of names {NOWHERE}, which is neither in the import nor in the store",
    ),
    (
        "linked-to-itself",
        "self-link.jsonl",
        _lines(_full(links=[{"kind": "relates", "target": "HD-50"}])),
        "line 1: links, item 1, target: HD-50 is this ticket itself",
    ),
    (
        "merged-into-itself",
        "self-merge.jsonl",
        _lines(_flat(merged_into="HD-50")),
        "line 1: merged_into: HD-50 is this ticket itself",
    ),
    (
        "unknown-watcher-flat",
        "watcher.json",
        _list(_flat(watchers=["dmitri", "nobody"])),
        "line 2 (record 1): watchers: no agent called 'nobody'",
    ),
    (
        "unknown-watcher-full",
        "watcher.jsonl",
        _lines(_full(watchers=["nobody"])),
        "line 1: watchers: no agent called 'nobody'",
    ),
    (
        "unknown-assignee",
        "assignee.json",
        _list(_flat(assignee="nobody")),
        "line 2 (record 1): no agent called 'nobody'",
    ),
    (
        "content-type-with-a-line-break",
        "type.jsonl",
        _lines(_full(file={"content_type": "text/plain\r\nX-Injected: 1"})),
        "line 1: comments, item 1, files, item 1, content_type: must be one line without"
        " control characters",
    ),
    (
        "filename-with-a-line-break",
        "name.jsonl",
        _lines(_full(file={"filename": "a.txt\nX-Injected: 1"})),
        "line 1: comments, item 1, files, item 1, filename: must be one line without"
        " control characters",
    ),
    (
        "status-null",
        "status.json",
        _list(_flat(status=None)),
        "line 2 (record 1): status: cannot be null; leave it out for the default (new)",
    ),
    (
        "tier-null",
        "tier.jsonl",
        _lines(_flat(tier=None)),
        "line 1: tier: cannot be null; leave it out for the default (1)",
    ),
    (
        "tags-as-text",
        "tags.json",
        _list(_flat(tags="a,b")),
        "line 2 (record 1): tags: must be a list, not text",
    ),
    (
        "watchers-as-text-full",
        "watchers-text.jsonl",
        _lines(_full(watchers="dmitri")),
        "line 1: watchers: must be a list, not text",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "wrong"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_bad_record_is_one_line_exit_2_and_nothing_written(
    store: Store, before: bytes, tmp_path: Path, name: str, text: str, wrong: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    done = store.run("import", str(path))
    assert done.stderr.decode() == f"helpdesk-tui: {path}, {wrong}\n"
    assert (done.returncode, done.stdout) == (2, b"")
    after = store.export()
    assert after.count(b"\n") == before.count(b"\n")  # as many tickets
    assert after == before  # and each just as it was


def test_import_dash_reads_standard_input(store: Store, tmp_path: Path) -> None:
    # A store of its own: the one above must stay as `before` has it.
    store = Store(
        store.root, {**store.env, "HELPDESK_TUI_DATA_DIR": str(tmp_path / "data")}, store.files
    )
    before = store.export()
    bad = store.run("import", "-", stdin=_lines(_flat(status=None)).encode())
    assert bad.stderr.decode() == (
        "helpdesk-tui: stdin, line 1: status: cannot be null; leave it out for the default (new)\n"
    )
    assert bad.returncode == 2 and store.export() == before
    # Empty: nothing to import, as an empty file; an empty JSON list is refused.
    empty = store.run("import", "-")
    assert (empty.returncode, empty.stdout) == (0, b"imported 0 tickets from stdin\n")
    nothing = store.run("import", "-", "--format", "json", stdin=b"\n")
    assert nothing.returncode == 2 and b"stdin: the file is empty" in nothing.stderr
    assert store.export() == before
    # Closed, its descriptor is the next file opened (the store's): never read as input.
    closed = subprocess.run(
        ["bash", "-c", f"{SCRIPT} import - <&-"], capture_output=True, env=store.env, timeout=60
    )
    assert closed.stderr == b"helpdesk-tui: stdin: cannot read: standard input is closed\n"
    assert closed.returncode == 2 and store.export() == before
    # JSON Lines unless told, as `export -` writes; --format names another.
    done = store.run("import", "-", stdin=_lines(_flat(key="HD-60")).encode())
    assert (done.returncode, done.stdout) == (0, b"imported 1 tickets from stdin\n"), done.stderr
    listed = store.run("import", "-", "--format", "json", stdin=_list(_flat(key="HD-61")).encode())
    assert listed.returncode == 0, listed.stderr
    keys = [json.loads(line)["key"] for line in store.export().splitlines()]
    assert keys == ["HD-60", "HD-61"]
