"""RtConfig: where RT is and how its queues and statuses map to ours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ...domain.model import Role
from ..base import InvalidInput


@dataclass(frozen=True, slots=True)
class RtConfig:
    """Where RT is and how its queues and statuses map to ours."""

    url: str
    queues: Mapping[str, int]
    """RT queue name → tier (1-3); the first queue of a tier is where that tier's tickets go."""
    key_prefix: str = "RT"
    lifecycle: str = "helpdesk"
    """"helpdesk" (our seven statuses configured in RT) or "default" (RT's stock one)."""
    verify_tls: bool = True
    timeout: float = 15.0
    cache_seconds: float = 30.0
    """How long a search result may be served again without asking RT; any change seen
    through `change_token` (which the queue polls) or made here drops it sooner."""
    session_seconds: float = 600.0
    """How long the RT web session that reads go through is used before the token logs
    in again (RT checks a token with bcrypt, about 0.2 s a request; a session cookie
    costs nothing). 0: no session, the token on every request."""
    parallel_requests: int = 2
    """How many requests at most one queue page sends to RT at once. RT serves each in a
    worker process of its own and spends ~10 ms of CPU a ticket on its custom fields, so
    a page takes about 1/n of the time on a server with n cores to spare; more requests
    than RT's cores cost it more in all (each search is counted and planned again)."""
    agents: Mapping[str, tuple[int, Role]] = field(default_factory=dict)
    """Tier and role of RT users (default tier 3, agent); each named user is an agent."""
    agent_groups: tuple[str, ...] = ()
    """RT user-defined groups whose privileged members (nested groups followed) are the
    helpdesk's agents, beside the users named in `agents`."""
    cache_dir: Path | None = None
    """Where downloaded attachments are kept (folders 0700, files 0600); None: a private
    temporary folder, removed when the repository is closed."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"backend.url: expected an http(s) URL of RT, got {self.url!r:.80}")
        if parts.password or parts.username:
            raise InvalidInput("backend.url: must not hold a user or password")
        if not self.queues:
            raise InvalidInput("backend.rt.queues: name at least one RT queue and its tier")
        for name, tier in self.queues.items():
            if tier not in (1, 2, 3):
                raise InvalidInput(f"backend.rt.queues.{name}: tier must be 1, 2 or 3")
        if self.lifecycle not in ("helpdesk", "default"):
            raise InvalidInput(
                f"backend.rt.lifecycle: expected 'helpdesk' or 'default', got {self.lifecycle!r}"
            )
        if not 0 <= self.session_seconds <= 86400:
            raise InvalidInput("backend.rt.session_seconds: expected 0-86400 seconds")
        if not 1 <= self.parallel_requests <= 16:
            raise InvalidInput("backend.rt.parallel_requests: expected 1-16")
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", self.key_prefix):
            raise InvalidInput(f"key prefix must be 1-10 capitals/digits, not {self.key_prefix!r}")

    @property
    def host(self) -> str:
        """The server as people name it in messages: scheme, host and port, no path."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"
