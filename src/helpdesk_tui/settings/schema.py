"""The config file's tables as pydantic models, and its errors as one line each.

Only `config.load_settings` imports this module, and only when the validated config is
not in its cache: importing pydantic, building these models and validating cost about
0.1 s, against under 1 ms for reading the cache, in a launch budget of 0.6 s. The models
are pydantic `BaseModel`s rather than SQLModel ones: `import sqlmodel` brings SQLAlchemy,
another 0.2 s on every cache miss, before the launch helper forks; and these tables are
never stored.

Every table refuses keys it does not declare (`[ui] theem` is an error, not a theme
left at its default), and is strict: TOML's types are the types, a string is never read
as a number. A key holding a secret (`password`, `token`, `secret` in its name) is refused
with where the secret belongs instead. One problem is reported, as one line: a secret
first, else the problem nearest the top of the file, as
`<file>, line N: <dotted.key>: <what is wrong>`.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from ..domain.followup import FollowUpError, FollowUpPolicy
from ..domain.periods import MAX_SPAN_MONTHS
from ..domain.toml_text import TomlError, read_toml
from . import i18n, toml_lines
from .config import (
    ConfigError,
    FileSettings,
    MailSettings,
    RtSettings,
    Settings,
    TerminalSettings,
    ViewConfig,
)
from .policies import builtin_names, is_policy_path
from .private import is_secret_name

_RULE = "config_rule"
"""The error type of our own checks, whose message is already in our words; a table-wide
check adds the key it is about, inside the table: "config_rule:rt.queues"."""
_MAX_DAYS = 3650


def _rule(message: str, key_in_table: str = "") -> PydanticCustomError:
    # No context: with one, pydantic would fill in {names} in the message, which quotes
    # what the file says.
    return PydanticCustomError(f"{_RULE}:{key_in_table}" if key_in_table else _RULE, message)


def _within(low: float, high: float, expected: str, *, above_low: bool = False) -> Any:
    """A number from `low` to `high` (above `low` with `above_low`); `expected` says so."""

    def check(value: float) -> float:
        inside = (low < value if above_low else low <= value) and value <= high
        if not inside:  # NaN fails every comparison: refused too
            raise _rule(f"{expected}, got {_shown(value)}")
        return value

    return AfterValidator(check)


def _filled(expected: str) -> Any:
    def check(value: str) -> str:
        if not value.strip():
            raise _rule(f"{expected}, got {value!r}")
        return value.strip()

    return AfterValidator(check)


def _stripped(text: str) -> str:
    return text.strip()


def _key_prefix(prefix: str) -> str:
    if not (prefix.isalnum() and prefix.isupper() and 1 <= len(prefix) <= 10):
        raise _rule(f"expected 1-10 capital letters, got {prefix!r}")
    return prefix


def _language(configured: str) -> str:
    code = configured.strip().lower()
    if code and code not in i18n.LANGUAGES:
        known = ", ".join(sorted(i18n.LANGUAGES))
        raise _rule(f"no catalogue for {configured!r} (have {known})")
    return code


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as exc:  # a broken [IPv6] host, a port that is not a number
        raise _rule(f"not a URL: {exc}") from None
    # libpq also takes a password (and a key's passphrase) as a query parameter.
    in_query = [name for name, _value in parse_qsl(parts.query) if is_secret_name(name)]
    if password or in_query:
        where = f" (?{in_query[0]}=…)" if in_query and not password else ""
        raise _rule(f"holds a password{where}; keep it in the keyring or $HELPDESK_DB_PASSWORD")
    return url


def _address(sender: str) -> str:
    sender = sender.strip()
    if not sender:
        return sender
    from email.headerregistry import Address  # only a file that sets [mail] from
    from email.utils import parseaddr

    name, address = parseaddr(sender)
    try:
        Address(name, addr_spec=address)
    except (ValueError, IndexError):
        address = ""
    if "@" not in address:
        raise _rule(f'not an address: {sender!r} (try "Support <s@x.org>")')
    return sender


Tier = Annotated[int, _within(1, 3, "expected tier 1, 2 or 3")]
Port = Annotated[int, _within(0, 65535, "expected a port number (0-65535)")]
Seconds = Annotated[float, _within(0, 600, "expected 0-600 seconds", above_low=True)]
Days = Annotated[float, _within(0, _MAX_DAYS, f"a number of days from 0 (never) to {_MAX_DAYS}")]
DaysAbove0 = Annotated[
    float, _within(0, _MAX_DAYS, f"a number of days above 0, at most {_MAX_DAYS}", above_low=True)
]
Language = Annotated[str, AfterValidator(_language)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RtAgentTable(_Table):
    """`[backend.rt.agents] alex = { tier = 2, role = "lead" }`"""

    tier: Tier = 3
    role: Literal["agent", "lead", "admin"] = "agent"


class BackendRtTable(_Table):
    queues: dict[str, Tier] = Field(default_factory=dict)
    lifecycle: Literal["helpdesk", "default"] = "helpdesk"
    timeout: Seconds = 15.0
    cache_seconds: Annotated[float, _within(0, 3600, "expected 0-3600 seconds")] = 30.0
    session_seconds: Annotated[float, _within(0, 86400, "expected 0-86400 seconds")] = 600.0
    parallel_requests: Annotated[int, _within(1, 8, "expected 1-8 requests")] = 2
    agents: dict[str, RtAgentTable] = Field(default_factory=dict)
    agent_groups: list[Annotated[str, _filled('expected a group name, e.g. "Helpdesk"')]] = Field(
        default_factory=list
    )


class BackendTable(_Table):
    kind: Literal["sql", "rt"] = "sql"
    url: Annotated[str, AfterValidator(_without_password)] = ""
    key_prefix: Annotated[str, AfterValidator(_key_prefix)] = "HD"
    verify_tls: bool = True
    insecure: bool = False
    """An http:// RT URL is allowed only with this: the token would cross the network in
    clear (a test server on this machine, never a real one)."""
    rt: BackendRtTable = Field(default_factory=BackendRtTable)

    @model_validator(mode="after")
    def _rt_needs_its_server_and_queues(self) -> BackendTable:
        if self.kind == "rt":
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _rule(f"RT needs an http(s) URL of the server, got {self.url!r}", "url")
            if parts.scheme == "http" and not self.insecure:
                raise _rule(
                    "http:// would send the RT token in clear: use https, or set"
                    " insecure = true in [backend] for a test server",
                    "url",
                )
            if not self.rt.queues:
                raise _rule('name the RT queues and their tiers, e.g. "Tier 1" = 1', "rt.queues")
        return self


class PathsTable(_Table):
    data_dir: str = ""


class AgentTable(_Table):
    username: str = ""


def _policy_name(configured: str) -> str:
    """A bundled policy's name, or the path of a policy file (read when the app starts)."""
    name = configured.strip()
    if is_policy_path(name):
        return name
    if name not in builtin_names():
        known = ", ".join(builtin_names())
        raise _rule(f"no built-in policy {name!r} (choose from {known}, or a path to a .toml file)")
    return name


