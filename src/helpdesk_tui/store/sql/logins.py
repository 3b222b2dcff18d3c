"""Who is signed in: a PostgreSQL role of the agent's own, or the OS user of a SQLite file.

On PostgreSQL the database decides (migration 0004): `session_user` is the login, the
agent is the one mapped to it, row-level security scopes what it reads and writes, and
the history's `login` column is filled and checked by the database. An agent's login is
made and put in its role's group by `helpdesk_provision()`, in the same transaction as
the agent's row, and its password is sent as a SCRAM verifier, never in clear (a server
logging statements would otherwise keep it).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.model import Agent
from ..base import AdminRecord, InvalidInput, Login, NotFound
from .engine import is_memory
from .tables import agents
from .transactions import SqlTransactions

SCRAM_ITERATIONS = 4096
"""PostgreSQL's own default for a password it hashes."""


class LoginStore(SqlTransactions):
    """The signed-in login, and the agents' own logins on PostgreSQL."""

    def authenticated_login(self) -> Login | None:
        """PostgreSQL: the session's role and the agent mapped to it. SQLite: the OS user,
        who owns the file (it is made owner-only) and so may act as any of its agents."""
        if self._sqlite:
            if is_memory(self._engine.url):
                return None
            return Login(getpass.getuser(), None, acts_for_others=True)
        with self._read_transaction() as conn:
            name, agent, role = conn.execute(
                sa.text("SELECT session_user, helpdesk_me(), helpdesk_role()")
            ).one()
        return Login(str(name), agent, acts_for_others=role == "admin")

    def sign_as(self, login: str, agent: str) -> None:
        """SQLite: write `login` into each history entry `agent` writes from now on (not
        into what others do meanwhile: a first run's demo tickets, a customer's reply).
        PostgreSQL records `session_user` itself and refuses any other name."""
        if self._sqlite:
            self._signed_as = (login, agent)

    @contextmanager
    def unsigned(self) -> Iterator[None]:
        """Inside it, no login is written into the history (`sign_as`)."""
        signed, self._signed_as = self._signed_as, None
        try:
            yield
        finally:
            self._signed_as = signed

    def set_agent_password(
        self, username: str, password: str, record: AdminRecord | None = None
    ) -> None:
        """Set the password of the agent's own PostgreSQL login (an admin's login only),
        with `record` audited."""
        if self._sqlite:
            raise InvalidInput("a local file has no logins: its OS user is who signs in")
        if not password:
            raise InvalidInput("the password is empty")
        with self._write_transaction() as conn:
            row = conn.execute(sa.select(agents).where(agents.c.username == username)).first()
            if row is None:
                raise NotFound(f"no agent {username}")
            provision(conn, row.username, row.db_role, row.role, row.active, password)
            self._record(conn, record)


def provision(
    conn: Connection,
    username: str,
    db_role: str | None,
    role: str,
    active: bool,
    password: str | None = None,
) -> None:
    """Make or map the agent's PostgreSQL login, in the group of its role (none while it
    is deactivated); with `password`, set it. The database checks the caller is an admin."""
    verifier = None if password is None else scram_verifier(password)
    conn.execute(
        sa.text("SELECT helpdesk_provision(:agent, :login, :role, :active, :verifier)"),
        {
            "agent": username,
            "login": db_role or username,
            "role": role,
            "active": active,
            "verifier": verifier,
        },
    )


def login_of(agent: Agent) -> str:
    """The database login `agent` signs in with."""
    return agent.db_role or agent.username


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, RFC 7677),
    as libpq's PQencryptPasswordConn makes it: the server never sees the password."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
