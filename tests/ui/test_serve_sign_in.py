"""`serve --allow-remote`: each browser signs in with the store's own login.

A real server over TLS, on a real PostgreSQL store whose agents have logins of their
own, and Debian's Chromium driven over the DevTools protocol: a wrong password gets the
form again, the right one gets the app, and the app shows only what that login's row-
level security lets it read (a globex ticket assigned to t1 included: t1 serves acme).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.serve import is_loopback
from tests.store.conftest import make_ticket
from tests.store.support import AGENT_PASSWORD
from tests.ui.test_serve import (
    UPGRADE,
    DevTools,
    _free_port,
    _stop,
    _wait_for_http,
    ask,
    assert_refused,
    chromium,
    needs_browser,
    self_signed,
)

POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@dataclass
class Remote:
    """A `serve --allow-remote` on loopback over TLS, and its log."""

    process: subprocess.Popen[bytes]
    address: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}/"

    @property
    def host(self) -> str:
        return f"{self.address}:{self.port}"

    def children(self) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found += [int(pid) for pid in (task / "children").read_text().split()]
        return found


def _own_public_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if is_loopback(address) or address == "0.0.0.0" else address


@contextmanager
def serving(store_url: str, tmp_path: Path, host: str = "127.0.0.1") -> Iterator[Remote]:
    """The store (t1 serves acme; a globex ticket is assigned to t1 all the same, as an
    import could have left it) served to other machines, started by its owner as root."""
    repo = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        repo.save_agent(Agent("root", "Root", tier=3, role=Role.ADMIN))
        repo.save_agent(Agent("t1", "Tess", tier=1, organizations=("acme",)))
        repo.set_agent_password("t1", AGENT_PASSWORD)
        for n, (subject, org) in enumerate(
            (("Acme invoices stuck", "acme"), ("Globex payroll down", "globex")), start=1
        ):
            ticket = make_ticket(n, subject=subject, organization=org, assignee="t1")
            repo.create(ticket, actor="root")
    finally:
        repo.close()
    config = tmp_path / "helpdesk-tui.toml"
    config.write_text(f"[backend]\nurl = {json.dumps(store_url)}\n")
    cert, key = self_signed(tmp_path, host)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "helpdesk_tui", "--config", str(config), "serve", "--host", host]
    argv += ["--port", str(port), "--allow-remote", "--tls-cert", str(cert), "--tls-key", str(key)]
    env = dict(os.environ, HELPDESK_AGENT="root")
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Remote(process, host, port, log_path)
    try:
        _wait_for_http(running.url, process)
        yield running
    finally:
        _stop(process)


@pytest.fixture
def remote(store_url: str, tmp_path: Path, data_dir: Path) -> Iterator[Remote]:
    with serving(store_url, tmp_path) as running:
        yield running


async def _post(remote: Remote, form: dict[str, str], **headers: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            remote.url + "sign-in",
            data=form,
            headers={"Host": remote.host, "Origin": f"https://{remote.host}", **headers},
            allow_redirects=False,
            ssl=False,
        ) as answer,
    ):
        return answer.status, await answer.text(), answer.headers.get("Set-Cookie", "")


def post(remote: Remote, form: dict[str, str], **headers: str) -> tuple[int, str, str]:
    return asyncio.run(_post(remote, form, **headers))


@POSTGRES
def test_a_signed_out_browser_gets_the_form_and_bad_input_gets_it_again(remote: Remote) -> None:
    # Empty, filled wrong, too long, and from another site's page: no session, no app.
    status, page, cookie = post(remote, {"login": "", "secret": ""})
    assert (status, cookie) == (403, "") and "fill in both fields" in page
    status, page, cookie = post(remote, {"login": "t1", "secret": "not it"})
    assert (status, cookie) == (403, "") and "do not sign in to this helpdesk" in page
    status, page, cookie = post(remote, {"login": "t1" * 40, "secret": "x"})
    assert (status, cookie) == (403, "") and "longer than any login" in page
    status, page, cookie = post(remote, {"login": "<b>t1</b>", "secret": "x"})
    assert status == 403 and "<b>" not in page
    status, page, cookie = post(
        remote, {"login": "t1", "secret": AGENT_PASSWORD}, Origin="https://evil.example"
    )
    assert (status, cookie) == (403, "") and "another site" in page
    # The printed key of a local serve is no way in here.
    assert "open the address" not in remote.log.read_text()
    assert remote.children() == []
    # Filled right: a session cookie, HttpOnly, SameSite=Strict, Secure.
    status, _, cookie = post(remote, {"login": "t1", "secret": AGENT_PASSWORD})
    assert status == 303 and cookie.startswith(f"helpdesk_session_{remote.port}=")
    assert all(flag in cookie for flag in ("HttpOnly", "SameSite=Strict", "Secure"))
    # The password is in no log line.
    assert AGENT_PASSWORD not in remote.log.read_text()


def test_serve_allow_remote_refuses_a_store_without_logins(tmp_path: Path, data_dir: Path) -> None:
    cert, key = self_signed(tmp_path, "127.0.0.1")
    tls = ["--tls-cert", str(cert), "--tls-key", str(key)]
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_tui", "serve", "--port", "9", "--allow-remote", *tls],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip().splitlines()[-1] == (
        "helpdesk-tui: --allow-remote signs each browser in with the store's own logins "
        "(a PostgreSQL login or an RT token); this store has none"
    )


async def _sign_in_and_read(remote: Remote, profile: Path) -> tuple[str, str]:
    # The test's own self-signed certificate: Chromium is told to take it.
    async with chromium(profile, "--ignore-certificate-errors") as tools:
        await tools.call("Page.navigate", url=remote.url)
        refused = await _submit(tools, "t1", "wrong password")
        await _submit(tools, "t1", AGENT_PASSWORD)
        await tools.wait_for("HD-1", "Acme invoices stuck")
        await asyncio.sleep(1.0)  # everything the first page has
        return refused, await tools.screen()


async def _submit(tools: DevTools, login: str, password: str) -> str:
    """Type into the sign-in form as a person would and send it; the page that answers."""
    await _until(tools, "document.querySelector('input[name=login]') !== null")
    await tools.call(
        "Runtime.evaluate",
        expression=(
            f"document.querySelector('input[name=login]').value = {json.dumps(login)};"
            f"document.querySelector('input[name=secret]').value = {json.dumps(password)};"
            "document.querySelector('form').submit();"
        ),
    )
    await asyncio.sleep(0.5)
    await _until(tools, "document.readyState === 'complete'")
    answer = await tools.call("Runtime.evaluate", expression="document.body.innerText")
    return str(answer["result"].get("value", ""))


async def _until(tools: DevTools, condition: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        answer = await tools.call("Runtime.evaluate", expression=condition)
        if answer["result"].get("value") is True:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never true in the browser: {condition}")


@needs_browser
@POSTGRES
def test_a_browser_signs_in_is_refused_a_wrong_password_and_sees_its_organizations(
    remote: Remote, tmp_path: Path
) -> None:
    refused, screen = asyncio.run(_sign_in_and_read(remote, tmp_path / "chromium-profile"))
    assert "do not sign in to this helpdesk" in refused
    # Signed in as t1: the acme ticket; the globex one, assigned to t1 all the same, is
    # not there: the database did not let t1's login read it.
    assert "Acme invoices stuck" in screen
    assert "Globex payroll down" not in screen and "HD-2" not in screen
    # The session's app runs as t1's own login, not as root who started the server.
    assert "[t1]" in screen and "[root]" not in screen


@POSTGRES
def test_with_allow_remote_only_the_configured_address_is_served(
    store_url: str, tmp_path: Path, data_dir: Path
) -> None:
    address = _own_public_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to listen on")
    with serving(store_url, tmp_path, host=address) as running:
        mine = running.host
        status, _, set_cookie = post(running, {"login": "t1", "secret": AGENT_PASSWORD})
        assert status == 303
        cookie = set_cookie.split(";")[0]
        assert running.url.startswith("https://")
        assert ask(running.url, Host=mine, Cookie=cookie).status == 200
        assert ask(running.url, Host=mine, Origin=f"https://{mine}", Cookie=cookie).status == 200
        # Without a session: the sign-in form, and nothing else of the app.
        assert ask(running.url, Host=mine).content_type == "text/html"
        assert_refused(ask(running.url + "static/js/textual.js", Host=mine))
        # Loopback names are not the configured address, and another site is still another.
        assert_refused(ask(running.url, Host=f"localhost:{running.port}", Cookie=cookie))
        assert_refused(ask(running.url, Host="evil.example", Cookie=cookie))
        evil = {"Origin": "https://evil.example", "Cookie": cookie}
        assert_refused(ask(running.url + "ws", Host=mine, **evil, **UPGRADE))
        # Plain http to a TLS server's page is another origin.
        assert_refused(ask(running.url, Host=mine, Origin=f"http://{mine}", Cookie=cookie))
        assert running.children() == []
