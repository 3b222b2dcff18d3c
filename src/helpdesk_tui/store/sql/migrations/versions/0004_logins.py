"""Logins: who is signed in to the database is the agent, and PostgreSQL enforces scope.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

On both dialects: `agents.db_role` maps an agent to a database login of another name
(NULL: the login is named as the agent), and `audit.login` records who was signed in
when it differs from the actor ("julia as ivan").

On PostgreSQL only (docs/backends-sql.md says what each grant is for):

- Three group roles, made once per cluster: `helpdesk_agent`, `helpdesk_lead` (a member
  of it) and `helpdesk_admin` (a member of both), granted what each may do to this
  schema's tables. An agent's login is a member of the group of its role.
- Row-level security on the tickets and everything hanging off them: a login sees the
  tickets of the organizations its agent serves (all of them for an admin or an agent
  listing none), and the comments, files, watchers, mail and history of those only.
  The table owner and superusers are not subject to it (the migrating login).
- `audit.login` defaults to `session_user`, and a row whose login is anybody else's is
  refused: the history says who was signed in, and nobody can write it for another.
- `helpdesk_search()`: the full-text search's matching ticket ids, under the same rule
  the policy states. Row-level security evaluates a policy before any condition that is
  not leakproof, and `@@` is not: under the policy a search could not use its GIN index
  and read every row (0.8 ms → 111 ms on 200,000 tickets). The function runs as the
  owner, uses the index, and applies the rule itself.
- `helpdesk_provision()`: what `agent add` and `agent update` call to create or map the
  agent's login and set its group; only an admin's login (or a superuser) may run it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GROUPS = ("helpdesk_agent", "helpdesk_lead", "helpdesk_admin")
SCOPED = ("tickets", "comments", "attachments", "ticket_watchers", "mail", "audit")

# The signed-in agent's row, as the functions below read it.
_ME = "agents WHERE coalesce(db_role, username) = session_user AND active"

_FUNCTIONS = f"""
CREATE FUNCTION helpdesk_me() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT username FROM {_ME} ORDER BY username LIMIT 1
$$;

CREATE FUNCTION helpdesk_sees_all() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT coalesce((
    SELECT role = 'admin' OR json_array_length(organizations::json) = 0
    FROM {_ME} ORDER BY username LIMIT 1), false)
$$;

CREATE FUNCTION helpdesk_organizations() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT coalesce((
    SELECT array(SELECT json_array_elements_text(organizations::json))
    FROM {_ME} ORDER BY username LIMIT 1), '{{{{}}}}')
$$;

CREATE FUNCTION helpdesk_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT CASE
    WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
      OR pg_has_role(session_user, (SELECT relowner FROM pg_class
                                    WHERE oid = 'agents'::regclass), 'MEMBER') THEN 'admin'
    ELSE (SELECT role FROM {_ME} ORDER BY username LIMIT 1) END
$$;

CREATE FUNCTION helpdesk_search(words text) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT id FROM tickets
  WHERE search_vector @@ to_tsquery('simple'::regconfig, words)
    AND ((SELECT helpdesk_role()) = 'admin' OR (SELECT helpdesk_sees_all())
         OR organization = ANY ((SELECT helpdesk_organizations())::text[]))
$$;

