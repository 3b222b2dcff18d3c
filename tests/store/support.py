"""Small helpers shared by the store tests: a change and the messages an agent writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.domain.model import Agent, Comment, CommentKind, Role, Ticket
from helpdesk_tui.store.base import Capability, Change, TicketRepository
from helpdesk_tui.store.sql import SqlRepository

from .conftest import NOW

ME = "me"
"""The acting agent; "bob", "carol" and "dave" are agents too (RT users on RT)."""


def change(ticket: Ticket, minutes: int = 5, **kw: Any) -> Change:
    """A change based on `ticket`'s version, by "me", `minutes` after NOW."""
    return Change(
        key=ticket.key,
        base_version=ticket.version,
        actor=ME,
        at=NOW + timedelta(minutes=minutes),
        **kw,
    )


def note(body: str, minutes: int = 5) -> Comment:
    """An internal note by "me"."""
    return Comment(CommentKind.NOTE, ME, body, NOW + timedelta(minutes=minutes))


def reply(body: str, author: str = ME, from_customer: bool = False) -> Comment:
    """A public reply, by "me" unless `author` says who."""
    return Comment(CommentKind.REPLY, author, body, NOW, from_customer)


def open_store(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    agents: Mapping[str, tuple[int, Role]] | None = None,
) -> TicketRepository:
    """A fresh store of `backend`: a database of its own (the `store_url` fixture), or
    queues of its own on the session's RT (`rt_server`), with `agents` as its agents (on
    RT they are users already: `agents` gives them their tiers and roles)."""
    if backend == "rt":
        server = request.getfixturevalue("rt_server")
        extra = {"agents": dict(agents)} if agents else {}
        repository: TicketRepository = server.repository(cache_dir=tmp_path / "cache", **extra)
        return repository
    sql = SqlRepository.open(request.getfixturevalue("store_url"), tmp_path / "attachments")
    for name, (tier, role) in (agents or {}).items():
        sql.save_agent(Agent(name, name.title(), f"{name}@helpdesk.test", tier, role))
    return sql


AGENT_PASSWORD = "correct horse battery staple"
"""The password of every agent's own PostgreSQL login in the tests (`open_as`)."""


def agent_url(store_url: str, agent: str) -> str:
    """The store's URL signed in as `agent`'s own login on PostgreSQL (its password is
    AGENT_PASSWORD, given apart: the app refuses one in the URL); a SQLite URL as it is."""
    if not store_url.startswith("postgresql"):
        return store_url
    url = sa.make_url(store_url)
    return url.set(username=agent).render_as_string(hide_password=False)


def open_as(owner: TicketRepository, store_url: str, agent: str, tmp_path: Path) -> SqlRepository:
    """The store as `agent` signs in to it on PostgreSQL: their own login, its password
    set by `owner` (the migrating login), under the database's grants and row-level
    security."""
    assert Capability.LOGINS in owner.capabilities
    owner.set_agent_password(agent, AGENT_PASSWORD)
    url = sa.make_url(agent_url(store_url, agent)).set(password=AGENT_PASSWORD)
    return SqlRepository.open(url, tmp_path / "attachments")
