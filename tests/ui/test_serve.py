"""`helpdesk-tui serve` in a real headless Chromium: the queue reaches the browser.

The test starts the real server, opens its page in Debian's `chromium` and speaks the
DevTools protocol to it. Before the page's own script runs, a hook records what the
page's WebSocket receives (the terminal bytes that xterm.js draws on a canvas), so the
test can read the screen the browser was sent. It then presses a key in the browser
and checks the app answered, and keeps a screenshot (HELPDESK_BROWSER_SHOT=path copies
it out: that is how docs/screenshots/browser.png is made).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from helpdesk_tui.ui.serve import app_command, is_loopback
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
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The app served on a free loopback port, over a store with demo tickets."""
    env = dict(os.environ, HELPDESK_AGENT=ME)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "helpdesk_tui", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(process)
        log.close()


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


async def _browse(url: str, profile: Path, shot: Path) -> str:
    port = _free_port()
    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # the tests may run as root, where the sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
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
                await tools.call("Page.navigate", url=url)
                queue = await tools.wait_for("HD-", "My open")
                await tools.type("?")
                await tools.wait_for("remap any of them by id")
                await tools.escape()
                await asyncio.sleep(1.0)
                picture = await tools.call("Page.captureScreenshot", format="png")
                shot.write_bytes(base64.b64decode(picture["data"]))
                return queue
    finally:
        _stop(browser)


@needs_browser
def test_the_queue_appears_in_a_real_browser(served: str, tmp_path: Path) -> None:
    shot = tmp_path / "browser.png"
    screen = asyncio.run(_browse(served, tmp_path / "chromium-profile", shot))
    # The app's queue, drawn by the app process the server started for this browser.
    assert "HD-" in screen and "My open" in screen
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    keep = os.environ.get("HELPDESK_BROWSER_SHOT")
    if keep:
        shutil.copyfile(shot, keep)


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


def test_each_browser_session_runs_this_interpreter_with_the_same_config() -> None:
    command = app_command(Path("/etc/hd conf.toml"), "dana")
    assert command.startswith(f"{sys.executable} -m helpdesk_tui --config ")
    assert "'/etc/hd conf.toml'" in command and command.endswith("--as dana")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")
