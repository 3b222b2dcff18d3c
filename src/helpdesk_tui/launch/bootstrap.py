"""Wiring: settings → store, SLA policy, clock and acting agent → a HelpdeskService.

The command line and the TUI both start here, so both see the same store the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.model import EARLIEST, LATEST, Agent, Role
from ..domain.sla import Policy, PolicyError, with_agreements
from ..service import HelpdeskService
from ..service.views import SAVED_VIEWS, FilterError, View, custom_view
from ..settings.config import DATA_DIR_ENV, ConfigError, Settings
from ..settings.policies import is_policy_path, load_builtin, parse_text
from ..settings.private import private_dir
from ..settings.toml_lines import is_bare_key
from ..store.base import Capability, NotFound, TicketRepository

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from ..store.rt import RtConfig

FIRST_RUN_MESSAGE = "First run: creating a local store with demo tickets…"
NOW_ENV = "HELPDESK_TUI_NOW"
"""A frozen clock (ISO 8601) for tests, snapshots and reproducible demos."""


def make_clock() -> Callable[[], datetime]:
    frozen = os.environ.get(NOW_ENV)
    if frozen:
        try:
            at = datetime.fromisoformat(frozen)
        except ValueError:
            raise ConfigError(f"{NOW_ENV}: not an ISO 8601 time: {frozen!r}") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        # The store's range: a clock outside it stamps times no ticket may hold, and the
        # SLA arithmetic from it runs off the calendar (years 1 and 9999).
        outside = ConfigError(
            f"{NOW_ENV}: {frozen!r} is outside the years {EARLIEST.year} to {LATEST.year - 1}"
        )
        try:
            fixed = at.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 with an offset that crosses the end
            raise outside from None
        if not EARLIEST <= fixed < LATEST:
            raise outside
        return lambda: fixed
    return lambda: datetime.now(UTC)


def load_policy(name_or_path: str, key: str = "sla.policy") -> Policy:
    """A bundled policy by name, or a policy file by path; `key` is the config key that
    names it, for the one line that says what is wrong with it."""
    try:
        if is_policy_path(name_or_path):
            path = Path(name_or_path).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
            return parse_text(text)
        return load_builtin(name_or_path)
    except PolicyError as exc:
        named = "sla policy" if key == "sla.policy" else f"{key}: policy"
        raise ConfigError(f"{named} {name_or_path}: {exc}") from None


def load_policies(settings: Settings) -> Policy:
    """The configured policy, knowing the organizations that have an agreement of their
    own (`[sla.agreements]`) and each agreement's policy. A policy named by several
    agreements is read once."""
    policy = load_policy(settings.policy)
    if not settings.agreements:
        return policy
    read: dict[str, Policy] = {}
    agreements: dict[str, Policy] = {}
    for organization, name in settings.agreements.items():
        if name not in read:
            read[name] = load_policy(name, f"sla.agreements.{_toml_key(organization)}")
        agreements[organization] = read[name]
    try:
        return with_agreements(policy, agreements)
    except PolicyError as exc:  # the config's own check keeps this from happening
        raise ConfigError(f"sla.{exc}") from None


def _toml_key(name: str) -> str:
    """A key as the config file writes it: bare, or quoted ("Acme Corp")."""
    if is_bare_key(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_repository(settings: Settings) -> TicketRepository:
    """Open (and upgrade) the configured store; StoreUnavailable if it cannot be reached."""
    if settings.backend_kind == "rt":
        return _open_rt(settings)
    from ..store.sql import SqlRepository

    try:
        private_dir(settings.data_dir)
    except OSError as exc:
        raise ConfigError(
            f"cannot make the data folder {settings.data_dir}: {exc.strerror} "
            f"(it is [paths] data_dir in the config, or ${DATA_DIR_ENV})"
        ) from None
    return SqlRepository.open(
        _with_password(settings),
        attachments_dir=settings.attachments_dir,
        key_prefix=settings.key_prefix,
    )


def _with_password(settings: Settings) -> str | URL:
    """The database URL with its password filled in from the secret store, if it has one.

    The config file never holds the password (config.py refuses one); it joins the URL
    only in memory, and error messages name the server without it."""
    url = settings.database_url
    if not url.startswith("postgresql"):
        return url
    from sqlalchemy.engine import make_url

    from ..settings.secrets import DB_LOGIN_ENV, SecretError, load_db_password

    try:
        password = load_db_password(url, data_dir=settings.data_dir)
    except SecretError as exc:
        raise ConfigError(f"database password: {exc}") from None
    parsed = make_url(url)
    login = os.environ.get(DB_LOGIN_ENV, "").strip()
    if login:
        parsed = parsed.set(username=login)
    return parsed.set(password=password) if password else parsed


def sign_in(settings: Settings, login: str, secret: str) -> str:
    """The agent `login` is, signed in to the configured store with `secret` (a database
    password, or an RT token and no login); ConfigError or StoreError, one line, if the
    store does not take them or they are no active agent's."""
    if settings.backend_kind == "rt":
        repo = _open_rt(settings, secret)
    elif settings.database_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        from ..store.sql import SqlRepository

        url = make_url(settings.database_url).set(username=login, password=secret)
        # An agent's login cannot migrate: the server's own start did that.
        repo = SqlRepository.open(url, settings.attachments_dir, settings.key_prefix, migrate=False)
    else:
        raise ConfigError("a local file has no logins to sign in with")
    try:
        who = repo.authenticated_login()
        name = login if who is None else who.name
        try:
            agent = None if who is None or who.agent is None else repo.get_agent(who.agent)
        except NotFound:
            agent = None
        if agent is None or not agent.active:
            raise ConfigError(f"the login {name!r} is no active agent of this store")
        return agent.username
    finally:
        repo.close()


