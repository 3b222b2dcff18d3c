"""Backend tokens: the system keyring first, $HELPDESK_TOKEN for headless hosts, and an
explicit, owner-only (0600) token file for hosts that have neither.

Nothing here ever falls back to plaintext on its own: a host without a keyring backend
(keyring's `fail` or `null` backend, as on most SSH servers) gets a clear error that
offers the two ways out, and the file is only written after `--token-file` said so.
Tokens never appear in messages, reprs or logs.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .config import KEYRING_SERVICE, TOKEN_ENV

TOKEN_FILE_NAME = "token"


class SecretError(Exception):
    """A token cannot be stored or found; the message is one line and holds no secret."""


class NoKeyring(SecretError):
    """This host has no usable keyring backend."""


@dataclass(frozen=True, slots=True)
class Token:
    """A secret and where it came from; its repr and str never show the secret."""

    value: str
    source: str

    def __repr__(self) -> str:
        return f"Token(source={self.source!r}, value=<hidden>)"

    __str__ = __repr__


def account_for(url: str) -> str:
    """The keyring account a backend's token is kept under: its URL, without a path's slash."""
    return url.rstrip("/")


def keyring_usable() -> tuple[bool, str]:
    """Whether a real keyring backend is there, and its name (for messages)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False, "the keyring package is missing"
    backend = keyring.get_keyring()
    name = type(backend).__module__ + "." + type(backend).__name__
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__.lower():
        return False, name
    priority = getattr(backend, "priority", 1)
    try:
        usable = float(priority) > 0
    except (TypeError, ValueError):
        usable = True
    return usable, name


def no_keyring_message(backend: str) -> str:
    return (
        f"no system keyring on this host ({backend}); set ${TOKEN_ENV} for this session, or "
        "run `helpdesk-tui login --token-file` to keep the token in a file only you can read"
    )


def token_file(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE_NAME


def store_token(url: str, token: str, *, data_dir: Path, to_file: bool = False) -> str:
    """Keep `token` for the backend at `url`; returns where it went (for a message).

    Raises NoKeyring when there is no keyring and `to_file` was not asked for.
    """
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise SecretError("that is not a token (empty, or holds spaces)")
    if to_file:
        path = token_file(data_dir)
        _write_private(path, f"{account_for(url)}\n{token}\n")
        return f"file {path} (mode 0600)"
    usable, backend = keyring_usable()
    if not usable:
        raise NoKeyring(no_keyring_message(backend))
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, account_for(url), token)
    except KeyringError as exc:
        raise SecretError(f"the keyring refused the token: {type(exc).__name__}") from None
    return f"the system keyring ({backend})"


def load_token(url: str, *, data_dir: Path) -> Token:
    """The token for the backend at `url`: $HELPDESK_TOKEN, the keyring, then the opt-in
    file. Raises SecretError saying how to provide one."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return Token(env, f"${TOKEN_ENV}")
    usable, backend = keyring_usable()
    found = _from_keyring(url) if usable else None
    if found:
        return Token(found, "keyring")
    path = token_file(data_dir)
    if path.exists():
        return Token(_read_private(path, url), f"file {path}")
    if not usable:
        raise NoKeyring(no_keyring_message(backend))
    raise SecretError(f"no token for {account_for(url)}: run `helpdesk-tui login`")


def _from_keyring(url: str) -> str | None:
    """The secret kept in the system keyring for `url`, if any."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, account_for(url))
    except KeyringError as exc:
        raise SecretError(f"cannot read the keyring: {type(exc).__name__}") from None


DB_PASSWORD_ENV = "HELPDESK_DB_PASSWORD"
DB_LOGIN_ENV = "HELPDESK_DB_LOGIN"
"""The database login to sign in with in place of the URL's user: how `serve` gives each
browser session's app the login it signed in with."""


def load_db_password(url: str, *, data_dir: Path) -> str | None:
    """A PostgreSQL password: $HELPDESK_DB_PASSWORD, the keyring, then the opt-in file
    (all kept by `helpdesk-tui login` under the database URL). None when there is none:
    the server may not need one (trust, peer or certificate authentication)."""
    env = os.environ.get(DB_PASSWORD_ENV, "")
    if env:
        return env
    usable, _backend = keyring_usable()
    found = _from_keyring(url) if usable else None
    if found:
        return found
    path = token_file(data_dir)
    if path.exists():
        return _read_private(path, url)
    return None


def load_mail_password(account: str, env: str) -> str | None:
    """A mail server's password: $`env`, then the keyring entry of `account`
    ("smtp://user@host:587"); None when there is neither."""
    value = os.environ.get(env, "")
    if value:
        return value
    usable, _backend = keyring_usable()
    return _from_keyring(account) if usable else None


def store_mail_password(account: str, password: str) -> str:
    """Keep a mail server's password in the keyring (there is no file fallback: a host
    without a keyring sets the environment variable instead). Returns where it went."""
    if not password:
        raise SecretError("an empty password")
    usable, backend = keyring_usable()
    if not usable:
        raise NoKeyring(
            f"no system keyring on this host ({backend}); set $HELPDESK_SMTP_PASSWORD "
            "or $HELPDESK_IMAP_PASSWORD in the environment of the job instead"
        )
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, account_for(account), password)
    except KeyringError as exc:
        raise SecretError(f"the keyring refused the password: {type(exc).__name__}") from None
    return f"the system keyring ({backend})"


def forget_token(url: str, *, data_dir: Path) -> list[str]:
    """Remove the stored token from the keyring and the file; returns where it was."""
    removed = []
    usable, _backend = keyring_usable()
    if usable:
        import keyring
        from keyring.errors import KeyringError

        with contextlib.suppress(KeyringError):
            keyring.delete_password(KEYRING_SERVICE, account_for(url))
            removed.append("keyring")
    path = token_file(data_dir)
    if path.exists():
        path.unlink()
        removed.append(str(path))
    return removed


def _write_private(path: Path, text: str) -> None:
    """Create the file 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def _read_private(path: Path, url: str) -> str:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise SecretError(f"{path} is not a regular file: refusing to read a token from it")
    if info.st_mode & 0o077:
        raise SecretError(
            f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"chmod 600 {path}, then change the token: it may have leaked"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise SecretError(f"{path} belongs to another user: refusing to use it")
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) < 2 or not lines[1].strip():
        raise SecretError(f"{path} holds no token: run `helpdesk-tui login --token-file` again")
    if lines[0].strip() != account_for(url):
        raise SecretError(
            f"{path} holds the token of another server: run `helpdesk-tui login --token-file`"
        )
    return lines[1].strip()
