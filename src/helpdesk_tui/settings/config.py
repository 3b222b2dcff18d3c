"""Settings: where files live (platformdirs), what the TOML config says, and secrets.

The config file is found by `--config`, then `$HELPDESK_TUI_CONFIG`, then
`./helpdesk-tui.toml`, then the user config dir. Bad values end in a ConfigError
with one line that names the key; secrets never live in this file.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from ..domain.followup import FollowUpError, FollowUpPolicy
from . import i18n

APP_NAME = "helpdesk-tui"
CONFIG_ENV = "HELPDESK_TUI_CONFIG"
DATA_DIR_ENV = "HELPDESK_TUI_DATA_DIR"
AGENT_ENV = "HELPDESK_AGENT"
TOKEN_ENV = "HELPDESK_TOKEN"
KEYRING_SERVICE = "helpdesk-tui"


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one line naming the key."""


@dataclass(frozen=True, slots=True)
class ViewConfig:
    name: str
    filter: str
    sort: str = "sla_due"


@dataclass(frozen=True, slots=True)
class RtSettings:
    """`[backend.rt]`: how Request Tracker's queues, statuses and users map to ours."""

    queues: dict[str, int] = field(default_factory=dict)
    lifecycle: str = "helpdesk"
    timeout: float = 15.0
    cache_seconds: float = 30.0
    agents: dict[str, tuple[int, str]] = field(default_factory=dict)
    agent_groups: tuple[str, ...] = ()


SECURITIES = ("none", "starttls", "ssl")
_DEFAULT_PORTS = {
    "smtp": {"none": 25, "starttls": 587, "ssl": 465},
    "imap": {"none": 143, "starttls": 143, "ssl": 993},
}


