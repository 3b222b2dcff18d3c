"""Shared fixtures: a frozen clock, an isolated data dir, real stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

FROZEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
"""A Wednesday inside business hours: the clock every test and snapshot sees."""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Nothing a test does touches the real user's data, config or keyring."""
    data = tmp_path / "data"
    monkeypatch.setenv("HELPDESK_TUI_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("HELPDESK_TUI_CONFIG", raising=False)
    monkeypatch.delenv("HELPDESK_AGENT", raising=False)
    monkeypatch.setenv("HELPDESK_TUI_NOW", FROZEN.isoformat())
    monkeypatch.chdir(tmp_path)
    yield data


def pg_url() -> str | None:
    return os.environ.get("HELPDESK_TEST_PG_URL")
