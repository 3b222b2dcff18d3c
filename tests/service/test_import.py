"""`import` reads CSV, JSON and JSON Lines through one pydantic record model
(service/records.py): a filled store survives export and import unchanged, an empty file
is handled per format, and every bad record is one line naming the file, the line and the
field, with nothing written."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, demo, transfer
from helpdesk_tui.service.transfer import ImportFormatError
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

ADMIN = Agent("admin", "Ada Admin", tier=3, role=Role.ADMIN)

EVERY_FIELD = {
    "key": "HD-900",
    "subject": "Payroll export: every field set",
    "description": 'Line one\nline two, with "quotes" and a comma',
    "type": "service_request",
    "priority": "high",
    "status": "on_hold",
    "tier": 2,
    "assignee": "dmitri",
    "team": "Platform",
    "requester_name": "Maria Souza",
    "requester_email": "maria@acme.example",
    "organization": "Acme",
    "watchers": ["elin", "farah"],
    "contacts": ["Bo Svensson <bo@example.com>"],
    "channel": "phone",
    "environment": "uat",
    "impact": "payroll for 40 people",
    "affected_users": 40,
    "integration": "SAP",
    "category": "payroll",
    "tags": ["payroll", "export"],
    "language": "sv",
    "created_at": "2026-03-01T08:00:00+00:00",
    "updated_at": "2026-03-02T09:30:00+00:00",
    "first_response_at": "2026-03-01T08:20:00+00:00",
    "resolved_at": "2026-03-02T09:00:00+00:00",
    "closed_at": "2026-03-02T09:30:00+00:00",
    "last_public_update_at": "2026-03-02T09:00:00+00:00",
    "last_customer_reply_at": "2026-03-01T12:00:00+00:00",
    "escalation": "awaiting_lead",
    "escalation_reason": "needs a decision on the export format",
    "escalated_by": "dmitri",
    "escalated_at": "2026-03-01T09:00:00+00:00",
    "escalated_from_tier": 1,
    "merged_into": "HD-1",
    "follow_up_of": "HD-2",
    "csat_score": 4,
    "csat_comment": "quick, thanks",
    "pauses": [
        ["2026-03-01T10:00:00+00:00", "2026-03-01T11:00:00+00:00", "pending"],
        ["2026-03-02T08:00:00+00:00", None, "on_hold"],
    ],
}
"""One record with every field a ticket can be imported with, none left at its default."""

FULL_PARTS = {"format", "version", "sla_due_at", "sla_risk_at", "sla_flags"}
FULL_PARTS |= {"comments", "links", "history"}
"""What a full (JSON Lines) record holds besides a flat record's fields."""


def _service(path: Path, *, demo_tickets: int = 0) -> HelpdeskService:
    repo = SqlRepository.open(str(path / "store" / "helpdesk.db"), path / "attachments")
    service = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, repo.save_agent(ADMIN))
    if demo_tickets:
        service.generate_demo(demo_tickets)
    else:
        demo.seed_agents(repo, ADMIN)  # the agents the demo assigns tickets to
    return service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[HelpdeskService]:
    """A store with the demo's agents and one ticket, so that "unchanged" means something."""
    made = _service(tmp_path / "target")
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"subject": "Already here", "key": "HD-1"}) + "\n")
    transfer.import_file(made, path, "jsonl")
    try:
        yield made
    finally:
        made.close()


def _exported(service: HelpdeskService, fmt: str = "jsonl") -> str:
    out = io.StringIO()
    transfer.export(service, out, fmt)
    return out.getvalue()


def _write(path: Path, fmt: str, records: list[dict[str, object]]) -> Path:
    """`records` as a file of `fmt` the way a person or another tool would write it."""
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif fmt == "json":
        path.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    else:
        columns = list(dict.fromkeys(name for r in records for name in r))
        rows = [",".join(columns)]
        for record in records:
            cells = [str(record.get(name, "")) for name in columns]
            rows.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
        path.write_text("\n".join(rows) + "\n")
    return path


