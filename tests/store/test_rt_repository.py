"""RtRepository against a real Request Tracker 5 (Debian's packages, see rt_server.py):
what only RT adds to the contract every store keeps (tests/store/test_contract.py runs
that on RT too).

Its capabilities; tickets outside its queues; files as RT keeps them (encoded names, cut
paths, its size cap, the download cache); one request per queue page, caching,
conditional requests and If-Match; what RT answers 200 to without doing it (unknown
users, missing rights); and every way the server can fail. No recorded responses: the
misbehaving servers are real local HTTP servers (rt_server.RtProxy, in front of RT or of
nothing).
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.domain.model import ACTIVE_STATUSES, Agent, Priority, Role, Status, Team
from helpdesk_tui.store.base import (
    Capability,
    ConflictError,
    InvalidInput,
    NewAttachment,
    NotFound,
    Query,
    SortKey,
    StoreError,
    StoreUnavailable,
    TicketRepository,
)
from helpdesk_tui.store.rt import (
    RtAuthError,
    RtBadResponse,
    RtConfig,
    RtForbidden,
    RtRepository,
    RtServerError,
    RtTimeout,
    RtUnsupported,
)

from .conftest import NOW, make_ticket
from .rt_server import (  # noqa: F401  (rt_server: the session fixture)
    RtProxy,
    RtServer,
    answer,
    free_port,
    rt_server,
    stall,
)
from .support import ME, change, note, reply


@pytest.fixture
def repo(rt_server: RtServer, tmp_path: Path) -> Iterator[RtRepository]:  # noqa: F811
    """A repository on three fresh queues of its own: an empty store for each test."""
    repository = rt_server.repository(cache_dir=tmp_path / "cache")
    try:
        yield repository
    finally:
        repository.close()


@pytest.fixture
def proxy(rt_server: RtServer) -> Iterator[RtProxy]:  # noqa: F811
    """A real forwarding proxy in front of RT that a test can make misbehave."""
    forward = RtProxy(rt_server.url)
    try:
        yield forward
    finally:
        forward.close()


def through(proxy: RtProxy, rt: RtServer) -> RtRepository:
    """A repository on fresh queues that reaches RT through `proxy`."""
    return RtRepository.open(replace(rt.config(rt.create_queues()), url=proxy.url), rt.token)


# --- what RT can do, and what it cannot ----------------------------------------------------


def test_capabilities_are_rts_and_the_rest_is_refused(repo: RtRepository) -> None:
    assert isinstance(repo, TicketRepository)
    assert repo.capabilities == {
        Capability.FULL_TEXT,
        Capability.ATTACHMENTS,
        Capability.WATCHERS,
        Capability.CSAT,
        Capability.LIVE_CHANGES,
        Capability.MERGE,
    }
    for refused in (
        lambda: repo.purge(NOW, ME, NOW, dry_run=True),
        lambda: repo.bulk_import([(make_ticket(), [])]),
        lambda: repo.save_agent(Agent("x", "X")),
        lambda: repo.save_team(Team("net")),
        lambda: repo.claim_next(Query(), lambda t: None),
        # RT's search does not rank: no RANKED_SEARCH, and a ranked page is refused.
        lambda: repo.query(Query(text="printer", sort=SortKey.RELEVANCE)),
    ):
        with pytest.raises(RtUnsupported):
            refused()


def test_a_ticket_in_another_queue_is_not_one_of_ours(
    repo: RtRepository,
    rt_server: RtServer,  # noqa: F811
) -> None:
    other = rt_server.repository()
    try:
        elsewhere = other.create(make_ticket(), actor=ME)
    finally:
        other.close()
    for call in (repo.get, repo.comments, repo.history):
        with pytest.raises(StoreError, match="no ticket"):
            call(elsewhere.key)
    assert repo.count(Query()) == 0


def test_agents_are_rts_privileged_users(repo: RtRepository) -> None:
    names = [a.username for a in repo.agents()]
    assert {"root", ME, "bob", "carol"} <= set(names)
    assert repo.get_agent("bob").email == "bob@helpdesk.test"


def test_agents_come_from_user_defined_groups_because_rt_hides_privileged(
    rt_server: RtServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Since 5.0.3+dfsg-3~deb12u7 REST2 serves user-defined groups only: the Privileged
    group is refused on purpose. Agents come from named groups (nested ones followed)
    and named users; an unprivileged member is no agent; a missing group is one line."""
    with rt_server.api() as client:
        found = client.post("groups", json=[{"field": "Name", "value": "Privileged"}])
    assert found.status_code == 200 and found.json()["items"] == []
    suffix = uuid.uuid4().hex[:6]
    customer = f"cust{suffix}"
    rt_server.create_user(customer, privileged=False)
    inner = rt_server.create_group(f"inner {suffix}", "dave")
    outer = rt_server.create_group(f"outer {suffix}", "carol", customer)
    rt_server.rest("PUT", f"group/{outer}/members", [inner])
    repository = rt_server.repository(
        cache_dir=tmp_path / "cache",
        agent_groups=(f"outer {suffix}",),
        agents={"alice": (1, Role.LEAD)},
    )
    try:
        agents = {a.username: a for a in repository.agents()}
        assert set(agents) == {"alice", "carol", "dave"}
        assert (agents["alice"].tier, agents["alice"].role) == (1, Role.LEAD)
        with pytest.raises(NotFound):
            repository.get_agent(customer)
    finally:
        repository.close()
    missing = rt_server.repository(agent_groups=(f"nobody {suffix}",))
    try:
        with pytest.raises(StoreUnavailable, match=f"no group 'nobody {suffix}'"):
            missing.agents()
    finally:
        missing.close()


