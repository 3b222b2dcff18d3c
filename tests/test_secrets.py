"""Backend tokens: keyring, $HELPDESK_TOKEN, and the explicit owner-only file; `login`."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from helpdesk_tui.cli import main as cli
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.settings import secrets
from helpdesk_tui.settings.config import ConfigError, load_settings

URL = "https://rt.example.test"
TOKEN = "1-42-0123456789abcdef0123456789abcdef"


class MemoryKeyring(KeyringBackend):
    """A real (if forgetful) keyring backend: what a desktop's Secret Service would be."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(params=[fail.Keyring, null.Keyring], ids=["fail", "null"])
def no_keyring(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(request.param())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPDESK_TOKEN", raising=False)


def test_keyring_round_trip_and_forget(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    where = secrets.store_token(URL + "/", TOKEN, data_dir=tmp_path)
    assert "keyring" in where and TOKEN not in where
    assert memory_keyring.items == {("helpdesk-tui", URL): TOKEN}
    token = secrets.load_token(URL, data_dir=tmp_path)
    assert (token.value, token.source) == (TOKEN, "keyring")
    assert TOKEN not in repr(token) and TOKEN not in str(token)
    assert secrets.forget_token(URL, data_dir=tmp_path) == ["keyring"]
    with pytest.raises(secrets.SecretError, match="helpdesk-tui login"):
        secrets.load_token(URL, data_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing on disk


def test_environment_variable_wins(
    memory_keyring: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.store_token(URL, TOKEN, data_dir=tmp_path)
    monkeypatch.setenv("HELPDESK_TOKEN", "1-1-fromtheenvironment")
    token = secrets.load_token(URL, data_dir=tmp_path)
    assert (token.value, token.source) == ("1-1-fromtheenvironment", "$HELPDESK_TOKEN")


def test_no_keyring_says_so_and_never_falls_back_to_a_file(
    no_keyring: None, tmp_path: Path
) -> None:
    with pytest.raises(secrets.NoKeyring) as caught:
        secrets.store_token(URL, TOKEN, data_dir=tmp_path)
    message = str(caught.value)
    assert "no system keyring" in message and "$HELPDESK_TOKEN" in message
    assert "--token-file" in message and TOKEN not in message
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    with pytest.raises(secrets.NoKeyring):
        secrets.load_token(URL, data_dir=tmp_path)


def test_the_opt_in_file_is_owner_only_and_checked_on_reading(
    no_keyring: None, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    where = secrets.store_token(URL, TOKEN, data_dir=data, to_file=True)
    path = secrets.token_file(data)
    assert str(path) in where
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert secrets.load_token(URL, data_dir=data).value == TOKEN
    with pytest.raises(secrets.SecretError, match="another server"):
        secrets.load_token("https://other.example.test", data_dir=data)
    path.chmod(0o644)
    with pytest.raises(secrets.SecretError, match="readable by others") as caught:
        secrets.load_token(URL, data_dir=data)
    assert TOKEN not in str(caught.value)
    path.chmod(0o600)
    link = tmp_path / "elsewhere"
    link.mkdir()
    (link / "token").symlink_to(path)
    with pytest.raises(secrets.SecretError, match="not a regular file"):
        secrets.load_token(URL, data_dir=link)


def test_not_a_token_is_refused(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    for bad in ("", "   ", "two words"):
        with pytest.raises(secrets.SecretError):
            secrets.store_token(URL, bad, data_dir=tmp_path)
    assert memory_keyring.items == {}


# --- config and `helpdesk-tui login` -------------------------------------------------

RT_CONFIG = f"""
[backend]
kind = "rt"
url = "{URL}"

[backend.rt.queues]
"Tier 1" = 1
"Tier 2" = 2
"""


def _config(tmp_path: Path, text: str = RT_CONFIG) -> Path:
    path = tmp_path / "helpdesk-tui.toml"
    path.write_text(text)
    return path


def test_rt_settings_are_read_and_checked(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path))
    assert settings.backend_kind == "rt" and settings.rt.queues == {"Tier 1": 1, "Tier 2": 2}
    assert settings.verify_tls is True and settings.rt.agent_groups == ()
    groups = load_settings(
        _config(tmp_path, RT_CONFIG + '[backend.rt]\nagent_groups = ["Staff"]\n')
    )
    assert groups.rt.agent_groups == ("Staff",)
    path = tmp_path / "helpdesk-tui.toml"
    for text, where in (
        (RT_CONFIG + '\n[backend.rt]\ntoken = "x"\n', "line 11: backend.rt.token: secrets"),
        ('[backend]\nkind = "rt"\nurl = "https://rt.test"\n', "line 1: backend.rt.queues"),
        (RT_CONFIG.replace('"Tier 2" = 2', '"Tier 2" = 5'), 'line 8: backend.rt.queues."Tier 2"'),
        ('[backend]\nkind = "rt"\nurl = "rt.test"\n', "line 3: backend.url"),
        (RT_CONFIG + '[backend.rt]\nlifecycle = "odd"\n', "line 10: backend.rt.lifecycle"),
        (RT_CONFIG + '[backend.rt]\nagent_groups = "Staff"\n', "line 10: backend.rt.agent_groups"),
        (
            RT_CONFIG + '[backend.rt]\nagent_groups = ["Staff", 3]\n',
            "line 10: backend.rt.agent_groups[1]",
        ),
        (RT_CONFIG + '[backend.rt]\nagent_groups = [" "]\n', "line 10: backend.rt.agent_groups[0]"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_settings(_config(tmp_path, text))
        assert str(caught.value).startswith(f"{path}, {where}"), str(caught.value)
        assert "\n" not in str(caught.value)


def test_the_rt_settings_reach_the_rt_backend(tmp_path: Path) -> None:
    # Defaults: reads on RT's web session for 10 minutes, a page in two requests at once.
    config = bootstrap.rt_config(load_settings(_config(tmp_path)))
    assert (config.session_seconds, config.parallel_requests) == (600.0, 2)
    tuned = RT_CONFIG + "[backend.rt]\nsession_seconds = 0\nparallel_requests = 3\n"
    config = bootstrap.rt_config(load_settings(_config(tmp_path, tuned)))
    assert (config.session_seconds, config.parallel_requests) == (0.0, 3)
    assert config.queues == {"Tier 1": 1, "Tier 2": 2}


def _login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    code = cli.main(["--config", str(_config(tmp_path)), "login", "--stdin", "--no-check", *args])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def test_login_keeps_the_token_in_the_keyring(
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _err = _login(tmp_path, monkeypatch, capsys)
    assert code == 0 and "system keyring" in out
    assert memory_keyring.items[("helpdesk-tui", URL)] == TOKEN
    assert TOKEN not in (tmp_path / "helpdesk-tui.toml").read_text()
    assert _login(tmp_path, monkeypatch, capsys, "--forget")[0] == 0
    assert memory_keyring.items == {}


def test_login_without_a_keyring_refuses_then_writes_the_file_only_when_asked(
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated_env: Path,
) -> None:
    code, _out, err = _login(tmp_path, monkeypatch, capsys)
    assert code == 2 and "no system keyring" in err and "--token-file" in err
    assert not secrets.token_file(isolated_env).exists()
    code, out, err = _login(tmp_path, monkeypatch, capsys, "--token-file")
    assert code == 0 and "0600" in out and "warning" in err
    path = secrets.token_file(isolated_env)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secrets.load_token(URL, data_dir=isolated_env).value == TOKEN


def test_login_is_for_a_remote_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The local SQLite file needs no secret: there is nothing to log in to.
    config = _config(tmp_path, '[backend]\nkind = "sql"\n')
    code = cli.main(["--config", str(config), "login", "--stdin"])
    assert code == 2 and "remote store" in capsys.readouterr().err
