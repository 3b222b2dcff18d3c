"""Fixtures for the SQL store tests: an open repository on each backend (`store_url`,
from tests/conftest.py) and plausible tickets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.store.sql import SqlRepository


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    """An open, empty repository (schema at head)."""
    repository = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        yield repository
    finally:
        repository.close()


NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


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
