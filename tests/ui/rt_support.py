"""The app on a real Request Tracker 5: settings, service and RT helpers for the UI tests.

The RT itself is tests/store/rt_server.py's session fixture `rt_server` (re-exported here
for the test modules to import): Debian's RT on a free loopback port, skipped when RT is
not installed and a failure instead when HELPDESK_REQUIRE_RT=1. Each test gets three fresh
queues of its own, so it sees only the tickets it made. `rt_proxy` puts a real HTTP proxy
in front of that RT, which a test makes fail (401, 403, 5xx, garbage, slowness, a closed
port) to see how the app takes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.domain.model import parse_key
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.settings.config import TOKEN_ENV, RtSettings, Settings
from helpdesk_tui.store.rt import RtRepository
from helpdesk_tui.ui.app import HelpdeskApp
from tests.store.rt_server import AGENT_GROUP, RtProxy, RtServer, answer, rt_server, stall

__all__ = [
    "AGENT",
    "PREFIX",
    "RtProxy",
    "RtServer",
    "answer",
    "make_rt_app",
    "rt_id",
    "rt_proxy",
    "rt_queues",
    "rt_server",
    "rt_settings",
    "seed_tickets",
    "stall",
]

AGENT = "me"
"""A privileged RT user the fixture created: the acting agent."""
PREFIX = "SUP"
"""Not the default "HD": the keys on screen must come from the config."""


@pytest.fixture
def rt_queues(rt_server: RtServer) -> dict[str, int]:
    """Three fresh RT queues (tiers 1-3): this test's tickets and nobody else's."""
    return rt_server.create_queues()


@pytest.fixture
def rt_settings(
    rt_server: RtServer,
    rt_queues: dict[str, int],
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """Settings as load_settings() builds them for `[backend] kind = "rt"`; the token
    comes the way a headless host gives it: $HELPDESK_TOKEN."""
    monkeypatch.setenv(TOKEN_ENV, rt_server.token_for(AGENT))  # the agent is the token's user
    return Settings(
        data_dir=isolated_env,
        agent=AGENT,
        backend_kind="rt",
        backend_url=rt_server.url,
        key_prefix=PREFIX,
        cursor_blink=False,
        rt=RtSettings(queues=dict(rt_queues), agent_groups=(AGENT_GROUP,)),
    )


@pytest.fixture
def rt_proxy(rt_server: RtServer) -> Iterator[RtProxy]:
    """A real proxy in front of the test RT (see RtProxy: its hooks make it fail)."""
    proxy = RtProxy(rt_server.url)
    try:
        yield proxy
    finally:
        proxy.close()


def make_rt_app(settings: Settings) -> HelpdeskApp:
    """Exactly what the entry point does: bootstrap's service and views, then the app."""
    repo = bootstrap.open_repository(settings)
    assert isinstance(repo, RtRepository)
    service = bootstrap.build_service(settings, repo)
    return HelpdeskApp(service, settings, bootstrap.views(settings), oncall=False)


def seed_tickets(service: HelpdeskService, count: int = 3, **draft: Any) -> list[str]:
    """Create `count` tickets in RT through the service; returns their keys."""
    keys = []
    for n in range(1, count + 1):
        ticket = service.create(
            TicketDraft(
                subject=f"RT flow ticket {n}: VPN drops every hour",
                description="The tunnel drops at the top of every hour since Monday.",
                requester_name="Ada Customer",
                requester_email=f"ada{n}@example.com",
                organization="acme",
                **draft,
            )
        )
        keys.append(ticket.key)
    return keys


def rt_id(key: str) -> int:
    """The RT ticket id behind a key (SUP-42 → 42)."""
    prefix, number = parse_key(key)
    assert prefix == PREFIX, key
    return number