# --- a filled store, out and back in -------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelpdeskService]:
    """Demo tickets (pauses, escalations, scores...) and one record with every field set."""
    made = _service(tmp_path_factory.mktemp("filled"), demo_tickets=40)
    path = tmp_path_factory.mktemp("every") / "every.jsonl"
    path.write_text(json.dumps(EVERY_FIELD) + "\n")
    transfer.import_file(made, path, "jsonl")
    try:
        yield made
    finally:
        made.close()


@pytest.mark.parametrize("fmt", transfer.FORMATS)
def test_a_filled_store_survives_export_and_import_unchanged(
    filled: HelpdeskService, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"all.{fmt}"
    path.write_text(_exported(filled, fmt))
    target = _service(tmp_path / "target")
    assert transfer.import_file(target, path, fmt) == 41
    assert _exported(target, fmt) == _exported(filled, fmt)
    # Every format carries every field a person edits: the flat records agree too.
    assert _exported(target, "json") == _exported(filled, "json")


def test_the_round_trip_carries_every_field(filled: HelpdeskService) -> None:
    # Else the round trip above would prove nothing about the fields left at defaults.
    records = json.loads(_exported(filled, "json"))
    assert set(records[0]) == {*transfer.EXPORTED, "pauses"}
    [every] = [r for r in records if r["key"] == "HD-900"]
    assert every == EVERY_FIELD
    full = [json.loads(line) for line in _exported(filled).splitlines()]
    assert set(full[0]) == {*transfer.EXPORTED, "pauses", *FULL_PARTS}
    assert [{k: r[k] for k in records[0]} for r in full] == records
    assert sum(1 for r in records if r["pauses"]) > 1


# --- empty files -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "text"), [("jsonl", ""), ("jsonl", "\n\n"), ("json", "[]")])
def test_an_empty_list_imports_nothing(
    service: HelpdeskService, tmp_path: Path, fmt: str, text: str
) -> None:
    before = _exported(service)
    path = tmp_path / f"empty.{fmt}"
    path.write_text(text)
    assert transfer.import_file(service, path, fmt) == 0
    assert _exported(service) == before


def test_a_csv_header_alone_imports_nothing(service: HelpdeskService, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("subject,priority\n")
    assert transfer.import_file(service, path, "csv") == 0


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("csv", "empty.csv: a CSV import needs a header with 'subject'"),
        ("json", "empty.json: the file is empty; a JSON import is a list of tickets"),
    ],
)
def test_an_empty_csv_or_json_file_is_refused(
    service: HelpdeskService, tmp_path: Path, fmt: str, message: str
) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_text("  \n")
    with pytest.raises(ImportFormatError) as refused:
        transfer.import_file(service, path, fmt)
    assert str(refused.value) == f"{tmp_path}/{message}"


# --- bad records -------------------------------------------------------------------------------

HUGE = "9" * 5000

