"""Customers' data stays its owner's (issue 15, acceptance lines 4 and 7): the data
folder, the store, its journal, attachments and drafts are created 0700/0600 whatever
the umask, and what an earlier run left readable is tightened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk_tui.settings.private import private_dir, private_file
from helpdesk_tui.store.base import NewAttachment
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.drafts import Drafts
from tests.store.conftest import make_ticket
from tests.store.support import change, note


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask most systems start with: files 0644, folders 0755."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_the_store_its_files_and_drafts_are_private_under_umask_022(
    tmp_path: Path, open_umask: None
) -> None:
    data = tmp_path / "data"
    repo = SqlRepository.open(str(data / "store" / "helpdesk.db"), data / "attachments")
    try:
        source = tmp_path / "log.txt"
        source.write_text("gateway timed out\n")
        ticket = repo.create(make_ticket(), actor="alex")
        repo.apply(
            change(ticket, comment=note("the log"), attachments=[NewAttachment("log.txt", source)])
        )
    finally:
        repo.close()
    Drafts(data / "drafts").save(ticket.key, "reply", "Dear customer")
    made = [p for p in data.rglob("*")]
    assert any(p.name == "helpdesk.db" for p in made)
    assert any(p.name.endswith("log.txt") for p in made)
    assert any(p.parent.name == "drafts" or "drafts" in p.parts for p in made)
    loose = {str(p.relative_to(data)): oct(mode(p)) for p in made if mode(p) & 0o077}
    assert loose == {}
    assert mode(data / "store") == 0o700


def test_what_an_earlier_run_left_readable_is_tightened(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    (folder / "helpdesk.db").write_text("")
    os.chmod(folder / "helpdesk.db", 0o644)
    private_dir(folder)
    private_file(folder / "helpdesk.db")
    assert (mode(folder), mode(folder / "helpdesk.db")) == (0o700, 0o600)
    private_file(folder / "missing.db")  # nothing to tighten: no error


def test_a_file_named_as_the_data_folder_is_left_as_it_is(tmp_path: Path, open_umask: None) -> None:
    # A data folder set to a file (it happened with /etc/passwd, which then no other
    # user could read): the entry point refuses it in one line and changes nothing.
    shared = tmp_path / "passwd"
    shared.write_text("root:x:0:0::/root:/bin/sh\n")
    os.chmod(shared, 0o644)
    private_dir(shared)
    (tmp_path / "folder").mkdir(mode=0o755)
    private_file(tmp_path / "folder")
    assert (mode(shared), mode(tmp_path / "folder")) == (0o644, 0o755)
    env = {**os.environ, "HELPDESK_TUI_DATA_DIR": str(shared), "HELPDESK_AGENT": "root"}
    env.pop("HELPDESK_TUI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_tui", "ticket", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert mode(shared) == 0o644


def test_the_entry_point_writes_nothing_others_can_read(tmp_path: Path) -> None:
    env = {**os.environ, "HELPDESK_TUI_DATA_DIR": str(tmp_path / "data"), "HELPDESK_AGENT": "root"}
    env.pop("HELPDESK_TUI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_tui", "ticket", "create", "--subject", "VPN drops"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    made = list((tmp_path / "data").rglob("*"))
    assert made
    loose = {str(p): oct(mode(p)) for p in [tmp_path / "data", *made] if mode(p) & 0o077}
    assert loose == {}


def test_no_message_names_a_password_from_the_url() -> None:
    from helpdesk_tui.store.sql.engine import describe

    for url in (
        "postgresql+psycopg://alex:hunter2@db:5432/helpdesk",
        "postgresql+psycopg://alex@db/helpdesk?sslmode=require&password=hunter2",
        "postgresql+psycopg://alex@db/helpdesk?sslpassword=hunter2&application_name=hd",
    ):
        said = describe(url)
        assert "hunter2" not in said and said.startswith("postgresql+psycopg://alex")
    assert describe("postgresql://a@db/x?application_name=hd").endswith("application_name=hd")


def test_a_database_put_in_a_shared_or_existing_folder_leaves_the_folder_alone(
    tmp_path: Path, open_umask: None
) -> None:
    # /tmp-like (sticky, world-writable) and an ordinary folder the user chose: the app
    # makes its files private, never the folder it was given (as root, chmod would work).
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    chosen = tmp_path / "srv"
    chosen.mkdir(mode=0o755)
    for folder in (shared, chosen):
        before = mode(folder)
        SqlRepository.open(str(folder / "helpdesk.db"), tmp_path / f"{folder.name}-files").close()
        assert mode(folder) == before, folder
        assert mode(folder / "helpdesk.db") == 0o600
    private_dir(shared)  # even asked outright, a sticky folder stays open
    assert mode(shared) == 0o1777
