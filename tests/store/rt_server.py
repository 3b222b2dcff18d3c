"""A real Request Tracker 5 for the tests: Debian's install, our own database and port.

The session fixture `rt_server` installs nothing. It uses Debian's `request-tracker5`
and `rt5-db-sqlite` packages when they are installed (CI installs them, see the RT issue's
CI snippet), builds a fresh SQLite database in a temporary folder with RT's own
`rt-setup-database`, starts `rt-server` on a free 127.0.0.1 port, creates an auth token
for root, and then creates the helpdesk's custom fields and users THROUGH REST2 (only
applying the custom fields globally and granting rights go through RT's Perl API: REST2
in RT 5.0 has no endpoint for either). Without RT the tests are skipped, unless
HELPDESK_REQUIRE_RT=1, when they fail.

`RtProxy` is a real HTTP proxy in front of that RT which a test can make misbehave (401,
403, 5xx, garbage, slowness, a closed port): how the app meets a failing server without
recorded responses or mocks.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpdesk_tui.store.rt import CUSTOM_FIELDS, RtConfig, RtRepository

RT_SHARE = Path("/usr/share/request-tracker5")
RT_SERVER = RT_SHARE / "libexec" / "rt-server"
RT_SETUP_DB = Path("/usr/sbin/rt-setup-database-5")
RT_SQLITE_DRIVER = Path("/usr/share/doc/rt5-db-sqlite")
REQUIRE_ENV = "HELPDESK_REQUIRE_RT"
USERS = ("me", "alice", "bob", "carol", "dave")
AGENT_GROUP = "Helpdesk agents"
"""The user-defined group whose members are the helpdesk's agents (root and USERS)."""

SITE_CONFIG = """\
Set($rtname, 'helpdesk-test');
Set($Organization, 'helpdesk.test');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{db}');
Set($DatabaseHost, 'localhost');
Set($DatabaseUser, '');
Set($DatabasePassword, '');
Set($WebPath, '');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($CanonicalizeRedirectURLs, 0);
Set($MasonDataDir, '{work}/mason');
Set($MasonSessionDir, '{work}/sessions');
Set($MailCommand, 'testfile');
Set($LogToSTDERR, 'warning');
Set($LogToSyslog, undef);
Set($Timezone, 'UTC');
Set($DisallowExecuteCode, 1);
Set(%FullTextSearch, Enable => 1, Indexed => 0);
Set($MaxAttachmentSize, 4*1024*1024);
Set($TruncateLongAttachments, 1);
Set(%Lifecycles,
    helpdesk => {{
        initial  => ['new'],
        active   => ['open', 'pending', 'on hold'],
        inactive => ['resolved', 'closed', 'cancelled'],
        defaults => {{
            on_create => 'new', on_merge => 'resolved', approved => 'open',
            denied => 'cancelled', reminder_on_open => 'open', reminder_on_resolve => 'resolved',
        }},
        transitions => {{
            ''        => ['new', 'open', 'pending', 'on hold', 'resolved', 'closed', 'cancelled'],
            new       => ['open', 'pending', 'on hold', 'resolved', 'closed', 'cancelled'],
            open      => ['new', 'pending', 'on hold', 'resolved', 'closed', 'cancelled'],
            pending   => ['new', 'open', 'on hold', 'resolved', 'closed', 'cancelled'],
            'on hold' => ['new', 'open', 'pending', 'resolved', 'closed', 'cancelled'],
            resolved  => ['new', 'open', 'pending', 'on hold', 'closed', 'cancelled'],
            closed    => ['new', 'open', 'pending', 'on hold', 'resolved', 'cancelled'],
            cancelled => ['new', 'open', 'pending', 'on hold', 'resolved', 'closed'],
        }},
        rights  => {{ '* -> *' => 'ModifyTicket' }},
        actions => [],
    }},
);
1;
"""

PERL_PRELUDE = "use RT; RT::LoadConfig(); RT::Init();"

PERL_TOKEN = (
    PERL_PRELUDE
    + """
my $u = RT::User->new(RT->SystemUser); $u->Load($ARGV[0]) or die "no user";
my $t = RT::AuthToken->new(RT->SystemUser);
my ($ok, $msg, $auth) = $t->Create(Owner => $u->Id, Description => 'helpdesk-tui tests');
die $msg unless $ok; print "TOKEN=$auth\\n";
"""
)

