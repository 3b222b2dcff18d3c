"""Fixtures for the SQL store tests: real databases, no mocks.

Every repository test runs against SQLite (a file in tmp_path) and, when the
environment variable HELPDESK_TEST_PG_URL names a PostgreSQL database, against
PostgreSQL too (each test in a schema of its own, dropped afterwards). Without the
variable the PostgreSQL cases are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.store.sql import SqlRepository

PG_URL = os.environ.get("HELPDESK_TEST_PG_URL")
NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


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
    if backend == "sqlite":
        yield str(tmp_path / "store" / "helpdesk.db")
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


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    """An open, empty repository (schema at head)."""
    repository = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        yield repository
    finally:
        repository.close()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def make_ticket(n: int = 1, **changes: Any) -> Ticket:
    """A plausible ticket; `n` varies the timestamps so sorts have something to sort."""
    created = NOW - timedelta(hours=n)
    base = Ticket(
        key="",
        subject=f"Ticket number {n}",
        description="Something is broken",
        requester_name="Ada Customer",
        requester_email="ada@example.com",
        organization="acme",
        created_at=created,
        updated_at=created,
    )
    return base.with_changes(**changes)