@dataclass(frozen=True, slots=True)
class MailSettings:
    """`[mail]`: outgoing mail over SMTP, incoming from a Maildir or IMAP, follow-ups.

    Passwords are never here: `helpdesk-tui mail login smtp|imap` keeps them in the
    keyring, or $HELPDESK_SMTP_PASSWORD / $HELPDESK_IMAP_PASSWORD on headless hosts."""

    sender: str = ""
    """The From of every message, e.g. "Support <support@example.com>"."""
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_security: str = "starttls"
    smtp_user: str = ""
    ca_file: Path | None = None
    """Extra certificate authority (PEM) for the mail servers, e.g. a company CA."""
    timeout: float = 30.0
    templates_dir: Path | None = None
    language: str = "en"
    """The language of the packaged templates: `[mail] language`, else the UI's."""
    inbound: str = ""
    """Where `mail fetch` reads: "maildir", "imap", or "" (nowhere)."""
    maildir: Path | None = None
    quarantine_dir: Path | None = None
    imap_host: str = ""
    imap_port: int = 0
    imap_security: str = "ssl"
    imap_user: str = ""
    imap_folder: str = "INBOX"
    organizations: dict[str, str] = field(default_factory=dict)
    """A sender's domain → the organization of a ticket opened by mail."""
    followup: FollowUpPolicy = field(default_factory=FollowUpPolicy)

    @property
    def sends(self) -> bool:
        """Outgoing mail is queued (and sent) only with a sender and a server to send to."""
        return bool(self.sender and self.smtp_host)

    def port(self, protocol: str) -> int:
        chosen = self.smtp_port if protocol == "smtp" else self.imap_port
        security = self.smtp_security if protocol == "smtp" else self.imap_security
        return chosen or _DEFAULT_PORTS[protocol][security]


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    config_path: Path | None = None
    agent: str = ""
    backend_kind: str = "sql"
    backend_url: str = ""
    key_prefix: str = "HD"
    verify_tls: bool = True
    policy: str = "default"
    theme: str = "helpdesk-dark"
    language: str = "en"
    bell: bool = False
    cursor_blink: bool = True
    keymap: dict[str, str] = field(default_factory=dict)
    views: tuple[ViewConfig, ...] = ()
    retention_months: int = 24
    rt: RtSettings = field(default_factory=RtSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.backend_url or f"sqlite:///{self.default_database}"

    @property
    def default_database(self) -> Path:
        """The local SQLite file used when no backend is configured."""
        return self.data_dir / "helpdesk.db"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def state_dir(self) -> Path:
        """Drafts and remembered choices (theme), kept apart from the tickets."""
        return self.data_dir / "state"

    @property
    def is_default_store(self) -> bool:
        return self.backend_kind == "sql" and not self.backend_url


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else platformdirs.user_data_path(APP_NAME)


def find_config(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} names a missing file: {path}")
        return path
    for candidate in (
        Path.cwd() / "helpdesk-tui.toml",
        platformdirs.user_config_path(APP_NAME) / "config.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def _get(table: dict[str, Any], path: str, kind: type, default: Any) -> Any:
    value = table
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: expected {kind.__name__}, got {value!r}")
    return value


_SECRET_HINTS = ("password", "token", "secret")


def load_settings(explicit: Path | None = None) -> Settings:
    """Read and validate the config (all of it optional: no file means defaults)."""
    path = find_config(explicit)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    backend = raw.get("backend", {})
    if isinstance(backend, dict):
        for key in backend:
            if any(hint in key.lower() for hint in _SECRET_HINTS):
                raise ConfigError(
                    f"backend.{key}: secrets do not belong in the config file; "
                    "use `helpdesk-tui login` (keyring) or $HELPDESK_TOKEN"
                )
    rt_table = backend.get("rt", {}) if isinstance(backend, dict) else {}
    if isinstance(rt_table, dict):
        for key in rt_table:
            if any(hint in key.lower() for hint in _SECRET_HINTS):
                raise ConfigError(
                    f"backend.rt.{key}: secrets do not belong in the config file; "
                    "use `helpdesk-tui login` (keyring) or $HELPDESK_TOKEN"
                )
    url = _get(raw, "backend.url", str, "")
    if url and urlsplit(url).password:
        raise ConfigError(
            "backend.url: holds a password; keep it in the keyring or $HELPDESK_DB_PASSWORD"
        )
    kind = _get(raw, "backend.kind", str, "sql")
    if kind not in ("sql", "rt"):
        raise ConfigError(f"backend.kind: expected 'sql' or 'rt', got {kind!r}")
    prefix = _get(raw, "backend.key_prefix", str, "HD")
    if not (prefix.isalnum() and prefix.isupper() and 1 <= len(prefix) <= 10):
        raise ConfigError(f"backend.key_prefix: expected 1-10 capital letters, got {prefix!r}")
    data_dir = Path(_get(raw, "paths.data_dir", str, "")) if "paths" in raw else None
    keymap = _get(raw, "keys", dict, {})
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str):
            raise ConfigError(f"keys.{binding_id}: expected a string of keys, got {keys!r}")
    views = []
    for index, view in enumerate(_get(raw, "views", list, [])):
        if not isinstance(view, dict) or not isinstance(view.get("name"), str):
            raise ConfigError(f"views[{index}]: each view needs a name and a filter")
        views.append(
            ViewConfig(
                name=view["name"],
                filter=str(view.get("filter", "")),
                sort=str(view.get("sort", "sla_due")),
            )
        )
    rt = _rt_settings(raw, kind, url)
    retention = _get(raw, "retention.months", int, 24)
    if retention < 1:
        raise ConfigError(f"retention.months: must be at least 1, got {retention}")
    agent = os.environ.get(AGENT_ENV) or _get(raw, "agent.username", str, "")
    return Settings(
        data_dir=data_dir or default_data_dir(),
        config_path=path,
        agent=agent or _os_user(),
        backend_kind=kind,
        backend_url=url,
        key_prefix=prefix,
        verify_tls=_get(raw, "backend.verify_tls", bool, True),
        policy=_get(raw, "sla.policy", str, "default"),
        theme=_get(raw, "ui.theme", str, "helpdesk-dark"),
        language=_language(raw),
        bell=_get(raw, "ui.bell", bool, False),
        cursor_blink=_get(raw, "ui.cursor_blink", bool, True),
        keymap=dict(keymap),
        views=tuple(views),
        retention_months=retention,
        rt=rt,
        mail=_mail_settings(raw),
        raw=raw,
    )


def _language(raw: dict[str, Any]) -> str:
    """`[ui] language`, else the locale's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else en."""
    configured: str = _get(raw, "ui.language", str, "")
    try:
        return i18n.choose(configured or None)
    except i18n.LanguageError as exc:
        raise ConfigError(str(exc)) from None


def _mail_language(raw: dict[str, Any]) -> str:
    configured: str = _get(raw, "mail.language", str, "")
    configured = configured.strip().lower()
    if not configured:
        return _language(raw)
    if configured not in i18n.LANGUAGES:
        known = ", ".join(sorted(i18n.LANGUAGES))
        raise ConfigError(f"mail.language: no catalogue for {configured!r} (have {known})")
    return configured


def _rt_settings(raw: dict[str, Any], kind: str, url: str) -> RtSettings:
    queues = _get(raw, "backend.rt.queues", dict, {})
    for name, tier in queues.items():
        if isinstance(tier, bool) or tier not in (1, 2, 3):
            raise ConfigError(f"backend.rt.queues.{name}: expected tier 1, 2 or 3, got {tier!r}")
    lifecycle = _get(raw, "backend.rt.lifecycle", str, "helpdesk")
    if lifecycle not in ("helpdesk", "default"):
        raise ConfigError(
            f"backend.rt.lifecycle: expected 'helpdesk' or 'default', got {lifecycle!r}"
        )
    timeout = _get(raw, "backend.rt.timeout", float, 15.0)
    if not 0 < timeout <= 600:
        raise ConfigError(f"backend.rt.timeout: expected 0-600 seconds, got {timeout!r}")
    cache = _get(raw, "backend.rt.cache_seconds", float, 30.0)
    if not 0 <= cache <= 3600:
        raise ConfigError(f"backend.rt.cache_seconds: expected 0-3600 seconds, got {cache!r}")
    agents: dict[str, tuple[int, str]] = {}
    for name, spec in _get(raw, "backend.rt.agents", dict, {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f'backend.rt.agents.{name}: expected {{ tier = 2, role = "agent" }}')
        tier = spec.get("tier", 3)
        role = spec.get("role", "agent")
        if isinstance(tier, bool) or tier not in (1, 2, 3):
            raise ConfigError(f"backend.rt.agents.{name}.tier: expected 1, 2 or 3, got {tier!r}")
        if role not in ("agent", "lead", "admin"):
            raise ConfigError(
                f"backend.rt.agents.{name}.role: expected agent, lead or admin, got {role!r}"
            )
        agents[str(name)] = (tier, role)
    groups = _get(raw, "backend.rt.agent_groups", list, [])
    if not all(isinstance(g, str) and g.strip() for g in groups):
        raise ConfigError('backend.rt.agent_groups: expected group names, e.g. ["Helpdesk"]')
    if kind == "rt":
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(f"backend.url: RT needs an http(s) URL of the server, got {url!r}")
        if not queues:
            raise ConfigError(
                'backend.rt.queues: name the RT queues and their tiers, e.g. "Tier 1" = 1'
            )
    return RtSettings(
        queues=dict(queues),
        lifecycle=lifecycle,
        timeout=timeout,
        cache_seconds=cache,
        agents=agents,
        agent_groups=tuple(groups),
    )


def _mail_settings(raw: dict[str, Any]) -> MailSettings:
    _refuse_mail_secrets(raw)
    sender = _mail_sender(raw)
    inbound = _mail_inbound(raw)
    timeout = _get(raw, "mail.timeout", float, 30.0)
    if not 0 < timeout <= 600:
        raise ConfigError(f"mail.timeout: expected 0-600 seconds, got {timeout!r}")

    def path(key: str) -> Path | None:
        text = _get(raw, f"mail.{key}", str, "")
        return Path(text).expanduser() if text else None

    return MailSettings(
        sender=sender,
        smtp_host=_get(raw, "mail.smtp_host", str, "").strip(),
        smtp_port=_get(raw, "mail.smtp_port", int, 0),
        smtp_security=_get(raw, "mail.smtp_security", str, "starttls"),
        smtp_user=_get(raw, "mail.smtp_user", str, ""),
        ca_file=path("ca_file"),
        timeout=timeout,
        templates_dir=path("templates_dir"),
        language=_mail_language(raw),
        inbound=inbound,
        maildir=path("maildir"),
        quarantine_dir=path("quarantine_dir"),
        imap_host=_get(raw, "mail.imap_host", str, "").strip(),
        imap_port=_get(raw, "mail.imap_port", int, 0),
        imap_security=_get(raw, "mail.imap_security", str, "ssl"),
        imap_user=_get(raw, "mail.imap_user", str, ""),
        imap_folder=_get(raw, "mail.imap_folder", str, "INBOX"),
        organizations=_mail_organizations(raw),
        followup=_followup_policy(raw),
    )


def _refuse_mail_secrets(raw: dict[str, Any]) -> None:
    for key in _get(raw, "mail", dict, {}):
        if any(hint in key.lower() for hint in _SECRET_HINTS):
            raise ConfigError(
                f"mail.{key}: secrets do not belong in the config file; "
                "use `helpdesk-tui mail login smtp|imap` (keyring) or $HELPDESK_SMTP_PASSWORD"
            )


def _mail_sender(raw: dict[str, Any]) -> str:
    sender: str = _get(raw, "mail.from", str, "").strip()
    if sender:
        from email.headerregistry import Address
        from email.utils import parseaddr

        name, address = parseaddr(sender)
        try:
            Address(name, addr_spec=address)
        except (ValueError, IndexError):
            address = ""
        if "@" not in address:
            raise ConfigError(f'mail.from: not an address: {sender!r} (try "Support <s@x.org>")')
    return sender


def _mail_inbound(raw: dict[str, Any]) -> str:
    """Where incoming mail is read from ("" for nowhere), checking the servers' settings."""
    for protocol in ("smtp", "imap"):
        security = _get(raw, f"mail.{protocol}_security", str, "starttls")
        if security not in SECURITIES:
            raise ConfigError(
                f"mail.{protocol}_security: expected none, starttls or ssl, got {security!r}"
            )
        port = _get(raw, f"mail.{protocol}_port", int, 0)
        if not 0 <= port <= 65535:
            raise ConfigError(f"mail.{protocol}_port: expected a port number, got {port}")
    inbound: str = _get(raw, "mail.inbound", str, "")
    if inbound not in ("", "maildir", "imap"):
        raise ConfigError(f"mail.inbound: expected 'maildir' or 'imap', got {inbound!r}")
    if inbound == "maildir" and not _get(raw, "mail.maildir", str, ""):
        raise ConfigError('mail.maildir: inbound = "maildir" needs the path of the Maildir')
    if inbound == "imap" and not _get(raw, "mail.imap_host", str, ""):
        raise ConfigError('mail.imap_host: inbound = "imap" needs the IMAP server')
    return inbound


def _mail_organizations(raw: dict[str, Any]) -> dict[str, str]:
    organizations = {}
    for domain, name in _get(raw, "mail.organizations", dict, {}).items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"mail.organizations.{domain}: expected an organization name")
        organizations[str(domain).lower().strip()] = name.strip()
    return organizations


def _followup_policy(raw: dict[str, Any]) -> FollowUpPolicy:
    def days(key: str, default: float) -> timedelta | None:
        value = _get(raw, f"mail.{key}", float, default)
        if value < 0:
            raise ConfigError(f"mail.{key}: a number of days, 0 for never; got {value}")
        return timedelta(days=value) if value else None

    try:
        return FollowUpPolicy(
            remind_after=days("remind_after_days", 3) or timedelta(0),
            reminders=_get(raw, "mail.reminders", int, 2),
            close_pending_after=days("close_pending_after_days", 10),
            close_resolved_after=days("close_resolved_after_days", 5),
        )
    except FollowUpError as exc:
        raise ConfigError(f"mail: {exc}") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "agent"
