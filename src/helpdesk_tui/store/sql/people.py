"""Agents and teams."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.model import Agent, AuditEntry, Team
from ..base import AdminRecord, NotFound
from ..validation import check_int, check_opt_str, check_role, check_str, check_strs
from .engine import dialect_insert
from .logins import provision
from .rows import agent_from_row, dump_strs
from .tables import agents, audit, teams
from .transactions import SqlTransactions


class PeopleStore(SqlTransactions):
    """The store's agents and teams."""

    def agents(self) -> list[Agent]:
        """Every agent, by username."""
        with self._read_transaction() as conn:
            rows = conn.execute(sa.select(agents).order_by(agents.c.username)).all()
        return [agent_from_row(r) for r in rows]

    def get_agent(self, username: str) -> Agent:
        """One agent; NotFound if unknown."""
        with self._read_transaction() as conn:
            row = conn.execute(sa.select(agents).where(agents.c.username == username)).first()
        if row is None:
            raise NotFound(f"no agent {username}")
        return agent_from_row(row)

    def save_agent(self, agent: Agent, record: AdminRecord | None = None) -> Agent:
        """Insert or replace an agent (keyed by username), with `record` audited."""
        role = check_role("role", agent.role).value
        values = {
            "username": check_str("username", agent.username),
            "name": check_str("name", agent.name),
            "email": check_str("email", agent.email),
            "tier": check_int("tier", agent.tier),
            "role": role,
            "team": check_opt_str("team", agent.team),
            "organizations": dump_strs(check_strs("organizations", agent.organizations)),
            "active": bool(agent.active),
            "db_role": check_opt_str("db_role", agent.db_role),
        }
        with self._write_transaction() as conn:
            self._upsert(conn, agents, values, "username")
            if not self._sqlite:
                # The agent's own login follows its row, in the same transaction.
                provision(conn, agent.username, agent.db_role, role, agent.active)
            self._record(conn, record)
            self._bump(conn)
        return replace(agent, organizations=tuple(agent.organizations))

    def teams(self) -> list[Team]:
        """Every team, by name."""
        with self._read_transaction() as conn:
            rows = conn.execute(sa.select(teams.c.name, teams.c.description).order_by(teams.c.name))
            return [Team(name=r[0], description=r[1]) for r in rows]

    def save_team(self, team: Team, record: AdminRecord | None = None) -> Team:
        """Insert or replace a team (keyed by name), with `record` audited."""
        values = {
            "name": check_str("name", team.name),
            "description": check_str("description", team.description),
        }
        with self._write_transaction() as conn:
            self._upsert(conn, teams, values, "name")
            self._record(conn, record)
            self._bump(conn)
        return team

    def admin_history(self, limit: int = 200) -> list[AuditEntry]:
        """The changes to agents and teams, newest first."""
        c = audit.c
        with self._read_transaction() as conn:
            rows = conn.execute(
                sa.select(c.at, c.actor, c.field, c.old, c.new, c.login)
                .where(c.ticket_key.is_(None))
                .where(sa.or_(c.field.startswith("agent:"), c.field.startswith("team:")))
                .order_by(c.id.desc())
                .limit(limit)
            )
            return [AuditEntry("", *r[:5], login=r[5]) for r in rows]

    def _upsert(self, conn: Connection, table: sa.Table, values: dict[str, Any], key: str) -> None:
        stmt = dialect_insert(not self._sqlite)(table).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[key], set_={k: stmt.excluded[k] for k in values if k != key}
        )
        conn.execute(stmt)
