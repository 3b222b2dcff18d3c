"""The app on a real SQLite store filled with deterministic demo tickets."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service import demo
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from tests.conftest import FROZEN

ME = "alex"
DEMO_TICKETS = 60


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo store per test session (seeded, frozen clock): copied for each test."""
    folder = tmp_path_factory.mktemp("demo-template")
    repo = SqlRepository.open(folder / "helpdesk.db", folder / "attachments")
    repo.save_agent(Agent(ME, "Alex Rivera", "alex@helpdesk.example", 2, Role.LEAD, "Platform"))
    demo.generate(repo, bootstrap.load_policy("default"), FROZEN, ME, DEMO_TICKETS, seed=7)
    repo.close()
    return folder


AppFactory = Callable[..., HelpdeskApp]


@pytest.fixture
def data_dir(tmp_path: Path, demo_template: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def make_app(data_dir: Path) -> AppFactory:
    def make(agent: str = ME, *, oncall: bool = False, **overrides: object) -> HelpdeskApp:
        settings = Settings(data_dir=data_dir, agent=agent, cursor_blink=False, **overrides)  # type: ignore[arg-type]
        service = bootstrap.build_service(settings)
        return HelpdeskApp(service, settings, bootstrap.views(settings), oncall=oncall)

    return make


@pytest.fixture
def store(data_dir: Path) -> Iterator[SqlRepository]:
    """The apps' store, opened by the test itself: to set up and check what is stored
    (the apps hold only their service)."""
    repo = SqlRepository.open(data_dir / "helpdesk.db", data_dir / "attachments")
    yield repo
    repo.close()