PERL_APPLY_CFS = (
    PERL_PRELUDE
    + """
for my $id (@ARGV) {
    my $cf = RT::CustomField->new(RT->SystemUser); $cf->Load($id) or die "no cf $id";
    my ($ok, $msg) = $cf->AddToObject(RT::Queue->new(RT->SystemUser)); die $msg unless $ok;
}
print "OK\\n";
"""
)

PERL_GRANT = (
    PERL_PRELUDE
    + """
my ($group_name, @rights) = @ARGV;
my $group = RT::Group->new(RT->SystemUser);
$group->LoadSystemInternalGroup($group_name) or die "no group";
for my $right (@rights) {
    my ($ok, $msg) = $group->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
    die $msg unless $ok || $msg =~ /already/i;
}
print "OK\\n";
"""
)

PERL_GRANT_USER = (
    PERL_PRELUDE
    + """
my ($user, $queue, @rights) = @ARGV;
my $u = RT::User->new(RT->SystemUser); $u->Load($user) or die "no user";
my $q = RT::Queue->new(RT->SystemUser); $q->Load($queue) or die "no queue";
for my $right (@rights) {
    my ($ok, $msg) = $u->PrincipalObj->GrantRight(Right => $right, Object => $q);
    die $msg unless $ok || $msg =~ /already/i;
}
print "OK\\n";
"""
)

AGENT_RIGHTS = (
    "SeeQueue",
    "ShowTicket",
    "CreateTicket",
    "ModifyTicket",
    "OwnTicket",
    "ReplyToTicket",
    "CommentOnTicket",
    "ShowTicketComments",
    "Watch",
    "WatchAsAdminCc",
    "SeeCustomField",
    "ModifyCustomField",
    "ShowOutgoingEmail",
    "ManageAuthTokens",
)