def test_rt_stamps_created_with_its_own_clock(repo: RtRepository) -> None:
    """REST2 drops a Created given on create since 5.0.3+dfsg-3~deb12u7: the store says so
    (no KEEPS_CREATED) and reports RT's own time, never the one it was given."""
    assert Capability.KEEPS_CREATED not in repo.capabilities
    before = datetime.now(UTC).replace(microsecond=0)
    stored = repo.create(make_ticket(created_at=NOW - timedelta(days=400)), actor=ME)
    assert before <= stored.created_at <= datetime.now(UTC)
    assert repo.get(stored.key).created_at == stored.created_at


# --- files as RT keeps them --------------------------------------------------------------


def test_files_rt_would_mangle_travel_safely_and_are_cached_privately(
    repo: RtRepository,
    rt_server: RtServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    latin = "Grüße aus Köln\n".encode("latin-1")  # text, but not UTF-8
    sources = {
        'résumé ✓ "final".txt': ("text/plain", "Ünïcode text ✓\n".encode()),
        "../../etc/evil name?.bin": ("application/octet-stream", bytes(range(256)) * 40),
        "latin.txt": ("text/plain", latin),
    }
    files = []
    for n, (name, (kind, data)) in enumerate(sources.items()):
        path = tmp_path / f"source-{n}"
        path.write_bytes(data)
        files.append(NewAttachment(name, path, kind))
    repo.apply(change(ticket, comment=reply("Logs attached ✓"), attachments=files))
    [message] = repo.comments(ticket.key)
    assert message.body == "Logs attached ✓"
    # RT cuts the path off a name (the rest arrives intact, quotes and all).
    assert [a.filename for a in message.attachments] == [
        'résumé ✓ "final".txt',
        "evil name?.bin",
        "latin.txt",
    ]
    assert [a.content_type for a in message.attachments] == [k for k, _d in sources.values()]
    for attachment, (_kind, data) in zip(message.attachments, sources.values(), strict=True):
        assert attachment.id is not None
        assert (attachment.size, attachment.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        path = repo.attachment_path(ticket.key, attachment.id)
        assert path.read_bytes() == data, attachment.filename  # byte for byte, latin-1 too
        assert (tmp_path / "cache") in path.parents and "/" not in path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    # Asked again, a file comes from the cache: the ticket and the file's listing are
    # checked (the token may have lost the right to see it), nothing is downloaded.
    first = message.attachments[0]
    assert first.id is not None
    before = repo.requests
    repo.attachment_path(ticket.key, first.id)
    assert repo.requests - before == 2
    # Without a cache folder in the config, a private one lives as long as the store.
    private = rt_server.repository(queues=dict(repo.config.queues))
    try:
        where = private.attachment_path(ticket.key, first.id)
        assert where.read_bytes() == sources['résumé ✓ "final".txt'][1]
        assert stat.S_IMODE(where.parent.parent.stat().st_mode) == 0o700
    finally:
        private.close()
    assert not where.exists() and not where.parent.parent.exists()


def test_files_need_a_message_and_content_on_rt(repo: RtRepository, tmp_path: Path) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    token = repo.change_token()
    log = tmp_path / "log.txt"
    log.write_text("x")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match="with a reply or note"):
        repo.apply(change(ticket, attachments=[NewAttachment("log.txt", log)]))
    with pytest.raises(InvalidInput, match="empty"):
        repo.apply(change(ticket, comment=note("x"), attachments=[NewAttachment("e", empty)]))
    assert repo.get(ticket.key) == ticket
    assert repo.comments(ticket.key) == []
    assert repo.change_token() == token


def test_a_file_rt_cuts_short_is_reported_not_hidden(repo: RtRepository, tmp_path: Path) -> None:
    # The test RT truncates files over its MaxAttachmentSize (4 MiB; 3 MiB for binary
    # data, which it stores base64-encoded), as an RT admin may configure it.
    ticket = repo.create(make_ticket(), actor=ME)
    data = os.urandom(5 * 1024 * 1024)
    source = tmp_path / "core.dump"
    source.write_bytes(data)
    with pytest.raises(InvalidInput, match="cut short") as caught:
        repo.apply(
            change(
                ticket, comment=note("core dump"), attachments=[NewAttachment("core.dump", source)]
            )
        )
    assert "core.dump" in str(caught.value) and "posted" in str(caught.value)
    [message] = repo.comments(ticket.key)  # the note is there, and says what RT kept
    [kept] = message.attachments
    assert message.body == "core dump" and kept.id is not None
    stored = repo.attachment_path(ticket.key, kept.id).read_bytes()
    assert 0 < len(stored) < len(data) and data.startswith(stored)
    assert kept.size == len(stored) and kept.sha256 == ""


# --- the remote store's own promises -------------------------------------------------------


def test_a_queue_page_is_one_search_request_cached_until_something_changes(
    repo: RtRepository,
) -> None:
    made = [repo.create(make_ticket(n, status=Status.OPEN), actor=ME) for n in range(3)]
    query = Query(statuses=ACTIVE_STATUSES, limit=50)
    assert repo.count(query) == 3  # RT said how many match: not worth splitting the page
    before = repo.requests
    page = repo.query(query)
    assert (page.total, repo.requests - before) == (3, 1)
    repo.query(query)
    assert repo.requests - before == 1  # served from the cache
    token = repo.change_token()
    repo.query(query)
    assert repo.requests - before == 2  # the poll itself; nothing changed, still cached
    repo.apply(change(made[0], fields={"priority": Priority.HIGH}))
    assert repo.change_token() != token
    before = repo.requests
    assert repo.query(query).tickets[0].priority is Priority.HIGH
    assert repo.requests - before == 1


def test_single_tickets_are_revalidated_with_if_none_match(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    first = repo.revalidated
    assert repo.get(ticket.key) == ticket
    assert repo.get(ticket.key) == ticket
    assert repo.revalidated == first + 2  # 304 Not Modified, twice


# --- what RT answers 200 to without doing it -------------------------------------------


def test_an_unknown_assignee_is_refused_before_anything_is_written(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    with pytest.raises(StoreError, match="assignee"):
        repo.apply(change(ticket, fields={"assignee": "nobody-such"}))
    assert repo.get(ticket.key) == ticket


def test_rt_rights_refusals_are_errors_and_nothing_is_lost(
    rt_server: RtServer,  # noqa: F811
) -> None:
    # A user RT lets see and answer tickets in these queues, but not change them
    # (no ModifyTicket, no ModifyCustomField, no CreateTicket).
    queues = rt_server.create_queues()
    user = f"viewer{uuid.uuid4().hex[:6]}"
    rt_server.create_user(user, privileged=False)
    for queue in queues:
        rt_server.grant(
            user,
            queue,
            "SeeQueue",
            "ShowTicket",
            "ShowTicketComments",
            "SeeCustomField",
            "ReplyToTicket",
            "CommentOnTicket",
        )
    token = rt_server.token_for(user)
    owner = rt_server.repository(queues)
    limited = RtRepository.open(rt_server.config(queues), token)
    try:
        ticket = owner.create(make_ticket(status=Status.OPEN), actor=ME)
        assert limited.get(ticket.key) == ticket
        # RT answers the PUT with 200 and "Permission Denied" inside: never a success.
        with pytest.raises(RtForbidden) as caught:
            limited.apply(
                change(ticket, fields={"priority": Priority.HIGH}, comment=reply("on it"))
            )
        text = _one_line_without_secret(caught.value, token)
        assert "RT rights" in text and "reply was NOT posted" in text
        with pytest.raises(RtForbidden):
            limited.apply(change(ticket, comment=note("just a note")))
        with pytest.raises(RtForbidden, match="403"):
            limited.create(make_ticket(), actor=user)
        assert owner.get(ticket.key) == ticket
        assert owner.comments(ticket.key) == []
        assert [e.field for e in owner.history(ticket.key)] == ["created"]
    finally:
        limited.close()
        owner.close()


# --- conflicts only a remote store has ----------------------------------------------------


def test_a_write_in_rt_itself_since_the_agent_read_is_a_conflict(
    repo: RtRepository,
    rt_server: RtServer,  # noqa: F811
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    seen = repo.get(ticket.key)
    # Somebody changes the ticket in RT's own UI (here: through REST2 as root).
    rt_server.rest("PUT", f"ticket/{ticket.id}", {"Subject": "changed in RT"})
    with pytest.raises(ConflictError) as caught:
        repo.apply(change(seen, fields={"priority": Priority.LOW}))
    assert caught.value.changed_fields == ("subject",)
    assert caught.value.current.subject == "changed in RT"
    assert repo.get(ticket.key).priority is Priority.MEDIUM
    # The agent has now seen their change: a retry on what they see goes through.
    retried = repo.apply(change(caught.value.current, fields={"priority": Priority.LOW}))
    assert retried.priority is Priority.LOW and retried.subject == "changed in RT"


def test_rt_refusing_if_match_with_412_is_a_conflict_and_writes_nothing(
    rt_server: RtServer,  # noqa: F811
    proxy: RtProxy,
) -> None:
    repo = through(proxy, rt_server)
    ticket = repo.create(make_ticket(), actor=ME)

    def race(handler: Any) -> bool:
        # Another writer gets in between our read and our write.
        proxy.hooks.clear()
        rt_server.rest("PUT", f"ticket/{ticket.id}", {"Subject": "their subject"})
        return False

    proxy.hooks[f"PUT {ticket.id}"] = race
    with pytest.raises(ConflictError) as caught:
        repo.apply(change(ticket, fields={"priority": Priority.LOW}, comment=note("mine")))
    assert caught.value.changed_fields == ("subject",)
    stored = repo.get(ticket.key)
    assert (stored.subject, stored.priority) == ("their subject", Priority.MEDIUM)
    assert repo.comments(ticket.key) == []
    repo.close()


# --- failures: each a one-line StoreError without the token, and nothing lost ---------------

SECRET = "1-14-0123456789abcdef0123456789abcdef"


def _config(url: str, **changes: Any) -> RtConfig:
    return RtConfig(url=url, queues={"Tier 1": 1}, key_prefix="HD", **changes)


def _one_line_without_secret(exc: BaseException, token: str = SECRET) -> str:
    text = str(exc)
    assert "\n" not in text and token not in text and token not in repr(exc)
    assert len(text) < 300
    return text


@pytest.fixture
def bad_server() -> Iterator[RtProxy]:
    """A real local HTTP server in front of nothing: its hooks answer every request."""
    server = RtProxy(f"http://127.0.0.1:{free_port()}")
    try:
        yield server
    finally:
        server.close()


def test_unreachable_server() -> None:
    port = free_port()  # bound and closed again: nothing listens there
    with pytest.raises(StoreUnavailable) as caught:
        RtRepository.open(_config(f"http://127.0.0.1:{port}"), SECRET)
    text = _one_line_without_secret(caught.value)
    assert f"127.0.0.1:{port}" in text and "refused" in text


def test_wrong_token_is_401(rt_server: RtServer) -> None:  # noqa: F811
    with pytest.raises(RtAuthError) as caught:
        RtRepository.open(_config(rt_server.url), SECRET)
    assert "401" in _one_line_without_secret(caught.value)
    assert "helpdesk-tui login" in str(caught.value)


def test_a_user_who_sees_no_queue_is_told_which(rt_server: RtServer) -> None:  # noqa: F811
    queues = rt_server.create_queues()
    user = f"nobody{uuid.uuid4().hex[:6]}"
    rt_server.create_user(user, privileged=False)
    token = rt_server.token_for(user)
    with pytest.raises(StoreUnavailable, match="has no queue") as caught:
        RtRepository.open(rt_server.config(queues), token)
    _one_line_without_secret(caught.value, token)


def test_server_error_is_5xx(bad_server: RtProxy) -> None:
    bad_server.hooks["*"] = answer(502, b"<html>Bad gateway\n\n</html>", "text/html")
    with pytest.raises(RtServerError) as caught:
        RtRepository.open(_config(bad_server.url), SECRET)
    assert "502" in _one_line_without_secret(caught.value)


def test_malformed_json(bad_server: RtProxy) -> None:
    bad_server.hooks["*"] = answer(200, b'{"Version": "5.0.3", oops')
    with pytest.raises(RtBadResponse) as caught:
        RtRepository.open(_config(bad_server.url), SECRET)
    assert "malformed JSON" in _one_line_without_secret(caught.value)


def test_timeout(bad_server: RtProxy) -> None:
    slow, reply_later = stall(3), answer(200, b"{}")
    bad_server.hooks["*"] = lambda handler: slow(handler) or reply_later(handler)
    started = time.monotonic()
    with pytest.raises(RtTimeout) as caught:
        RtRepository.open(_config(bad_server.url, timeout=0.5), SECRET)
    assert time.monotonic() - started < 2.5
    assert "did not answer within 0.5 s" in _one_line_without_secret(caught.value)


def test_tls_is_verified_unless_the_config_says_not(bad_server: RtProxy) -> None:
    bad_server.hooks["*"] = answer(200, b"{}")
    url = bad_server.url.replace("http://", "https://")
    with pytest.raises(StoreUnavailable) as caught:
        RtRepository.open(_config(url), SECRET)
    _one_line_without_secret(caught.value)
    assert _config(url).verify_tls is True and _config(url, verify_tls=False).verify_tls is False


def test_the_token_is_in_no_repr_and_no_error(rt_server: RtServer) -> None:  # noqa: F811
    repo = RtRepository(_config(rt_server.url), SECRET)
    assert SECRET not in repr(repo) and SECRET not in repr(repo._client.auth)
    repo.close()


@pytest.mark.parametrize(
    ("failure", "error", "says"),
    [
        (answer(401, b'{"message": "Unauthorized"}'), RtAuthError, "401"),
        (answer(403, b'{"message": "Forbidden"}'), RtForbidden, "403"),
        (answer(500, b"<html>oops</html>", "text/html"), RtServerError, "500"),
        (answer(200, b"<html>Please log in</html>", "text/html"), RtBadResponse, "malformed"),
    ],
    ids=["401", "403", "500", "garbage"],
)
def test_a_write_that_fails_says_so_and_the_reply_was_not_posted(
    rt_server: RtServer,  # noqa: F811
    proxy: RtProxy,
    failure: Any,
    error: type[StoreError],
    says: str,
) -> None:
    repo = through(proxy, rt_server)
    ticket = repo.create(make_ticket(status=Status.OPEN), actor=ME)
    proxy.hooks[f"PUT {ticket.id}"] = failure
    with pytest.raises(error) as caught:
        repo.apply(change(ticket, fields={"status": Status.PENDING}, comment=reply("confirm?")))
    text = _one_line_without_secret(caught.value, rt_server.token)
    assert says in text and "reply was NOT posted" in text
    proxy.hooks.clear()
    assert repo.get(ticket.key) == ticket
    assert repo.comments(ticket.key) == []
    repo.close()


def test_a_reply_that_fails_to_post_is_never_silently_lost(
    rt_server: RtServer,  # noqa: F811
    proxy: RtProxy,
) -> None:
    repo = through(proxy, rt_server)
    ticket = repo.create(make_ticket(status=Status.OPEN), actor=ME)
    proxy.hooks["POST correspond"] = answer(503, b'{"message": "down"}')
    with pytest.raises(StoreUnavailable, match="reply was NOT posted") as caught:
        repo.apply(change(ticket, fields={"status": Status.PENDING}, comment=reply("confirm?")))
    _one_line_without_secret(caught.value, rt_server.token)
    assert repo.comments(ticket.key) == []
    assert "reply" not in {e.field for e in repo.history(ticket.key)}
    repo.close()


def test_closed_port_is_really_closed() -> None:
    port = free_port()
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))