# (id, the bad fields as JSON holds them, as a CSV cell holds them, what is wrong:
# the same words for all three formats unless a fourth item gives CSV's own).
BAD: list[tuple[str, dict[str, object], dict[str, object], str, str | None]] = [
    (
        "wrong-type",
        {"description": 5},
        {"pauses": '{"a": 1}'},
        "description: must be text, not a number",
        "pauses: must be a list of [start, end, status]",
    ),
    (
        "bad-enum",
        {"priority": "soon"},
        {"priority": "soon"},
        "priority: 'soon' is not one of 'critical', 'high', 'medium' or 'low'",
        None,
    ),
    (
        "bad-timestamp",
        {"created_at": "yesterday"},
        {"created_at": "yesterday"},
        "created_at: 'yesterday' is not an ISO 8601 date and time",
        None,
    ),
    (
        "timestamp-without-zone",
        {"created_at": "2026-03-01T09:00"},
        {"created_at": "2026-03-01T09:00"},
        "created_at: '2026-03-01T09:00' has no timezone",
        None,
    ),
    (
        "timestamp-as-a-number",
        {"resolved_at": 1772355600},
        {"resolved_at": "1772355600"},
        "resolved_at: must be an ISO 8601 date and time, not a number",
        "resolved_at: '1772355600' is not an ISO 8601 date and time",
    ),
    (
        "unknown-field",
        {"colour": "red"},
        {"colour": "red"},
        "'colour': unknown field",
        None,
    ),
    (
        "misspelt-field",
        {"priorty": "high"},
        {"priorty": "high"},
        "'priorty': unknown field; did you mean priority?",
        None,
    ),
    ("empty-subject", {"subject": ""}, {"subject": ""}, "subject: cannot be empty", None),
    ("blank-subject", {"subject": " \t "}, {"subject": " \t "}, "subject: cannot be empty", None),
    (
        "float-tier",
        {"tier": 1.5},
        {"tier": "1.5"},
        "tier: must be a whole number, not 1.5",
        "tier: must be a whole number, not '1.5'",
    ),
    (
        "bool-tier",
        {"tier": True},
        {"tier": "true"},
        "tier: must be a whole number, not true/false",
        "tier: must be a whole number, not 'true'",
    ),
    (
        "huge-text",
        {"affected_users": HUGE},
        {"affected_users": HUGE},
        f"affected_users: must be a whole number, not '{HUGE[:39]}",
        None,
    ),
    (
        "huge-number",  # read, then refused by the service's rule, as `ticket create` does
        {"affected_users": 10**30},
        {"affected_users": str(10**30)},
        "affected users cannot be more than 1000000000",
        None,
    ),
    (
        "names-not-text",
        {"watchers": ["elin", 7]},
        {"watchers": '["elin", 7]'},
        "watchers, item 2: must be text, not a number",
        None,
    ),
    (
        "bad-pause",
        {"pauses": [["2026-03-01T10:00Z", None, "asleep"]]},
        {"pauses": '[["2026-03-01T10:00Z", null, "asleep"]]'},
        "pauses, item 1, status: 'asleep' is not one of 'new', 'open', 'pending', "
        "'on_hold', 'resolved', 'closed' or 'cancelled'",
        None,
    ),
    (
        "pause-shape",
        {"pauses": [["2026-03-01T10:00Z"]]},
        {"pauses": '[["2026-03-01T10:00Z"]]'},
        "pauses, item 1: each pause is [start, end, status]",
        None,
    ),
]
LINE_OF_THE_SECOND = {"jsonl": "line 2", "json": "line 3 (record 2)", "csv": "line 3"}


