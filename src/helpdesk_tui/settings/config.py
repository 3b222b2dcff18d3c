"""Settings: where files live (platformdirs), what the TOML config says, and secrets.

The config file is found by `--config`, then `$HELPDESK_TUI_CONFIG`, then
`./helpdesk-tui.toml`, then the user config dir. `schema.py` validates it (pydantic):
a bad value or an unknown key ends in a ConfigError of one line naming the file, the
line and the key; secrets never live in this file.

Every launch reads the config before anything else, and pydantic costs more than the
rest of this module, so the validated file is kept in a cache (`default_cache_dir()`)
under a hash of its bytes and of the code that validates it: a launch whose file has
not changed imports no pydantic. What the environment decides (the data folder, the
agent, the locale's language, where `~` is) is never cached but applied on each load.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import platformdirs

from ..domain.followup import FollowUpPolicy
from ..domain.model import parse_key
from . import i18n

APP_NAME = "helpdesk-tui"
CONFIG_ENV = "HELPDESK_TUI_CONFIG"
DATA_DIR_ENV = "HELPDESK_TUI_DATA_DIR"
CACHE_DIR_ENV = "HELPDESK_TUI_CACHE_DIR"
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
    session_seconds: float = 600.0
    parallel_requests: int = 2
    agents: dict[str, tuple[int, str]] = field(default_factory=dict)
    agent_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TerminalSettings:
    """`[terminal]`: what the app writes to the terminal beyond the screen, and the
    on-call tools that run where the engineer is. Each one can be turned off: a terminal
    that prints OSC sequences as text, or a site that forbids a shell from the app."""

    clipboard: bool = True
    """OSC 52: copy to the clipboard of the terminal the agent sits at, across SSH."""
    hyperlinks: bool = True
    """OSC 8: ticket keys and URLs in text open the backend's page with a click."""
    ticket_url: str = ""
    """The page of a ticket, "{key}" standing for its key (e.g.
    "https://helpdesk.example.com/t/{key}"); empty: RT's own page on RT, none on SQL."""
    notifications: bool = True
    """OSC 9 or OSC 777: a desktop notification for an on-call alert while the terminal
    is not focused."""
    notify_with: str = "osc9"
    """"osc9" (iTerm2, WezTerm, Windows Terminal, kitty) or "osc777" (foot, VTE, urxvt)."""
    shell: bool = True
    """`!` on a ticket: run a command and offer its output as an internal note."""
    shell_timeout: float = 30.0
    """Seconds a `!` command may run before it is stopped."""
    shell_output_kib: int = 64
    """The most of a command's output kept for the note; the rest is cut, and said so."""
    presence: bool = True
    """PostgreSQL: tell others on the same ticket that I have it open or am replying."""


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
    agent_source: str = "os"
    """Where `agent` came from: "flag" (--as), "env" ($HELPDESK_AGENT), "config"
    ([agent] username) or "os" (the OS user). A store that knows who logged in (RT's
    token) refuses a name asked for that is not theirs (launch/bootstrap.py)."""
    backend_kind: str = "sql"
    backend_url: str = ""
    key_prefix: str = "HD"
    verify_tls: bool = True
    policy: str = "default"
    agreements: dict[str, str] = field(default_factory=dict)
    """`[sla.agreements]`: an organization → the policy (a bundled one's name or a
    file's path) of its own agreement."""
    theme: str = "helpdesk-dark"
    language: str = "en"
    bell: bool = False
    cursor_blink: bool = True
    keymap: dict[str, str] = field(default_factory=dict)
    views: tuple[ViewConfig, ...] = ()
    retention_months: int = 24
    macros_dir: Path | None = None
    """`[macros] dir`: a folder of macros every agent's config points at (a shared
    mount); settings/macros.py reads it before the agent's own `macros/`."""
    rt: RtSettings = field(default_factory=RtSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    terminal: TerminalSettings = field(default_factory=TerminalSettings)
    raw: dict[str, Any] = field(default_factory=dict)
    """The file's tables as tomllib read them; each key in them is one of the settings
    above (schema.py refuses any other)."""

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

    def triage_file(self, username: str) -> Path:
        """Where `username`'s learned triage model of this store is kept (in the cache
        folder: it is learned again when missing), one file per store and agent, as each
        agent learns from the tickets they may see."""
        store = f"{self.backend_kind}\0{self.database_url}\0{username}"
        return (
            default_cache_dir()
            / "triage"
            / f"{hashlib.sha256(store.encode()).hexdigest()[:32]}.model"
        )

    def ticket_page(self, key: str) -> str | None:
        """The web page of ticket `key` ("HD-12"): `[terminal] ticket_url` with the key in
        it, else RT's own ticket page on RT; None when there is none (a SQL store without
        a web front)."""
        if self.terminal.ticket_url:
            return self.terminal.ticket_url.replace("{key}", quote(key, safe=""))
        if self.backend_kind == "rt":
            with suppress(ValueError):
                _prefix, number = parse_key(key)
                return f"{self.backend_url.rstrip('/')}/Ticket/Display.html?id={number}"
        return None


@dataclass(frozen=True, slots=True)
class FileSettings:
    """What the config file says, validated: what the cache keeps."""

    settings: Settings
    """Settings as far as the file decides them; `load_settings` fills in data_dir, agent,
    language and mail.language and expands `~` in the mail paths."""
    data_dir: str = ""
    username: str = ""
    language: str = ""
    mail_language: str = ""


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else platformdirs.user_data_path(APP_NAME)


def default_cache_dir() -> Path:
    """Where the validated config is kept: nothing in it is needed, all of it can go."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else platformdirs.user_cache_path(APP_NAME)


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


def load_settings(explicit: Path | None = None) -> Settings:
    """Read and validate the config (all of it optional: no file means defaults)."""
    path = find_config(explicit)
    if path is None:
        return _with_environment(FileSettings(Settings(data_dir=Path())), None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    key = _cache_key(data)
    found = _cached(key) if key else None
    if found is None:
        # Here, not at the top: pydantic and the models cost about 0.1 s to import and
        # build, and a launch whose config is in the cache never needs them.
        from . import schema

        found = schema.validate(data, path)
        if key:
            _keep(key, found)
    return _with_environment(found, path)


def _with_environment(found: FileSettings, path: Path | None) -> Settings:
    """The file's settings with what the environment decides: the data folder
    ($HELPDESK_TUI_DATA_DIR, else the platform's), the agent ($HELPDESK_AGENT, else the
    OS user), the language (the locale's), and the home folder `~` stands for."""
    settings, mail = found.settings, found.settings.mail
    language = found.language or i18n.from_environment()
    return replace(
        settings,
        data_dir=Path(found.data_dir).expanduser() if found.data_dir else default_data_dir(),
        config_path=path,
        agent=os.environ.get(AGENT_ENV) or found.username or _os_user(),
        agent_source=("env" if os.environ.get(AGENT_ENV) else "config" if found.username else "os"),
        language=language,
        macros_dir=_beside(settings.macros_dir, path),
        mail=replace(
            mail,
            language=found.mail_language or language,
            ca_file=_expanded(mail.ca_file),
            templates_dir=_expanded(mail.templates_dir),
            maildir=_expanded(mail.maildir),
            quarantine_dir=_expanded(mail.quarantine_dir),
        ),
    )


def _expanded(path: Path | None) -> Path | None:
    return path.expanduser() if path is not None else None


def _beside(folder: Path | None, config: Path | None) -> Path | None:
    """`folder` with `~` expanded, and a relative one taken from the config file's folder
    (not from wherever the command happens to run)."""
    if folder is None:
        return None
    folder = folder.expanduser()
    return config.parent / folder if config is not None and not folder.is_absolute() else folder


def _os_user() -> str:
    import getpass  # only when neither $HELPDESK_AGENT nor [agent] username says

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "agent"


# -- the cache of validated config files ------------------------------------------------

_CACHE_FORMAT = b"helpdesk-tui config cache 1"
_CACHE_ENTRIES = 8
"""Config files kept at most (tests, a second config, the previous edit): the oldest go."""
_SHAPING_SOURCES = (
    "settings/config.py",
    "settings/schema.py",
    "settings/i18n.py",
    "settings/policies/__init__.py",
    "domain/followup.py",
    "domain/periods.py",
)
"""The modules whose code decides what a validated file is: a change to any of them
(an upgrade, a checkout, an edit) makes every cached file miss."""


def _cache_key(data: bytes) -> str:
    """The hash that names `data` validated by this code; "" where the code cannot be
    read (an install without sources), for then no cached file can be trusted."""
    digest = hashlib.sha256(_CACHE_FORMAT)
    digest.update(sys.version.encode())
    package = Path(__file__).resolve().parents[1]
    for name in _SHAPING_SOURCES:
        try:
            source = (package / name).read_bytes()
        except OSError:
            return ""
        digest.update(len(source).to_bytes(8, "big") + source)
    digest.update(data)
    return digest.hexdigest()


def _cache_file(key: str) -> Path:
    return default_cache_dir() / f"config-{key[:40]}.pickle"


def _cached(key: str) -> FileSettings | None:
    """The validated file kept under `key`, or None: whatever is wrong with the cache
    (missing, unreadable, corrupt, written by other code, not ours) means validating
    again, never an error."""
    try:
        fd = os.open(_cache_file(key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            if not _only_ours(os.fstat(handle.fileno())):
                return None
            stored_key, found = pickle.loads(handle.read())
    except Exception:  # a corrupt pickle raises anything, and is only a miss
        return None
    return found if stored_key == key and isinstance(found, FileSettings) else None


def _only_ours(status: os.stat_result) -> bool:
    """A pickle runs code when loaded: only one that we wrote and nobody else can."""
    owner_ok = not hasattr(os, "getuid") or status.st_uid == os.getuid()
    return owner_ok and not status.st_mode & 0o022


def _keep(key: str, found: FileSettings) -> None:
    """Cache `found`, atomically: a reader sees the whole file or none. A cache that
    cannot be written (read-only, full) only means validating again next time."""
    import tempfile  # only a miss writes

    folder = default_cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".config-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pickle.dumps((key, found), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, _cache_file(key))
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        kept = sorted(folder.glob("config-*.pickle"), key=_modified, reverse=True)
        for stale in kept[_CACHE_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except Exception:  # OSError mostly; nothing about a cache is worth stopping for
        pass


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