CREATE FUNCTION helpdesk_provision(
  agent_name text, login_name text, agent_role text, is_active boolean, verifier text
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
DECLARE
  existing pg_roles%ROWTYPE;
  ours boolean;
  other text;
BEGIN
  IF coalesce(helpdesk_role(), '') <> 'admin' THEN
    RAISE EXCEPTION 'only an admin''s login may create or change agents'' logins'
      USING ERRCODE = '42501';
  END IF;
  IF agent_role NOT IN ('agent', 'lead', 'admin') THEN
    RAISE EXCEPTION 'no such role: %', agent_role USING ERRCODE = '22023';
  END IF;
  SELECT username INTO other FROM agents
    WHERE coalesce(db_role, username) = login_name AND username <> agent_name LIMIT 1;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION 'the login % is already the agent %''s', login_name, other
      USING ERRCODE = '23505';
  END IF;
  SELECT * INTO existing FROM pg_roles WHERE rolname = login_name;
  IF NOT FOUND THEN
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN', login_name);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- made meanwhile by another helpdesk on this cluster: mapped below
    END;
    ours := true;
  ELSIF existing.rolsuper OR existing.rolcreaterole OR existing.rolbypassrls THEN
    RAISE EXCEPTION 'the login % may bypass what agents may do; map an ordinary login',
      login_name USING ERRCODE = '42501';
  ELSE
    ours := pg_has_role(login_name, 'helpdesk_agent', 'MEMBER');
  END IF;
  IF verifier IS NOT NULL THEN
    IF NOT ours THEN
      RAISE EXCEPTION 'the login % is not a helpdesk login: its password is its DBA''s',
        login_name USING ERRCODE = '42501';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', login_name, verifier);
  END IF;
  EXECUTE format('REVOKE helpdesk_agent, helpdesk_lead, helpdesk_admin FROM %I', login_name);
  IF is_active THEN
    EXECUTE format('GRANT %I TO %I', 'helpdesk_' || agent_role, login_name);
  END IF;
END
$$;
"""

_GROUPS = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_agent') THEN
    CREATE ROLE helpdesk_agent NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_lead') THEN
    CREATE ROLE helpdesk_lead NOLOGIN IN ROLE helpdesk_agent;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_admin') THEN
    CREATE ROLE helpdesk_admin NOLOGIN IN ROLE helpdesk_lead;
  END IF;
END
$$
"""

# A ticket's dependants are visible exactly when their ticket is: the subquery on
# `tickets` is itself under the tickets policy. The functions are wrapped in a
# subquery so they are evaluated once per statement, not once per row.
_SEES = (
    "(SELECT helpdesk_sees_all()) OR organization = ANY ((SELECT helpdesk_organizations())::text[])"
)
_POLICIES = {
    "tickets": [f"FOR ALL USING ({_SEES})"],
    **{
        table: ["FOR ALL USING (EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_id))"]
        for table in ("comments", "attachments", "ticket_watchers", "mail")
    },
    "audit": [
        # A ticket's history goes with its ticket; entries of no ticket (agent changes,
        # refusals of imports) and of purged tickets to leads and admins.
        "FOR SELECT USING ("
        "EXISTS (SELECT 1 FROM tickets t WHERE t.key = ticket_key)"
        " OR (SELECT helpdesk_role()) IN ('lead', 'admin'))",
        "FOR INSERT WITH CHECK (login = session_user)",
        "FOR DELETE USING ((SELECT helpdesk_role()) = 'admin')",
    ],
}

_GRANTS = [
    # Any login may find the schema's version and ask who it is (helpdesk_me()): one the
    # store does not know, or a deactivated agent's, is then told so in one line.
    "GRANT USAGE ON SCHEMA {schema} TO PUBLIC",
    "GRANT SELECT ON alembic_version TO PUBLIC",
    "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO helpdesk_agent",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO helpdesk_agent",
    "GRANT INSERT, UPDATE ON tickets, comments, attachments, mail TO helpdesk_agent",
    # The change counter and the keys each write touched, pruned as they age (live.py).
    "GRANT INSERT, UPDATE, DELETE ON store_meta TO helpdesk_agent",
    "GRANT INSERT, DELETE ON ticket_watchers TO helpdesk_agent",
    "GRANT INSERT ON audit TO helpdesk_agent",
    "GRANT INSERT, UPDATE, DELETE ON agents, teams TO helpdesk_admin",
    "GRANT DELETE ON tickets, comments, attachments, mail, audit TO helpdesk_admin",
    "REVOKE ALL ON FUNCTION helpdesk_provision(text, text, text, boolean, text) FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION helpdesk_provision(text, text, text, boolean, text)"
    " TO helpdesk_admin",
]


def upgrade() -> None:
    op.add_column("agents", sa.Column("db_role", sa.Text(), nullable=True))
    op.add_column("audit", sa.Column("login", sa.Text(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.execute("ALTER TABLE audit ALTER COLUMN login SET DEFAULT session_user")
    op.execute(_GROUPS)
    for statement in _FUNCTIONS.format(schema=schema).split(";\n\n"):
        op.execute(statement)
    for table, policies in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for number, policy in enumerate(policies):
            op.execute(f"CREATE POLICY helpdesk_scope_{number} ON {table} {policy}")
    for grant in _GRANTS:
        op.execute(grant.format(schema=schema))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
        for group in GROUPS:
            op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {group}")
            op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {group}")
            op.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {group}")
        op.execute("REVOKE ALL ON alembic_version FROM PUBLIC")
        for table, policies in _POLICIES.items():
            for number in range(len(policies)):
                op.execute(f"DROP POLICY helpdesk_scope_{number} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for function in (
            "helpdesk_search(text)",
            "helpdesk_provision(text, text, text, boolean, text)",
            "helpdesk_role()",
            "helpdesk_organizations()",
            "helpdesk_sees_all()",
            "helpdesk_me()",
        ):
            op.execute(f"DROP FUNCTION {function}")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("login")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("db_role")