def rt_installed() -> bool:
    return RT_SERVER.is_file() and RT_SETUP_DB.is_file() and shutil.which("perl") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RtServer:
    """A running RT: its URL, root's token, and helpers that act through REST2."""

    url: str
    token: str
    work: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/REST/2.0/",
            headers={"Authorization": f"token {token or self.token}"},
            timeout=60,
        )

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        with self.api() as client:
            response = client.request(method, path, json=body)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    def perl(self, script: str, *args: str) -> str:
        done = subprocess.run(
            ["perl", f"-I{RT_SHARE / 'lib'}", "-e", script, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"RT perl helper failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def token_for(self, user: str) -> str:
        if user not in self.tokens:
            out = self.perl(PERL_TOKEN, user)
            self.tokens[user] = next(
                line[6:] for line in out.splitlines() if line.startswith("TOKEN=")
            )
        return self.tokens[user]

    def create_user(self, name: str, privileged: bool = True) -> None:
        self.rest(
            "POST",
            "user",
            {
                "Name": name,
                "RealName": name.title(),
                "EmailAddress": f"{name}@helpdesk.test",
                "Privileged": 1 if privileged else 0,
            },
        )

    def create_group(self, name: str, *members: str) -> int:
        """A user-defined group holding `members` (user names), made through REST2."""
        group = int(self.rest("POST", "group", {"Name": name})["id"])
        ids = [int(self.rest("GET", f"user/{member}")["id"]) for member in members]
        self.rest("PUT", f"group/{group}/members", ids)
        return group

    def grant(self, user: str, queue: str, *rights: str) -> None:
        """Grant `user` (not a group) rights on one queue, through RT's Perl API."""
        self.perl(PERL_GRANT_USER, user, queue, *rights)

    def create_queues(self, prefix: str | None = None) -> dict[str, int]:
        """Three fresh queues, one a tier, in the helpdesk lifecycle: tests keep apart."""
        prefix = prefix or f"q{uuid.uuid4().hex[:8]}"
        queues = {f"{prefix} Tier {tier}": tier for tier in (1, 2, 3)}
        for name in queues:
            self.rest("POST", "queue", {"Name": name, "Lifecycle": "helpdesk"})
        return queues

    def config(self, queues: dict[str, int], **changes: Any) -> RtConfig:
        changes.setdefault("agent_groups", (AGENT_GROUP,))
        return RtConfig(url=self.url, queues=queues, key_prefix="HD", **changes)

    def repository(self, queues: dict[str, int] | None = None, **changes: Any) -> RtRepository:
        return RtRepository.open(self.config(queues or self.create_queues(), **changes), self.token)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rt-server exited: {log.read_text()[-800:]}")
        try:
            httpx.get(f"{url}/REST/2.0/rt", timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError("rt-server did not answer within 120 s")


def start_rt(work: Path) -> RtServer:
    """Set up a fresh RT database in `work` and start rt-server on a free port."""
    port = free_port()
    for sub in ("mason", "sessions", "etc.d"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    config = work / "RT_SiteConfig.pm"
    config.write_text(SITE_CONFIG.format(db=work / "rt.db", port=port, work=work))
    env = {
        **os.environ,
        "RT_SITE_CONFIG": str(config),
        "RT_SITE_CONFIG_DIR": str(work / "etc.d"),  # not Debian's /etc snippets
        "PERL5LIB": str(RT_SHARE / "lib"),
    }
    subprocess.run(
        [str(RT_SETUP_DB), "--action", "init", "--skip-create"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    log = work / "rt-server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(RT_SERVER), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RtServer(url=url, token="", work=work, env=env, process=process)
    try:
        _wait_until_up(url, process, log)
        server.token = server.token_for("root")
        cf_ids = []
        for name in CUSTOM_FIELDS.values():
            kind = "Text" if name == CUSTOM_FIELDS["state"] else "Freeform"
            made = server.rest(
                "POST",
                "customfield",
                {"Name": name, "Type": kind, "MaxValues": 1, "LookupType": "RT::Queue-RT::Ticket"},
            )
            cf_ids.append(str(made["id"]))
        server.perl(PERL_APPLY_CFS, *cf_ids)
        server.perl(PERL_GRANT, "Privileged", *AGENT_RIGHTS)
        for user in USERS:
            server.create_user(user)
        server.create_group(AGENT_GROUP, "root", *USERS)
    except BaseException:
        stop_rt(server)
        raise
    return server


def stop_rt(server: RtServer) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=20)


@pytest.fixture(scope="session")
def rt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtServer]:
    """A running RT 5 from Debian's packages, with a fresh database, for the session."""
    if not rt_installed():
        message = (
            "Request Tracker 5 is not installed "
            "(apt-get install request-tracker5 rt5-db-sqlite; see docs/backends-rt.md)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {message}")
        pytest.skip(message)
    server = start_rt(tmp_path_factory.mktemp("rt"))
    try:
        yield server
    finally:
        stop_rt(server)


# --- a proxy in front of RT that misbehaves on demand ----------------------------------

Hook = Callable[[http.server.BaseHTTPRequestHandler], bool | None]
"""Called with the request before it is forwarded; True: it answered the request itself."""


def answer(status: int, body: bytes, kind: str = "application/json") -> Hook:
    """A hook that answers `status` with `body` instead of RT."""

    def hook(handler: http.server.BaseHTTPRequestHandler) -> bool:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting (a timeout test): nobody to answer
        return True

    return hook


def stall(seconds: float) -> Hook:
    """A hook that keeps the client waiting, then lets the request through."""

    def hook(handler: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return hook


class RtProxy:
    """A real forwarding HTTP proxy on a loopback port in front of RT.

    `hooks` maps "METHOD last-path-segment" ("PUT 12", "POST correspond", "GET tickets")
    or "*" (any request) to a Hook; `down()` closes the port (connection refused) and
    `up()` opens the same port again.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.hooks: dict[str, Hook] = {}
        self.seen: list[str] = []
        """"METHOD path" of every request that came in, in order."""
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Forward(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.seen.append(f"{self.command} {self.path.split('?')[0]}")
                segment = self.path.split("?")[0].rstrip("/").split("/")[-1]
                hook = proxy.hooks.get(f"{self.command} {segment}") or proxy.hooks.get("*")
                if hook is not None and hook(self) is True:
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                response = httpx.request(
                    self.command,
                    proxy.target + self.path,
                    headers=headers,
                    content=body,
                    timeout=60,
                )
                self.send_response(response.status_code)
                for name in ("Content-Type", "ETag", "Location"):
                    if name in response.headers:
                        self.send_header(name, response.headers[name])
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_PUT = do_POST = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                pass

        return Forward

    def up(self) -> None:
        """Listen (again, on the same port once it had one)."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        """Stop listening: a client now finds the port closed."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.down()
