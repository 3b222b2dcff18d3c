"""Shared fixtures: a frozen clock, an isolated data dir, real stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

FROZEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
"""A Wednesday inside business hours: the clock every test and snapshot sees."""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Nothing a test does touches the real user's data, config or keyring."""
    data = tmp_path / "data"
    monkeypatch.setenv("HELPDESK_TUI_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HELPDESK_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HELPDESK_TUI_CONFIG", raising=False)
    monkeypatch.delenv("HELPDESK_AGENT", raising=False)
    monkeypatch.setenv("HELPDESK_TUI_NOW", FROZEN.isoformat())
    # English unless a test asks for another language: the locale picks the UI's.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.chdir(tmp_path)
    yield data


# -- real stores ------------------------------------------------------------------
# Every backend test runs against SQLite (a file in tmp_path) and, when the environment
# variable HELPDESK_TEST_PG_URL names a PostgreSQL database, against PostgreSQL too
# (each test in a schema of its own, dropped afterwards). Without the variable the
# PostgreSQL cases are skipped, unless HELPDESK_REQUIRE_PG=1 (CI) makes that a failure.

PG_URL = os.environ.get("HELPDESK_TEST_PG_URL")

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EVERY_STORE = pytest.mark.parametrize("backend", [*BACKENDS, "rt"], indirect=True)
"""A module's `pytestmark` that runs its tests on Request Tracker as well (its `repo`
fixture then serves "rt" from tests/store/rt_server.py)."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: "sqlite" always, "postgres" when configured."""
    name = str(request.param)
    if name == "postgres" and not PG_URL:
        if os.environ.get("HELPDESK_REQUIRE_PG") == "1":
            pytest.fail("HELPDESK_REQUIRE_PG=1 but no PostgreSQL: HELPDESK_TEST_PG_URL is unset")
        pytest.skip("set HELPDESK_TEST_PG_URL to run the PostgreSQL cases")
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the backend under test."""
    yield from empty_database(backend, tmp_path / "store")


def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """A URL to an empty database of `backend`: a file in `folder`, or a PostgreSQL
    schema of its own, dropped afterwards."""
    if backend == "sqlite":
        yield str(folder / "helpdesk.db")
        return
    assert PG_URL is not None
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_psycopg(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(_psycopg(PG_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
