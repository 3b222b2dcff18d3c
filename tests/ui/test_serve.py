"""`helpdesk-tui serve`: the queue reaches a real browser, and no other site's page does.

The test starts the real server, opens its page in Debian's `chromium` and speaks the
DevTools protocol to it. Before the page's own script runs, a hook records what the
page's WebSocket receives (the terminal bytes that xterm.js draws on a canvas), so the
test can read the screen the browser was sent. It then presses a key in the browser
and checks the app answered, and keeps a screenshot (HELPDESK_BROWSER_SHOT=path copies
it out: that is how docs/screenshots/browser.png is made).

The other tests start the same server and speak raw HTTP and WebSocket to it as a
hostile page would through the agent's browser: another site's `Origin`, or a rebound
DNS name in `Host`. They check the refusal, and that no app process was started for it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from helpdesk_tui.ui.serve import (
    Served,
    app_command,
    is_loopback,
    parse_authority,
    parse_origin,
)
from helpdesk_tui.ui.web_server import envelope
from tests.ui.conftest import ME

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_browser = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("HELPDESK_REQUIRE_BROWSER") != "1",
    reason="chromium is not installed (apt-get install chromium)",
)

# Collects the text of every binary WebSocket message, decoded as the terminal stream.
RECORD_FRAMES = """
window.__screen = "";
(() => {
  const Original = window.WebSocket;
  const decoder = new TextDecoder();
  function Recording(...args) {
    const ws = new Original(...args);
    ws.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) {
        window.__screen += decoder.decode(new Uint8Array(event.data), {stream: true});
      } else if (event.data instanceof Blob) {
        event.data.arrayBuffer().then((b) => {
          window.__screen += decoder.decode(new Uint8Array(b), {stream: true});
        });
      }
    });
    return ws;
  }
  Recording.prototype = Original.prototype;
  Object.assign(Recording, Original);
  window.WebSocket = Recording;
})();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until the server answers at `url` (a refusal is an answer: it is up)."""
    import ssl
    import urllib.error
    import urllib.request

    # A TLS server's certificate is the test's own, self-signed: reaching it is enough.
    unverified = ssl._create_unverified_context()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=unverified):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url} within {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Running:
    """A `helpdesk-tui serve` process and where it answers."""

    process: subprocess.Popen[bytes]
    address: str
    port: int
    log: Path
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}:{self.port}/"

    @property
    def key(self) -> str:
        """The session key, from the address `serve` printed to open."""
        match = re.search(r"helpdesk-tui: open \S+\?key=(\S+)", self.output())
        assert match, self.output()[-1000:]
        return match[1]

    @property
    def cookie(self) -> str:
        """The Cookie header of a browser signed in to this server."""
        return f"helpdesk_session_{self.port}={self.key}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """The server's child processes: textual-serve starts one app per WebSocket."""
        found: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found += [int(pid) for pid in (task / "children").read_text().split()]
        return found


