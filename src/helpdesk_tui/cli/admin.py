"""`login` (the remote store's token), `agent` and `team` (admins)."""

from __future__ import annotations

import argparse
import json
import sys

from ..domain.model import Agent, Role, Team
from ..domain.text import safe_line
from ..launch import bootstrap
from ..service import HelpdeskService
from ..settings.config import Settings
from ..store.base import Capability
from .errors import CliError
from .parser import Parser, count_arg, enum_arg, tier_arg


def add_login_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    login = sub.add_parser("login", help="keep the remote backend's token in the system keyring")
    login.add_argument(
        "--token-file",
        action="store_true",
        help="no keyring on this host: keep the token in a file only you can read (0600)",
    )
    login.add_argument("--stdin", action="store_true", help="read the token from stdin")
    login.add_argument("--no-check", action="store_true", help="store without trying it")
    login.add_argument("--forget", action="store_true", help="remove the stored token")


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    agent = sub.add_parser("agent", help="manage agents (admins)")
    asub = agent.add_subparsers(dest="action", required=True, parser_class=Parser)
    for name in ("add", "update"):
        a = asub.add_parser(name, help="add an agent" if name == "add" else "change an agent")
        a.add_argument("username", help="the agent's username, e.g. alice")
        a.add_argument("--name", help="the full name shown to colleagues")
        a.add_argument("--email", help="the agent's e-mail address")
        a.add_argument("--tier", type=tier_arg, help="the support tier: 1, 2 or 3")
        a.add_argument("--role", type=enum_arg(Role), help=", ".join(r.value for r in Role))
        a.add_argument("--team", help="the team, as team list shows it")
        a.add_argument("--org", action="append", help="an organization served (repeat)")
        a.add_argument(
            "--db-role",
            metavar="LOGIN",
            help="PostgreSQL: the existing login this agent signs in with (default: one "
            "named as the agent, made if missing)",
        )
        a.add_argument(
            "--password-stdin",
            action="store_true",
            help="PostgreSQL: read the password of the agent's login from stdin",
        )
        if name == "update":
            a.add_argument(
                "--deactivate", action="store_true", help="the agent may no longer sign in or act"
            )
    alist = asub.add_parser("list", help="every agent, with tier, role and team")
    alist.add_argument("--json", action="store_true", help="print JSON, for scripts")
    ahist = asub.add_parser("history", help="who added, changed or deactivated agents and teams")
    ahist.add_argument(
        "--limit", type=count_arg, default=50, help="how many changes, newest first (default: 50)"
    )

    team = sub.add_parser("team", help="manage teams (admins)")
    tsub2 = team.add_subparsers(dest="action", required=True, parser_class=Parser)
    tadd = tsub2.add_parser("add", help="add a team")
    tadd.add_argument("name", help="the team's name, e.g. network")
    tadd.add_argument("--description", default="", help="what the team looks after")
    tsub2.add_parser("list", help="every team")


def login(args: argparse.Namespace, settings: Settings) -> int:
    from ..settings import secrets

    if not settings.backend_url:
        raise CliError(
            'login is for a remote store: set [backend] url (PostgreSQL, or kind = "rt") first'
        )
    url = settings.backend_url
    database = settings.backend_kind == "sql"
    try:
        if args.forget:
            places = secrets.forget_token(url, data_dir=settings.data_dir)
            print(f"forgot the token for {url}" + (f" ({', '.join(places)})" if places else ""))
            return 0
        if not args.token_file:
            usable, backend = secrets.keyring_usable()
            if not usable:
                # Say so before asking for the token: nothing is kept in plaintext silently.
                raise CliError(secrets.no_keyring_message(backend))
        what = "Password" if database else "Token"
        if args.stdin:
            token = sys.stdin.readline().strip()
        else:
            import getpass

            token = getpass.getpass(f"{what} for {url} (not shown): ").strip()
        if not args.no_check and not database:
            bootstrap.check_token(settings, token).close()
        where = secrets.store_token(url, token, data_dir=settings.data_dir, to_file=args.token_file)
    except secrets.SecretError as exc:
        raise CliError(str(exc)) from None
    if args.token_file:
        print(
            "helpdesk-tui: warning: the token is now in a plain file; anyone who can read it "
            "(root, backups) can act as you in RT. Prefer a keyring where there is one.",
            file=sys.stderr,
        )
    print(f"token for {url} kept in {where}")
    return 0


def agent(args: argparse.Namespace, service: HelpdeskService) -> int:
    if args.action == "list":
        agents = service.agents()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "username": a.username,
                            "name": a.name,
                            "email": a.email,
                            "tier": a.tier,
                            "role": a.role.value,
                            "team": a.team,
                            "organizations": list(a.organizations),
                            "active": a.active,
                            "db_role": a.db_role,
                        }
                        for a in agents
                    ]
                )
            )
        else:
            for a in agents:
                state = "" if a.active else " (inactive)"
                print(f"{a.username:<12} T{a.tier} {a.role.value:<6} {safe_line(a.name)}{state}")
        return 0
    if args.action == "history":
        for entry in service.admin_history(args.limit):
            was = safe_line(entry.old) if entry.old is not None else "(new)"
            print(
                f"{entry.at:%Y-%m-%d %H:%M} UTC  {safe_line(entry.by)}  "
                f"{safe_line(entry.field)}: {was} → {safe_line(entry.new or '')}"
            )
        return 0
    existing = {a.username: a for a in service.agents()}
    if args.action == "add":
        if args.username in existing:
            raise CliError(f"agent {args.username} exists; use `agent update`")
        base = Agent(args.username, args.name or args.username)
    else:
        if args.username not in existing:
            raise CliError(f"no agent called {args.username!r}")
        base = existing[args.username]
    password = _new_password(args, service)
    from dataclasses import replace

    agent = replace(
        base,
        name=args.name or base.name,
        email=args.email if args.email is not None else base.email,
        tier=args.tier or base.tier,
        role=args.role or base.role,
        team=args.team if args.team is not None else base.team,
        organizations=tuple(args.org) if args.org else base.organizations,
        active=not getattr(args, "deactivate", False) and base.active,
        db_role=args.db_role if args.db_role is not None else base.db_role,
    )
    service.save_agent(agent)
    if password is not None:
        service.set_agent_password(agent.username, password)
    print(f"agent {agent.username} saved" + (", with a new password" if password else ""))
    return 0


def _new_password(args: argparse.Namespace, service: HelpdeskService) -> str | None:
    """The password given with --password-stdin (read before anything is written)."""
    asked = args.db_role is not None or args.password_stdin
    if asked and Capability.LOGINS not in service.capabilities:
        raise CliError(
            "--db-role and --password-stdin are for PostgreSQL, where each agent signs "
            "in with a login of their own"
        )
    if not args.password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password.strip():
        raise CliError("--password-stdin: the password read is empty")
    return password


def team(args: argparse.Namespace, service: HelpdeskService) -> int:
    if args.action == "add":
        # As `agent add`: saving over a team of that name would wipe its description.
        if any(known.name == args.name for known in service.teams()):
            raise CliError(f"team {args.name} exists; nothing changed")
        saved = service.save_team(Team(args.name, args.description))
        print(f"team {safe_line(saved.name)} saved")
    else:
        for team in service.teams():
            print(f"{safe_line(team.name):<20} {safe_line(team.description)}")
    return 0