class SlaTable(_Table):
    policy: str = "default"
    agreements: dict[str, Annotated[str, AfterValidator(_policy_name)]] = Field(
        default_factory=dict
    )
    """An organization (matched whatever its case) → the policy of its own agreement."""

    @field_validator("agreements")
    @classmethod
    def _one_agreement_per_organization(cls, agreements: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for organization in agreements:
            key = organization.strip().casefold()
            if not key:
                raise _rule(f"{organization!r}: an organization's name cannot be empty")
            if key in seen:
                raise _rule(
                    f"{seen[key]!r} and {organization!r} are one organization"
                    " (names match whatever their case)"
                )
            seen[key] = organization
        return agreements


class UiTable(_Table):
    theme: str = "helpdesk-dark"
    language: Language = ""
    bell: bool = False
    cursor_blink: bool = True


def _ticket_url(template: str) -> str:
    if not template:
        return template
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.hostname or "{key}" not in template:
        raise _rule('expected an http(s) URL with {key}, e.g. "https://hd.example.com/t/{key}"')
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in template):
        raise _rule("expected a URL without spaces or control characters")
    return template


class TerminalTable(_Table):
    clipboard: bool = True
    hyperlinks: bool = True
    ticket_url: Annotated[str, AfterValidator(_ticket_url)] = ""
    notifications: bool = True
    notify_with: Literal["osc9", "osc777"] = "osc9"
    shell: bool = True
    shell_timeout: Annotated[float, _within(1, 3600, "expected 1-3600 seconds")] = 30.0
    shell_output_kib: Annotated[int, _within(1, 1024, "expected 1-1024 KiB")] = 64
    presence: bool = True


class ViewTable(_Table):
    name: str
    filter: str = ""
    sort: str = "sla_due"


class RetentionTable(_Table):
    months: Annotated[int, _within(1, MAX_SPAN_MONTHS, f"expected 1-{MAX_SPAN_MONTHS} months")] = 24


class MacrosTable(_Table):
    dir: Annotated[str, AfterValidator(_stripped)] = ""
    """A folder of macros shared by the team (docs/macros.md)."""


