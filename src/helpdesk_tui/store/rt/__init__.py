"""The TicketRepository on Request Tracker 5, over its REST2 API (httpx).

How RT's objects map to ours is written down in docs/backends-rt.md; in short:

- a ticket is an RT ticket in one of the configured queues (queue → tier); its key is
  `{prefix}-{RT id}`; Subject, Status (through a lifecycle map), Priority (P1..P4 as
  100/75/50/25), Owner (assignee), Requestor (requester), AdminCc (watchers), Created and
  LastUpdated are RT's own fields (RT stamps Created with its own clock: REST2 has ignored
  a Created given on create since 5.0.3+dfsg-3~deb12u7, so RT lacks KEEPS_CREATED);
- what RT has no field for lives in ticket custom fields: searchable ones of their own
  (type, environment, organization, team, escalation, SLA due, SLA clock, closed) and one
  JSON field, "Helpdesk state", for the rest (SLA pauses and timestamps, escalation
  details, CSAT, the version counter and the record of the last write);
- public replies are RT Correspond, internal notes are RT Comment; the history is read
  from RT's transactions.

Every method raises StoreError subclasses only, with one-line messages that never hold
the token. Reads go with RT's web session, which the token opens once (RT checks a
token with bcrypt on every request it comes with); writes carry the token. A queue page
is a search with `fields=` (every field a row needs, so nothing is fetched per ticket),
split into `parallel_requests` requests sent at once; single tickets are fetched
with If-None-Match against the ETag RT sends (the id of the ticket's last transaction),
and every write sends If-Match with that ETag, so a write racing another one is refused
by RT (412) and reported as the same ConflictError the SQL store raises.

The package, one job a module: `config` (RtConfig), `errors`, `client` (HTTP, the token,
REST2's answers as StoreErrors), `mapping` (RT's JSON ↔ Ticket, custom fields, statuses,
priorities, "Helpdesk state"), `session` (what the parts share: caches and locks),
`search` (TicketSQL, ordering, paging, the change token), `writes`, `files`, `history`,
`people`, and `repository` (RtRepository, which hands each call to one of them).
"""

from .config import RtConfig
from .errors import (
    RtAuthError,
    RtBadResponse,
    RtForbidden,
    RtServerError,
    RtTimeout,
    RtUnsupported,
)
from .mapping import CUSTOM_FIELDS, DEFAULT_LIFECYCLE, HELPDESK_LIFECYCLE, PRIORITY_VALUES
from .repository import RtRepository

__all__ = [
    "CUSTOM_FIELDS",
    "DEFAULT_LIFECYCLE",
    "HELPDESK_LIFECYCLE",
    "PRIORITY_VALUES",
    "RtAuthError",
    "RtBadResponse",
    "RtConfig",
    "RtForbidden",
    "RtRepository",
    "RtServerError",
    "RtTimeout",
    "RtUnsupported",
]