@pytest.mark.parametrize("fmt", transfer.FORMATS)
@pytest.mark.parametrize(
    ("bad_json", "bad_csv", "wrong", "wrong_in_csv"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_a_bad_record_is_one_line_naming_line_and_field_and_nothing_is_written(
    service: HelpdeskService,
    tmp_path: Path,
    fmt: str,
    bad_json: dict[str, object],
    bad_csv: dict[str, object],
    wrong: str,
    wrong_in_csv: str | None,
) -> None:
    bad = {"subject": "bad", **(bad_csv if fmt == "csv" else bad_json)}
    good = {"subject": "good", "priority": "low"}
    path = _write(tmp_path / f"in.{fmt}", fmt, [good, bad])
    before = _exported(service)
    with pytest.raises(ImportFormatError) as refused:
        transfer.import_file(service, path, fmt)
    expected = wrong_in_csv if fmt == "csv" and wrong_in_csv else wrong
    assert str(refused.value) == f"{path}, {LINE_OF_THE_SECOND[fmt]}: {expected}"
    assert "\n" not in str(refused.value)
    for jargon in ("pydantic", "Input should", "type=", "http"):
        assert jargon not in str(refused.value)
    assert _exported(service) == before


def test_records_on_one_json_line_are_told_apart(service: HelpdeskService, tmp_path: Path) -> None:
    path = tmp_path / "one-line.json"
    path.write_text(json.dumps([{"subject": "a"}, {"subject": "b", "tier": "x"}]))
    with pytest.raises(ImportFormatError, match=r"one-line\.json, line 1 \(record 2\): tier: "):
        transfer.import_file(service, path, "json")


def test_json_after_the_last_record_is_still_checked(
    service: HelpdeskService, tmp_path: Path
) -> None:
    before = _exported(service)
    path = tmp_path / "tail.json"
    path.write_text('[{"subject": "a"}\n{"subject": "b"}]')
    with pytest.raises(ImportFormatError, match=r"tail\.json, line 2: not valid JSON: expected"):
        transfer.import_file(service, path, "json")
    path.write_text('[{"subject": "a"}] []')
    with pytest.raises(ImportFormatError, match="something follows the list"):
        transfer.import_file(service, path, "json")
    assert _exported(service) == before  # the records read before the error are not kept
    assert transfer.import_file(service, _write(path, "json", [{"subject": "a"}]), "json") == 1


# --- what a CSV cell may say --------------------------------------------------------------------


def test_csv_cells_are_read_as_people_type_them(service: HelpdeskService, tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(
        "key,subject,tier,priority,status,tags,watchers,environment,created_at,affected_users\n"
        'hd-77,Typed by hand, 3 ,P1,On hold,"vpn; urgent ,",,prod, 2026-03-01T09:00+01:00 ,+12\n'
    )
    assert transfer.import_file(service, path, "csv") == 1
    [record] = [json.loads(line) for line in _exported(service).splitlines()][1:]
    assert record["key"] == "HD-77"
    assert record["tier"] == 3 and record["affected_users"] == 12
    assert (record["priority"], record["status"]) == ("critical", "on_hold")
    assert record["tags"] == ["vpn", "urgent"] and record["watchers"] == []
    assert record["environment"] == "production"
    assert record["created_at"] == "2026-03-01T08:00:00+00:00"
    assert record["pauses"] == []


def test_what_ticket_show_adds_to_a_record_is_ignored(
    service: HelpdeskService, tmp_path: Path
) -> None:
    shown = {
        "subject": "From show --json",
        "version": 4,
        "sla": [],
        "history": [],
        "conversation": [],
    }
    path = _write(tmp_path / "shown.jsonl", "jsonl", [shown])
    assert transfer.import_file(service, path, "jsonl") == 1


def test_the_command_line_loads_pydantic_only_to_import() -> None:
    # The app's launch goes through the command line, which imports transfer.py.
    code = (
        "import sys\n"
        "import helpdesk_tui.service, helpdesk_tui.service.transfer, helpdesk_tui.cli.main\n"
        "print(sorted(m for m in ('pydantic', 'sqlmodel') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- spreadsheets and terminals (issue 15, acceptance line 8) -------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1 555 0100",
    "-2+3",
    "@SUM(A1:A9)",
    "'already quoted",
    "plain words",
]


def test_csv_cells_no_spreadsheet_runs_and_import_restores_them(
    service: HelpdeskService, tmp_path: Path
) -> None:
    records = [{"subject": text, "description": text, "category": text} for text in FORMULAS]
    source = _write(tmp_path / "in.jsonl", "jsonl", records)
    transfer.import_file(service, source, "jsonl")
    exported = _exported(service, "csv")
    import csv

    rows = list(csv.DictReader(io.StringIO(exported)))
    mine = {row["subject"]: row for row in rows if row["category"]}
    assert len(mine) == len(FORMULAS)
    for cell, row in mine.items():
        assert not cell.startswith(("=", "+", "-", "@", "\t")), cell
        assert row["description"] == row["subject"] == row["category"]
    assert "plain words" in mine  # nothing else changes
    path = tmp_path / "out.csv"
    path.write_text(exported)
    target = _service(tmp_path / "again")
    transfer.import_file(target, path, "csv")
    back = {t["subject"] for t in map(json.loads, _exported(target).splitlines())}
    assert set(FORMULAS) <= back


def test_export_to_a_terminal_writes_no_escape_sequences_and_a_pipe_gets_them_exact(
    tmp_path: Path,
) -> None:
    import os
    import pty

    hostile = "Invoice \x1b]0;pwned\x07 \x1b[31mred\x1b[0m \x9b2J done"
    data = tmp_path / "data"
    env = {**os.environ, "HELPDESK_TUI_DATA_DIR": str(data), "HELPDESK_AGENT": "root"}
    env.pop("HELPDESK_TUI_CONFIG", None)
    base = [sys.executable, "-m", "helpdesk_tui"]
    made = subprocess.run(
        [*base, "ticket", "create", "--subject", hostile], env=env, capture_output=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    export = [*base, "export", "-", "--format", "csv"]
    piped = subprocess.run(export, env=env, capture_output=True, timeout=120)
    assert hostile.encode() in piped.stdout  # a pipe or a file: the exact text

    leader, follower = pty.openpty()
    with subprocess.Popen(export, env=env, stdout=follower, stderr=subprocess.PIPE) as shown:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert shown.wait(timeout=120) == 0
    os.close(leader)
    out = b"".join(chunks).decode()
    assert "Invoice" in out and "done" in out
    assert not any(ch in out for ch in ("\x1b", "\x07", "\x9b")), repr(out)


# --- what a parser reads but the store cannot hold --------------------------------------------

# (id, the record's JSON text, what is wrong): each on the second line of a JSON Lines file.
REFUSED: list[tuple[str, str, str]] = [
    ("key-twice", '{"subject": "a", "subject": "b"}', "'subject' comes twice in one object"),
    (
        "foreign-prefix",
        '{"subject": "a", "key": "XX-5"}',
        "key XX-5 is not one of this store's (HD-...)",
    ),
    (
        "merged-into-nowhere",
        '{"subject": "a", "merged_into": "HD-404"}',
        "merged_into names HD-404, which is neither in the import nor in the store",
    ),
    (
        "merged-into-itself",
        '{"subject": "a", "key": "HD-7", "merged_into": "HD-7"}',
        "merged_into: HD-7 is this ticket itself",
    ),
    (
        "unknown-watcher",
        '{"subject": "a", "watchers": ["elin", "nobody"]}',
        "watchers: no agent called 'nobody'",
    ),
    (
        "status-null",
        '{"subject": "a", "status": null}',
        "status: cannot be null; leave it out for the default (new)",
    ),
    ("tags-as-text", '{"subject": "a", "tags": "a,b"}', "tags: must be a list, not text"),
    (
        "pauses-as-text",
        '{"subject": "a", "pauses": "[]"}',
        "pauses: must be a list, not text",
    ),
]


@pytest.mark.parametrize(
    ("text", "wrong"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_a_record_the_store_cannot_hold_is_refused_and_nothing_is_written(
    service: HelpdeskService, tmp_path: Path, text: str, wrong: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"subject": "good", "key": "HD-8"}) + "\n" + text + "\n")
    before = _exported(service)
    with pytest.raises(ImportFormatError) as refused:
        transfer.import_file(service, path, "jsonl")
    assert str(refused.value) == f"{path}, line 2: {wrong}"
    assert _exported(service) == before


def test_a_ticket_may_name_one_later_in_the_file(service: HelpdeskService, tmp_path: Path) -> None:
    records = [
        {"subject": "dup", "key": "HD-10", "merged_into": "HD-11", "follow_up_of": "HD-1"},
        {"subject": "kept", "key": "HD-11"},
    ]
    path = _write(tmp_path / "named.json", "json", records)
    assert transfer.import_file(service, path, "json") == 2
    [dup] = [r for r in json.loads(_exported(service, "json")) if r["key"] == "HD-10"]
    assert (dup["merged_into"], dup["follow_up_of"]) == ("HD-11", "HD-1")


def test_a_csv_cell_may_still_list_names_as_text(service: HelpdeskService, tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text('subject,tags,watchers\nTyped,"a,b",elin\n')
    assert transfer.import_file(service, path, "csv") == 1
    [record] = [json.loads(line) for line in _exported(service).splitlines()][1:]
    assert (record["tags"], record["watchers"]) == (["a", "b"], ["elin"])