Start = Callable[..., Running]


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` and its key, made by openssl for the test."""
    cert, key = folder / "server.crt", folder / "server.key"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*request, "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def start_server(tmp_path: Path, data_dir: Path) -> Iterator[Start]:
    """Starts real servers on free ports, over a store already holding demo tickets."""
    env = dict(os.environ, HELPDESK_AGENT=ME)
    started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(*, host: str = "127.0.0.1") -> Running:
        port = _free_port()
        log_path = tmp_path / f"serve-{port}.log"
        log = log_path.open("wb")
        argv = [sys.executable, "-m", "helpdesk_tui", "serve", "--host", host, "--port", str(port)]
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        running = Running(process, host, port, log_path)
        _wait_for_http(running.url, process)
        return running

    try:
        yield start
    finally:
        for process, log in started:
            _stop(process)
            log.close()


@pytest.fixture
def served(start_server: Start) -> Running:
    """The app served on a free loopback port."""
    return start_server()


class DevTools:
    """Just enough of the Chrome DevTools protocol: numbered calls on one page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        mine = self.next_id
        await self.ws.send_json({"id": mine, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == mine:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    async def screen(self) -> str:
        answer = await self.call("Runtime.evaluate", expression="window.__screen")
        return str(answer["result"].get("value", ""))

    async def wait_for(self, *needles: str, timeout: float = 45) -> str:
        deadline = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < deadline:
            seen = await self.screen()
            if all(needle in seen for needle in needles):
                return seen
            await asyncio.sleep(0.25)
        raise AssertionError(f"{needles} never reached the browser; it got {seen[-400:]!r}")

    async def type(self, text: str) -> None:
        # Keys go to xterm.js's hidden textarea, as a person's typing would.
        await self.call(
            "Runtime.evaluate",
            expression="document.querySelector('.xterm-helper-textarea').focus()",
        )
        await self.call("Input.insertText", text=text)

    async def escape(self) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Escape",
                code="Escape",
                windowsVirtualKeyCode=27,
            )


@asynccontextmanager
async def chromium(profile: Path, *flags: str) -> AsyncIterator[DevTools]:
    """Headless Chromium on a page of its own, recording what its WebSockets receive."""
    port = _free_port()
    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # the tests may run as root, where the sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            *flags,
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            targets: list[dict[str, Any]] = []
            for _ in range(150):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
                        targets = [t for t in await answer.json() if t.get("type") == "page"]
                    if targets:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            assert targets, "chromium opened no page to drive"
            async with http.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tools = DevTools(ws)
                await tools.call("Page.enable")
                await tools.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_FRAMES)
                yield tools
    finally:
        _stop(browser)


async def _browse(url: str, profile: Path, shot: Path) -> str:
    async with chromium(profile) as tools:
        await tools.call("Page.navigate", url=url)
        queue = await tools.wait_for("HD-", "My open")
        await tools.type("?")
        await tools.wait_for("remap any of them by id")
        await tools.escape()
        await asyncio.sleep(1.0)
        picture = await tools.call("Page.captureScreenshot", format="png")
        shot.write_bytes(base64.b64decode(picture["data"]))
        return queue


@needs_browser
def test_the_queue_appears_in_a_real_browser(served: Running, tmp_path: Path) -> None:
    shot = tmp_path / "browser.png"
    # The address `serve` printed: its key signs the browser in, as a cookie.
    login = f"{served.url}?key={served.key}"
    screen = asyncio.run(_browse(login, tmp_path / "chromium-profile", shot))
    # The app's queue, drawn by the app process the server started for this browser.
    assert "HD-" in screen and "My open" in screen
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    keep = os.environ.get("HELPDESK_BROWSER_SHOT")
    if keep:
        shutil.copyfile(shot, keep)


def test_a_browser_without_the_session_key_gets_nothing(served: Running) -> None:
    mine = f"127.0.0.1:{served.port}"
    origin = f"http://{mine}"
    for path in ("", "static/js/textual.js", "no-such-page"):
        assert_refused(ask(served.url + path, Host=mine))
        assert_refused(ask(served.url + path, Host=mine, Cookie=f"{served.cookie}x"))
    assert_refused(ask(served.url + "ws", Host=mine, Origin=origin, **UPGRADE))
    other_port = f"helpdesk_session_{served.port + 1}={served.key}"
    assert_refused(ask(served.url + "ws", Host=mine, Origin=origin, Cookie=other_port, **UPGRADE))
    for wrong in ("", "x", served.key[:-1], served.key + "x"):
        assert_refused(ask(f"{served.url}?key={wrong}", Host=mine))
    assert served.children() == []
    # The printed address signs in: a cookie only this server's pages send, and the key
    # gone from the address bar.
    answer = asyncio.run(_sign_in(f"{served.url}?key={served.key}", mine))
    assert answer.status == 303 and answer.location == "/"
    assert answer.cookie.startswith(f"{served.cookie};")
    assert "HttpOnly" in answer.cookie and "SameSite=Strict" in answer.cookie
    assert ask(served.url, Host=mine, Cookie=served.cookie).status == 200


@dataclass
class SignIn:
    status: int
    location: str
    cookie: str


async def _sign_in(url: str, host: str) -> SignIn:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Host": host}, allow_redirects=False) as answer,
    ):
        return SignIn(
            answer.status,
            answer.headers.get("Location", ""),
            answer.headers.get("Set-Cookie", ""),
        )


def test_serve_refuses_a_public_address_without_saying_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_tui", "serve", "--host", "0.0.0.0", "--port", "9"],
        capture_output=True,
        text=True,
        env=dict(os.environ, HELPDESK_AGENT=ME),
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("helpdesk-tui: 0.0.0.0 is not a loopback address")
    # Meant, but without TLS: the key and every key press would cross the network.
    missing_cert, missing_key = str(tmp_path / "missing.crt"), str(tmp_path / "missing.key")
    for extra in (
        [],
        ["--tls-cert", missing_cert],
        ["--tls-cert", missing_cert, "--tls-key", missing_key],
    ):
        serve = [sys.executable, "-m", "helpdesk_tui", "serve", "--host", "0.0.0.0", "--port", "9"]
        refused = subprocess.run(
            [*serve, "--allow-remote", *extra],
            capture_output=True,
            text=True,
            env=dict(os.environ, HELPDESK_AGENT=ME),
            timeout=60,
        )
        assert refused.returncode == 2 and refused.stdout == ""
        said = refused.stderr.strip().splitlines()
        assert len(said) == 1 and any(
            why in said[0] for why in ("needs TLS", "both --tls-cert", "cannot use")
        ), said


def test_each_browser_session_runs_this_interpreter_with_the_same_config() -> None:
    command = app_command(Path("/etc/hd conf.toml"), "dana")
    assert command.startswith(f"{sys.executable} -m helpdesk_tui --config ")
    assert "'/etc/hd conf.toml'" in command and command.endswith("--as dana")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


# -- who may talk to the server ---------------------------------------------------------

UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


async def _ask(url: str, headers: dict[str, str]) -> Answer:
    """One request with exactly these headers (Host included), read to the end."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers=headers, allow_redirects=False, ssl=False) as answer,
    ):
        return Answer(answer.status, answer.content_type, await answer.read())


def ask(url: str, **headers: str) -> Answer:
    return asyncio.run(_ask(url, headers))


def assert_refused(answer: Answer, status: int = 403) -> None:
    """A short plain-text refusal: no page, no app bytes, no traceback."""
    assert answer.status == status, answer
    assert answer.content_type == "text/plain"
    text = answer.body.decode()
    assert text.startswith(f"{status} ") and text.count("\n") == 1 and len(text) < 200
    assert "Traceback" not in text and "<html" not in text.lower() and "\x1b" not in text


async def _stream(
    served: Running, origin: str, host: str, *needles: str
) -> tuple[str, list[int], str]:
    """Opens the app's WebSocket as a page would: the terminal text up to `needles`, the
    server's children while connected, and the answer to a ping."""
    url = served.url
    screen = ""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{url}ws", origin=origin, headers={"Host": host, "Cookie": served.cookie}
        ) as ws,
    ):
        deadline = time.monotonic() + 45
        while not all(n in screen for n in needles) and time.monotonic() < deadline:
            message = await ws.receive(timeout=45)
            if message.type == aiohttp.WSMsgType.BINARY:
                screen += message.data.decode(errors="replace")
            elif message.type != aiohttp.WSMsgType.TEXT:
                break
        children = served.children()
        await ws.send_json(["ping", "still-here"])
        while True:
            message = await ws.receive(timeout=10)
            if message.type == aiohttp.WSMsgType.TEXT:
                return screen, children, str(message.data)


async def _refused_upgrade(url: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(f"{url}ws", headers=headers):
                pass
        except aiohttp.WSServerHandshakeError as refusal:
            return refusal.status
    raise AssertionError(f"the WebSocket was accepted with {headers}")


def test_another_sites_page_gets_no_websocket_and_no_app(served: Running) -> None:
    mine = f"127.0.0.1:{served.port}"
    # What a page on another site (or a sandboxed frame, or a file://) sends when it
    # opens `new WebSocket("ws://127.0.0.1:<port>/ws")` in the agent's browser.
    for origin in (
        "https://evil.example",
        "http://evil.example",
        "null",
        f"http://127.0.0.1:{served.port + 1}",
        f"https://127.0.0.1:{served.port}",
        f"http://127.0.0.1:{served.port}.evil.example",
        f"http://evil.example@127.0.0.1:{served.port}",
    ):
        answer = ask(served.url + "ws", Host=mine, Origin=origin, Cookie=served.cookie, **UPGRADE)
        assert_refused(answer)
        signed_in = {"Origin": origin, "Cookie": served.cookie}
        assert asyncio.run(_refused_upgrade(served.url, signed_in)) == 403
    # A browser always sends Origin on an upgrade: one without is no page of ours.
    assert_refused(ask(served.url + "ws", Host=mine, Cookie=served.cookie, **UPGRADE))
    assert served.children() == [], "an app process was started for a refused socket"
    assert served.process.poll() is None
    assert "refused GET '/ws'" in served.output()


def test_a_rebound_dns_name_is_refused_on_every_route(served: Running) -> None:
    port = served.port
    for host in (
        "evil.example",
        f"evil.example:{port}",
        f"127.0.0.1:{port + 1}",
        f"evil.example@127.0.0.1:{port}",
        f"127.0.0.1:{port}/x",
        "",
    ):
        for path in ("", "static/js/textual.js", "download/x", "no-such-page"):
            assert_refused(ask(served.url + path, Host=host, Cookie=served.cookie))
        # The rebound page's own origin is evil.example too.
        origin = f"http://{host}"
        answer = ask(served.url + "ws", Host=host, Origin=origin, Cookie=served.cookie, **UPGRADE)
        assert_refused(answer)
    assert served.children() == []


def test_the_servers_own_addresses_still_get_the_page_and_the_queue(served: Running) -> None:
    port = served.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        page = ask(served.url, Host=host, Cookie=served.cookie)
        assert page.status == 200 and b"textual.js" in page.body, host
        # The page's own script, fetched with the page's Origin.
        script = ask(
            served.url + "static/js/textual.js",
            Host=host,
            Origin=f"http://{host}",
            Cookie=served.cookie,
        )
        assert script.status == 200 and len(script.body) > 10_000
    # The page names the served address for its WebSocket, whatever name opened it.
    page = ask(served.url, Host=f"localhost:{port}", Cookie=served.cookie)
    assert f"ws://127.0.0.1:{port}/ws".encode() in page.body
    # A tab opened as localhost talks to 127.0.0.1 with its own origin: that is ours too.
    screen, children, pong = asyncio.run(
        _stream(served, f"http://localhost:{port}", f"127.0.0.1:{port}", "HD-", "My open")
    )
    assert "HD-" in screen and "My open" in screen
    # What the refusal tests check is absent: an accepted socket has its app process.
    assert len(children) == 1
    assert pong == '["pong", "still-here"]'
    # A plain GET on the socket's route is told what it is, without a traceback.
    plain = ask(
        served.url + "ws",
        Host=f"127.0.0.1:{port}",
        Origin=f"http://127.0.0.1:{port}",
        Cookie=served.cookie,
    )
    assert_refused(plain, status=400)
    assert "Traceback" not in served.output()


async def _send_junk(url: str, origin: str, cookie: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}ws", origin=origin, headers={"Cookie": cookie}) as ws,
    ):
        for junk in ("not json", "{}", "[]", "[1, 2]", '["stdin", 5]', '["resize", "big"]'):
            await ws.send_str(junk)
        await ws.send_str('["resize", {"width": 99999999, "height": -1}]')
        await ws.send_json(["ping", "after the junk"])
        while True:
            message = await ws.receive(timeout=30)
            if message.type == aiohttp.WSMsgType.TEXT:
                return str(message.data)
            assert message.type == aiohttp.WSMsgType.BINARY, message


def test_a_websocket_message_outside_the_protocol_is_ignored_not_a_traceback(
    served: Running,
) -> None:
    pong = asyncio.run(_send_junk(served.url, f"http://127.0.0.1:{served.port}", served.cookie))
    # Still connected and answering after every malformed message.
    assert pong == '["pong", "after the junk"]'
    time.sleep(0.5)
    log = served.output()
    assert "Traceback" not in log and "Error" not in log, log[-2000:]
    assert log.count("ignored a WebSocket message") == 4


def test_the_accepted_names_follow_the_served_address() -> None:
    loopback = Served.at("127.0.0.1", 8000)
    assert loopback.url == "http://127.0.0.1:8000"
    assert loopback.accepted == {("127.0.0.1", 8000), ("localhost", 8000), ("::1", 8000)}
    assert Served.at("::1", 80).url == "http://[::1]"
    assert ("localhost", 8000) in Served.at("0.0.0.0", 8000).accepted
    assert Served.at("10.1.2.3", 8000).accepted == {("10.1.2.3", 8000)}
    assert Served.at("Helpdesk.Example", 443).accepted == {("helpdesk.example", 443)}

    assert parse_authority("[0:0:0:0:0:0:0:1]:8000") == ("::1", 8000)
    assert parse_authority("LOCALHOST") == ("localhost", 80)
    for bad in ("evil@127.0.0.1:8000", "127.0.0.1:99999", "127.0.0.1:", "a b", "[::1", ""):
        assert parse_authority(bad) is None, bad
    assert parse_origin("http://127.0.0.1:8000") == ("127.0.0.1", 8000)
    for bad in ("null", "https://127.0.0.1:8000", "127.0.0.1:8000", "http://127.0.0.1:8000/"):
        assert parse_origin(bad) is None, bad
    # The default port is left out of an origin: it is the one the server listens on.
    assert Served.at("127.0.0.1", 80).refusal(["127.0.0.1"], ["http://localhost"], True) is None
    assert Served.at("127.0.0.1", 8000).refusal(["127.0.0.1:8000"], [], True) is not None

    assert envelope('["stdin", "q"]') == ("stdin", "q")
    assert envelope('["blur"]') == ("blur", None)
    for junk in ("not json", "{}", "[]", "[1]", '"stdin"'):
        assert envelope(junk) is None, junk