def rt_config(settings: Settings) -> RtConfig:
    """The RT backend as the settings describe it (ConfigError where they cannot)."""
    from ..store.base import InvalidInput
    from ..store.rt import RtConfig

    rt = settings.rt
    try:
        return RtConfig(
            url=settings.backend_url,
            queues=rt.queues,
            key_prefix=settings.key_prefix,
            lifecycle=rt.lifecycle,
            verify_tls=settings.verify_tls,
            timeout=rt.timeout,
            cache_seconds=rt.cache_seconds,
            session_seconds=rt.session_seconds,
            parallel_requests=rt.parallel_requests,
            agents={name: (tier, Role(role)) for name, (tier, role) in rt.agents.items()},
            agent_groups=rt.agent_groups,
            # Downloaded attachments are kept (0600) so a file is fetched from RT once.
            cache_dir=settings.data_dir / "cache",
        )
    except InvalidInput as exc:
        raise ConfigError(str(exc)) from None


def _open_rt(settings: Settings, token: str | None = None) -> TicketRepository:
    from ..settings.secrets import SecretError, load_token
    from ..store.rt import RtRepository

    if token is None:
        try:
            token = load_token(settings.backend_url, data_dir=settings.data_dir).value
        except SecretError as exc:
            raise ConfigError(f"backend token: {exc}") from None
    repo = RtRepository.open(rt_config(settings), token)
    repo.refusal_log = settings.state_dir / "refusals.jsonl"  # RT cannot audit refusals
    return repo


def check_token(settings: Settings, token: str) -> TicketRepository:
    """Open the configured remote backend with `token` (before `login` keeps it)."""
    if settings.backend_kind != "rt":
        raise ConfigError('backend.kind: `login` is for a remote backend (kind = "rt")')
    return _open_rt(settings, token)


def resolve_agent(repo: TicketRepository, username: str) -> Agent:
    """The acting agent. On a store with no agents yet, the first user becomes its admin."""
    try:
        return repo.get_agent(username)
    except NotFound:
        pass
    if not repo.agents():
        return repo.save_agent(Agent(username=username, name=username, tier=3, role=Role.ADMIN))
    raise ConfigError(
        f"agent {username!r} is not known to this store; "
        "set [agent] username in the config, or ask an admin to run `helpdesk-tui agent add`"
    )


_ASKED = {"flag": "--as", "env": "$HELPDESK_AGENT", "config": "[agent] username"}


def authenticated_name(repo: TicketRepository, settings: Settings) -> str:
    """Who acts: the agent the store authenticated (a PostgreSQL login, an RT token).

    Another name asked for (--as, $HELPDESK_AGENT, [agent] username) is taken only from
    a login that may act for others (an admin's, the database's owner, a local file's
    OS user), and every write then records both names; from any other login it is
    refused, as the store's own rights would still apply to that login.
    """
    login = repo.authenticated_login()
    if login is None:
        return settings.agent
    asked = settings.agent_source != "os" and settings.agent != login.agent
    if not asked:
        if login.agent is not None:
            return login.agent
        if login.acts_for_others:
            return settings.agent
        raise ConfigError(
            f"the login {login.name!r} is no active agent of this store; "
            f"an admin maps it with `helpdesk-tui agent add NAME --db-role {login.name}`"
        )
    how = _ASKED.get(settings.agent_source, "asked")
    if not login.acts_for_others:
        if Capability.LOGINS in repo.capabilities:
            whose = f"the database login is {login.name!r}"
            fix = "only an admin's login may act as another agent"
        else:
            whose = f"the RT token is {login.name}'s"
            fix = "use that agent's own token (helpdesk-tui login)"
        raise ConfigError(f"{whose}: acting as {settings.agent!r} ({how}) is refused; {fix}")
    if settings.agent_source in ("flag", "env"):
        repo.sign_as(login.name, settings.agent)
    return settings.agent


def views(settings: Settings) -> list[View]:
    found = list(SAVED_VIEWS.values())
    for index, view in enumerate(settings.views):
        try:
            found.append(custom_view(f"custom_{index}", view.name, view.filter, view.sort))
        except FilterError as exc:
            raise ConfigError(f"views[{index}]: {exc}") from None
    return found


def build_service(
    settings: Settings,
    repo: TicketRepository | None = None,
    *,
    policy: Policy | None = None,
    clock: Callable[[], datetime] | None = None,
) -> HelpdeskService:
    """Open the store (unless `repo` is given) and resolve the agent; the policy and the
    clock are made from the settings unless the caller has them already."""
    repo = repo or open_repository(settings)
    try:
        agent = resolve_agent(repo, authenticated_name(repo, settings))
        policy = policy or load_policies(settings)
    except BaseException:
        repo.close()
        raise
    return service_for(settings, repo, agent, policy, clock or make_clock())


def service_for(
    settings: Settings,
    repo: TicketRepository,
    agent: Agent,
    policy: Policy,
    clock: Callable[[], datetime],
) -> HelpdeskService:
    """The service over a repository already open and an agent already resolved."""
    return HelpdeskService(
        repo,
        policy,
        clock,
        agent,
        settings.mail.followup,
        sends_mail=settings.mail.sends,
        triage_file=settings.triage_file(agent.username),
    )


def fill_first_run(service: HelpdeskService, settings: Settings, *, say: bool = True) -> bool:
    """On the default local store, still empty: demo tickets so a newcomer sees a queue.

    Says so on stderr (under `serve`, stdout is the web driver's channel), unless `say` is
    false: the app's launch helper tells it in the app instead.
    """
    if not settings.is_default_store or not service.is_empty():
        return False
    if say:
        print(FIRST_RUN_MESSAGE, file=sys.stderr)
    service.generate_demo()
    return True