class MailTable(_Table):
    sender: Annotated[str, AfterValidator(_address)] = Field(default="", alias="from")
    smtp_host: Annotated[str, AfterValidator(_stripped)] = ""
    smtp_port: Port = 0
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_user: str = ""
    ca_file: str = ""
    timeout: Seconds = 30.0
    templates_dir: str = ""
    language: Language = ""
    inbound: Literal["", "maildir", "imap"] = ""
    maildir: str = ""
    quarantine_dir: str = ""
    imap_host: Annotated[str, AfterValidator(_stripped)] = ""
    imap_port: Port = 0
    imap_security: Literal["none", "starttls", "ssl"] = "ssl"
    imap_user: str = ""
    imap_folder: str = "INBOX"
    organizations: dict[str, Annotated[str, _filled("expected an organization name")]] = Field(
        default_factory=dict
    )
    remind_after_days: DaysAbove0 = 3.0
    reminders: Annotated[int, _within(0, 10, "from 0 to 10")] = 2
    close_pending_after_days: Days = 10
    close_resolved_after_days: Days = 5

    @model_validator(mode="after")
    def _inbound_needs_its_source(self) -> MailTable:
        if self.inbound == "maildir" and not self.maildir.strip():
            raise _rule('inbound = "maildir" needs the path of the Maildir', "maildir")
        if self.inbound == "imap" and not self.imap_host:
            raise _rule('inbound = "imap" needs the IMAP server', "imap_host")
        return self


class ConfigFile(_Table):
    """The whole file: every table optional, every key in it declared."""

    agent: AgentTable = Field(default_factory=AgentTable)
    backend: BackendTable = Field(default_factory=BackendTable)
    paths: PathsTable = Field(default_factory=PathsTable)
    sla: SlaTable = Field(default_factory=SlaTable)
    ui: UiTable = Field(default_factory=UiTable)
    terminal: TerminalTable = Field(default_factory=TerminalTable)
    keys: dict[str, str] = Field(default_factory=dict)
    views: list[ViewTable] = Field(default_factory=list)
    retention: RetentionTable = Field(default_factory=RetentionTable)
    mail: MailTable = Field(default_factory=MailTable)
    macros: MacrosTable = Field(default_factory=MacrosTable)


def validate(data: bytes, origin: Path) -> FileSettings:
    """The config file's bytes, read from `origin`, as validated settings; a ConfigError
    of one line naming the file, the line and the key otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise ConfigError(f"{origin}, line {line}: not UTF-8 text (byte 0x{byte:02x})") from None
    try:
        raw = read_toml(text)
    except TomlError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    try:
        config = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_first_problem(exc, text, origin)) from None
    return _file_settings(config, raw, text, origin)


def _file_settings(
    config: ConfigFile, raw: dict[str, Any], text: str, origin: Path
) -> FileSettings:
    backend, rt, ui = config.backend, config.backend.rt, config.ui
    settings = Settings(
        data_dir=Path(),  # the environment may decide it: load_settings fills it in
        backend_kind=backend.kind,
        backend_url=backend.url,
        key_prefix=backend.key_prefix,
        verify_tls=backend.verify_tls,
        policy=config.sla.policy,
        agreements=dict(config.sla.agreements),
        theme=ui.theme,
        bell=ui.bell,
        cursor_blink=ui.cursor_blink,
        keymap=dict(config.keys),
        views=tuple(ViewConfig(view.name, view.filter, view.sort) for view in config.views),
        retention_months=config.retention.months,
        macros_dir=Path(config.macros.dir) if config.macros.dir else None,
        rt=RtSettings(
            queues=dict(rt.queues),
            lifecycle=rt.lifecycle,
            timeout=rt.timeout,
            cache_seconds=rt.cache_seconds,
            session_seconds=rt.session_seconds,
            parallel_requests=rt.parallel_requests,
            agents={name: (agent.tier, agent.role) for name, agent in rt.agents.items()},
            agent_groups=tuple(rt.agent_groups),
        ),
        mail=_mail_settings(config.mail, text, origin),
        terminal=TerminalSettings(**config.terminal.model_dump()),
        raw=raw,
    )
    return FileSettings(
        settings,
        data_dir=config.paths.data_dir,
        username=config.agent.username,
        language=ui.language,
        mail_language=config.mail.language,
    )


def _mail_settings(mail: MailTable, text: str, origin: Path) -> MailSettings:
    def path(configured: str) -> Path | None:
        return Path(configured) if configured else None  # `~` is expanded by load_settings

    def days(count: float) -> timedelta | None:
        return timedelta(days=count) if count else None

    try:
        followup = FollowUpPolicy(
            remind_after=timedelta(days=mail.remind_after_days),
            reminders=mail.reminders,
            close_pending_after=days(mail.close_pending_after_days),
            close_resolved_after=days(mail.close_resolved_after_days),
        )
    except FollowUpError as exc:  # the ranges above keep it from happening
        line = toml_lines.line_of(toml_lines.key_lines(text), ("mail",))
        raise ConfigError(f"{_where(origin, line)}: mail: {exc}") from None
    return MailSettings(
        sender=mail.sender,
        smtp_host=mail.smtp_host,
        smtp_port=mail.smtp_port,
        smtp_security=mail.smtp_security,
        smtp_user=mail.smtp_user,
        ca_file=path(mail.ca_file),
        timeout=mail.timeout,
        templates_dir=path(mail.templates_dir),
        inbound=mail.inbound,
        maildir=path(mail.maildir),
        quarantine_dir=path(mail.quarantine_dir),
        imap_host=mail.imap_host,
        imap_port=mail.imap_port,
        imap_security=mail.imap_security,
        imap_user=mail.imap_user,
        imap_folder=mail.imap_folder,
        organizations={domain.lower().strip(): name for domain, name in mail.organizations.items()},
        followup=followup,
    )


# -- one line per error ---------------------------------------------------------------


def _first_problem(error: ValidationError, text: str, origin: Path) -> str:
    """The problem to fix first: a secret in the file, else the one nearest its top."""
    lines = toml_lines.key_lines(text)
    problems = []
    for order, details in enumerate(error.errors(include_url=False)):
        path = tuple(details["loc"])
        kind, _colon, key_in_table = details["type"].partition(":")
        if kind == _RULE and key_in_table:
            path += tuple(key_in_table.split("."))
        secret = _is_secret(details)
        line = toml_lines.line_of(lines, path)
        rank = (not secret, line if line is not None else len(lines) + 1, order)
        problems.append((rank, path, line, _message(details, path, secret)))
    _rank, path, line, message = min(problems)
    return f"{_where(origin, line)}: {dotted(path)}: {message}"


def _where(origin: Path, line: int | None) -> str:
    return f"{origin}, line {line}" if line is not None else str(origin)


def dotted(path: tuple[str | int, ...]) -> str:
    """A key's path as TOML writes it: backend.rt.queues."Tier 1", views[0].name."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if toml_lines.is_bare_key(part) else _quoted(part)
        text += f".{name}" if text else name
    return text


