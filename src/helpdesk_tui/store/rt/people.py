"""RtPeople: the helpdesk's agents among RT's users, and its teams."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...domain.model import Agent, Role, Team
from ..base import NotFound, StoreUnavailable
from .client import expect_list
from .mapping import ref_id
from .session import RtSession


class RtPeople:
    """Agents are privileged RT users named in the config or found in its agent groups."""

    def __init__(self, session: RtSession) -> None:
        self._client = session.client
        self._config = session.config

    def _agent_from(self, data: Mapping[str, Any]) -> Agent:
        name = str(data.get("Name", ""))
        tier, role = self._config.agents.get(name, (3, Role.AGENT))
        return Agent(
            username=name,
            name=str(data.get("RealName") or name),
            email=str(data.get("EmailAddress") or ""),
            tier=tier,
            role=role,
            active=str(data.get("Disabled", "0")) in ("0", ""),
        )

    def agents(self) -> list[Agent]:
        """The privileged RT users named in [backend.rt.agents] or found in the groups of
        [backend.rt] agent_groups, with tier and role from the former.

        RT's own Privileged group is out of REST2's reach since 5.0.3+dfsg-3~deb12u7
        (CVE-2026-108353: /groups and /group/N serve user-defined groups only), so the
        helpdesk's agents are named where RT lets a token read them: a group's members
        need SeeGroup on the group, a user's privilege is on the user's own record."""
        names = set(self._config.agents)
        for group in self._config.agent_groups:
            names |= self._group_users(group)
        found = []
        for name in sorted(names):
            try:
                found.append(self.get_agent(name))
            except NotFound:
                continue  # gone, or not privileged: not an agent
        return found

    def _group_users(self, name: str) -> set[str]:
        """The users in the user-defined group `name`, through nested groups."""
        groups = self._client.json(
            self._client.request(
                "POST", "groups", params={"fields": "Name"}, body=[{"field": "Name", "value": name}]
            )
        )
        matches = [g for g in expect_list(groups, "items", self._config.host) if "id" in g]
        if not matches:
            raise StoreUnavailable(
                f"RT at {self._config.host} has no group {name!r} that the token's user may "
                "see (SeeGroup); fix [backend.rt] agent_groups"
            )
        users: set[str] = set()
        pending, seen = [str(matches[0]["id"])], set()
        while pending:
            group_id = pending.pop()
            if group_id in seen:
                continue
            seen.add(group_id)
            for member in self._client.get_json(f"group/{group_id}").get("Members") or []:
                ref = ref_id(member)
                if ref is None:
                    continue
                if isinstance(member, dict) and member.get("type") == "group":
                    pending.append(ref)
                else:
                    users.add(ref)
        return users

    def get_agent(self, username: str) -> Agent:
        if not re.fullmatch(r"[^/\s]{1,200}", username):
            raise NotFound(f"no agent {username!r:.40}")
        try:
            data = self._client.get_json(f"user/{username}")
        except NotFound:
            raise NotFound(f"no agent {username!r:.40} in RT") from None
        if str(data.get("Privileged", "0")) != "1":
            raise NotFound(f"{username!r:.40} is not a privileged RT user")
        return self._agent_from(data)

    def teams(self) -> list[Team]:
        return sorted({Team(t) for t in self._config_teams()}, key=lambda t: t.name)

    def _config_teams(self) -> list[str]:
        return []
