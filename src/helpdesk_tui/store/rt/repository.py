"""RtRepository: the TicketRepository protocol on RT, handing each call to the part of
the package that does it (see the package docstring for how RT's objects map to ours)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path

import httpx

from ...domain.links import TicketLink
from ...domain.macros import SharedMacro
from ...domain.model import Agent, AuditEntry, Comment, Team, Ticket
from ..base import (
    AdminRecord,
    Capability,
    Change,
    Login,
    Page,
    PresenceListener,
    PresenceState,
    Query,
    TimeSpent,
)
from .client import RtClient
from .config import RtConfig
from .errors import RtAuthError, RtBadResponse, RtUnsupported
from .files import AttachmentFiles
from .history import TicketHistory
from .links import RtLinks
from .mapping import TicketMapping
from .people import RtPeople
from .search import TicketSearch
from .session import RtSession
from .writes import TicketWriter


class RtRepository:
    """Tickets in Request Tracker 5. Thread-safe: share one per process."""

    def __init__(
        self, config: RtConfig, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not token or any(c.isspace() for c in token):
            raise RtAuthError(f"no usable RT token for {config.host}: run `helpdesk-tui login`")
        self._config = config
        # RT's tokens read "1-<user id>-<secret>" (RT::AuthToken): whose token it is.
        owner = re.fullmatch(r"\d+-(\d+)-\S+", token)
        self._token_user_id = owner[1] if owner else None
        self._token_user: str | None = None
        self._client = RtClient(config, token, transport)
        self._session = RtSession(self._client, TicketMapping(config))
        self._search = TicketSearch(self._session)
        self._files = AttachmentFiles(self._session)
        self._history = TicketHistory(self._session, self._files)
        self._writer = TicketWriter(self._session, self._files, self._history)
        self._people = RtPeople(self._session)
        self._links = RtLinks(self._client, self._session)

    @classmethod
    def open(
        cls, config: RtConfig, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> RtRepository:
        """Connect, check the token, and learn the queues' and custom fields' ids.

        Raises StoreUnavailable (or a subclass) when RT cannot be used as configured.
        """
        repo = cls(config, token, transport=transport)
        try:
            repo._session.mapping.discover(repo._client)
        except BaseException:
            repo.close()
            raise
        return repo

    def __repr__(self) -> str:
        return f"<RtRepository {self._config.host}>"

    def authenticated_login(self) -> Login:
        """The RT user the token belongs to: the agent, as RT's own rights know them."""
        return Login(self._token_owner(), self._token_owner(), acts_for_others=False)

    def merge(self, source: Change, target: Change) -> tuple[Ticket, Ticket]:
        """RT's own merge: afterwards RT answers for the source with the target."""
        return self._writer.merge(source, target)

    def shared_macros(self) -> list[SharedMacro]:
        """RT keeps its own templates and articles; ours stay in files here."""
        raise RtUnsupported("RT cannot keep our macros: use the macros folder (docs/macros.md)")

    def save_shared_macro(self, macro: SharedMacro, record: AdminRecord) -> None:
        raise RtUnsupported("RT cannot keep our macros: use the macros folder (docs/macros.md)")

    def remove_shared_macro(self, name: str, team: str, record: AdminRecord) -> bool:
        raise RtUnsupported("RT cannot keep our macros: use the macros folder (docs/macros.md)")

    def mentions(
        self, username: str, since: datetime | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """Not on RT: a mention is in the note's write record, which RT cannot search;
        the mentioned agent watches the ticket, and RT mails its watchers (AdminCc)."""
        raise RtUnsupported("RT cannot list mentions: see the tickets you watch")

    def unanswered_mentions(
        self, username: str, organizations: frozenset[str] | None = None, cap: int = 0
    ) -> int:
        """Not on RT, as `mentions`: the mentioned agent watches the ticket instead."""
        raise RtUnsupported("RT cannot count mentions: see the tickets you watch")

    def entries_by(self, actor: str, since: datetime, limit: int = 500) -> list[AuditEntry]:
        """Not on RT: REST2 searches tickets, not transactions by their creator, so this
        would read the history of every ticket changed since `since`."""
        raise RtUnsupported(
            "RT cannot list what an agent changed across tickets: a handover's "
            "'touched' list needs a SQL store"
        )

    def links(self, key: str) -> list[TicketLink]:
        """RT's RefersTo, MemberOf and DependsOn links, both ways."""
        return self._links.links(key)

    def add_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        self._links.change(link, actor, at, add=True)

    def remove_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        self._links.change(link, actor, at, add=False)

    def sign_as(self, login: str, agent: str) -> None:
        """Nothing to record: RT writes its own history under the token's user."""

    def unsigned(self) -> AbstractContextManager[None]:
        """Nothing to suspend (`sign_as`)."""
        return nullcontext()

    def set_agent_password(
        self, username: str, password: str, record: AdminRecord | None = None
    ) -> None:
        """RT's passwords are RT's: set them in RT."""
        raise RtUnsupported("RT keeps its users' passwords; set them in RT")

    def _token_owner(self) -> str:
        if self._token_user is None:
            if self._token_user_id is None:
                raise RtAuthError(
                    f"RT at {self._config.host}: this token does not say whose it is "
                    "(an RT auth token reads 1-<user id>-…); make one in RT's Settings → "
                    "Auth Tokens"
                )
            data = self._client.get_json(f"user/{self._token_user_id}")
            name = data.get("Name") if isinstance(data, dict) else None
            if not isinstance(name, str) or not name:
                raise RtBadResponse(f"RT at {self._config.host} did not name the token's user")
            self._token_user = name
        return self._token_user

    def close(self) -> None:
        self._client.close()
        self._files.close()

    # -- protocol: properties --------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Search, attachments, watchers, CSAT and live polling; RT's REST2 offers no purge,
        no bulk import, no agent admin and no locked claim."""
        return frozenset(
            {
                Capability.FULL_TEXT,
                Capability.ATTACHMENTS,
                Capability.WATCHERS,
                Capability.CSAT,
                Capability.LIVE_CHANGES,
                Capability.MERGE,
            }
        )

    @property
    def key_prefix(self) -> str:
        return self._config.key_prefix

    @property
    def config(self) -> RtConfig:
        return self._config

    @property
    def requests(self) -> int:
        """How many HTTP requests this repository sent (tests and benchmarks read it)."""
        return self._client.requests

    @property
    def revalidated(self) -> int:
        """How many single-ticket reads RT answered 304 Not Modified."""
        return self._session.revalidated

    # -- reading -----------------------------------------------------------------------

    def get(self, key: str) -> Ticket:
        ticket_id = self._session.mapping.id_of(key)
        data, etag = self._session.fetch(ticket_id)
        ticket = self._session.mapping.ticket_from(data, roles=True)
        with self._session.lock:
            self._session.version_etags.setdefault((ticket_id, ticket.version), etag)
        return ticket

    def query(self, query: Query) -> Page:
        """One page and the total: a search with `fields=` (cached), split into requests
        sent at once (`parallel_requests`; one when RT said few tickets match)."""
        return self._search.query(query)

    def count(self, query: Query) -> int:
        return self._search.count(query)

    def change_token(self) -> str:
        """The id of the newest transaction RT shows this user: moves on every write."""
        return self._search.change_token()

    def comments(self, key: str) -> list[Comment]:
        """Replies and notes, oldest first, each with the files RT keeps in its message."""
        return self._history.comments(key)

    def time_spent(
        self, since: datetime, until: datetime, organizations: frozenset[str] | None = None
    ) -> TimeSpent:
        """The period's TimeTaken of replies and notes, by author, organization and type."""
        return self._history.time_spent(since, until, organizations)

    def history(self, key: str) -> list[AuditEntry]:
        """Our writes as they recorded themselves, RT's own transactions (from RT's web UI,
        mail, scrips) mapped to our fields, and every reply and note."""
        return self._history.history(key)

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """Download one of the ticket's files into the cache folder and return its path
        (once: RT never changes a stored file)."""
        return self._files.path(key, attachment_id)

    # -- writing -----------------------------------------------------------------------

    def create(self, ticket: Ticket, actor: str, comment: Comment | None = None) -> Ticket:
        """Create the RT ticket (in the tier's queue) with its description as the first
        message; the optional first comment follows as a Comment."""
        return self._writer.create(ticket, actor, comment)

    def apply(self, change: Change) -> Ticket:
        """Write one change, based on the version it names: a stale base is a
        ConflictError and nothing is written; what RT stored is read back and checked."""
        return self._writer.apply(change)

    # -- people ------------------------------------------------------------------------

    def agents(self) -> list[Agent]:
        """The privileged RT users named in [backend.rt.agents] or found in the groups of
        [backend.rt] agent_groups, with tier and role from the former."""
        return self._people.agents()

    def get_agent(self, username: str) -> Agent:
        return self._people.get_agent(username)

    def save_agent(self, agent: Agent, record: AdminRecord | None = None) -> Agent:
        raise RtUnsupported("agents are RT users: manage them in RT (and tiers in the config)")

    def teams(self) -> list[Team]:
        return self._people.teams()

    def save_team(self, team: Team, record: AdminRecord | None = None) -> Team:
        raise RtUnsupported("teams are a custom field in RT: manage its values in RT")

    def admin_history(self, limit: int = 200) -> list[AuditEntry]:
        return []  # agents and teams are RT's: its own history has their changes

    # -- what RT leaves to its own tools -------------------------------------------------

    def bulk_import(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        raise RtUnsupported("RT's REST2 API has no all-or-nothing bulk import; use RT's tools")

    def purge(self, closed_before: datetime, actor: str, at: datetime, dry_run: bool) -> list[str]:
        raise RtUnsupported("purging is RT's shredder's job (rt-shredder), not this store's")

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        raise RtUnsupported("RT cannot lock a ticket while it is claimed: take it by version")

    def announce(self, key: str, state: PresenceState, *, ask: bool = False) -> None:
        raise RtUnsupported("RT tells nobody who has a ticket open")

    def open_presence(self, key: str) -> PresenceListener:
        raise RtUnsupported("RT tells nobody who has a ticket open")

    refusal_log: Path | None = None
    """Where refused actions are audited (JSON lines, see store/local_audit.py): RT has
    no audit-only record. bootstrap sets it to a file in the app's state folder."""

    def record_refusal(
        self, actor: str, action: str, key: str | None, reason: str, at: datetime
    ) -> None:
        from ..local_audit import append_refusal

        append_refusal(self.refusal_log, actor, action, key, reason, at)