def _quoted(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in escaped)
    return f'"{escaped}"'


def _is_secret(details: ErrorDetails) -> bool:
    if details["type"] != "extra_forbidden" or not details["loc"]:
        return False
    return is_secret_name(str(details["loc"][-1]))


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "an array",
}


def _message(details: ErrorDetails, path: tuple[str | int, ...], secret: bool) -> str:
    kind = details["type"]
    context = details.get("ctx") or {}
    if secret:
        return _secret_message(path)
    if kind.partition(":")[0] == _RULE:
        return details["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(path, "table" if isinstance(details["input"], dict) else "key")
    if kind == "missing":
        return "missing (this key is required)"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_shown(details['input'])}"
    if kind == "literal_error":
        return f"expected {context.get('expected')}, got {_shown(details['input'])}"
    if kind in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])
    return details["msg"]


def _secret_message(path: tuple[str | int, ...]) -> str:
    where = "use `helpdesk-tui login` (keyring) or $HELPDESK_TOKEN"
    if path[0] == "mail":
        where = "use `helpdesk-tui mail login smtp|imap` (keyring) or $HELPDESK_SMTP_PASSWORD"
    return f"secrets do not belong in the config file; {where}"


def _unknown_key(path: tuple[str | int, ...], what: str) -> str:
    known = _keys_of(path[:-1])
    if not known:
        return f"unknown {what}"
    close = difflib.get_close_matches(str(path[-1]), known, n=1)
    if close:
        return f"unknown {what} (did you mean {close[0]!r}?)"
    return f"unknown {what} (known here: {', '.join(known)})"


def _keys_of(path: tuple[str | int, ...]) -> list[str]:
    """The keys the table at `path` declares, as they are written in the file."""
    kind: Any = ConfigFile
    for part in path:
        if get_origin(kind) in (list, dict):  # `part` is an index or a name of our own
            kind = get_args(kind)[-1]
            continue
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            return []
        fields = {field.alias or name: field for name, field in kind.model_fields.items()}
        if part not in fields:
            return []
        kind = fields[str(part)].annotation
    if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
        return []
    return sorted(field.alias or name for name, field in kind.model_fields.items())


def _shown(value: object) -> str:
    """A value as the message shows it: scalars as written, the rest by their kind (an
    array in full might be long, and might hold what should not be echoed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57]) + "…"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return f"{value.isoformat()} (a date or time)"
    return type(value).__name__
