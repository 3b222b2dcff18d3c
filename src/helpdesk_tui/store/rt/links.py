"""Links on RT: RT's own ticket links, which its web UI shows and edits too.

related → RefersTo, child of → MemberOf, and a problem DependsOn its incidents: RT will
not resolve a ticket before what it depends on, and a problem is closed once its
incidents are (ITIL), while an incident may be resolved before its problem (the outage
update resolves them all). REST2 lists a ticket's links in its `_hyperlinks` and changes them
with `Add<Type>`/`Delete<Type>` in a ticket update; RT writes their history itself.
"""

from __future__ import annotations

from datetime import datetime

from ...domain.links import LinkKind, TicketLink
from ..base import InvalidInput
from .client import RtClient, denied, one_line
from .errors import RtForbidden
from .mapping import ref_id
from .session import RtSession

_RT_TYPES = {
    LinkKind.RELATES: "RefersTo",
    LinkKind.CHILD_OF: "MemberOf",
    LinkKind.INCIDENT_OF: "DependsOn",
}
# REST2's `ref` of each hyperlink: the kind, and whether this ticket is its source.
_REFS = {
    "refers-to": (LinkKind.RELATES, True),
    "referred-to-by": (LinkKind.RELATES, False),
    "parent": (LinkKind.CHILD_OF, True),
    "child": (LinkKind.CHILD_OF, False),
    "depends-on": (LinkKind.INCIDENT_OF, False),
    "depended-on-by": (LinkKind.INCIDENT_OF, True),
}


class RtLinks:
    def __init__(self, client: RtClient, session: RtSession) -> None:
        self._client, self._session = client, session

    def links(self, key: str) -> list[TicketLink]:
        """The ticket's links to other tickets (links to URLs are RT's own business)."""
        mapping = self._session.mapping
        ticket_id = mapping.id_of(key)
        data, _ = self._session.fetch(ticket_id, fresh=True)
        me = mapping.key(ticket_id)
        found: list[TicketLink] = []
        for item in data.get("_hyperlinks") or ():
            if not isinstance(item, dict) or item.get("type") != "ticket":
                continue
            kind_out = _REFS.get(str(item.get("ref")))
            other = ref_id(item)
            if kind_out is None or other is None or not other.isdigit():
                continue
            kind, outward = kind_out
            far = mapping.key(int(other))
            link = TicketLink(me, kind, far) if outward else TicketLink(far, kind, me)
            if not any(link.same_as(seen) for seen in found):
                found.append(link)
        return found

    def change(self, link: TicketLink, actor: str, at: datetime, *, add: bool) -> None:
        """Add or delete one link with a ticket update on its source."""
        kind = LinkKind(link.kind)
        if kind not in _RT_TYPES:
            raise InvalidInput(f"a {kind} link is made by its own action, not as a link")
        mapping = self._session.mapping
        source, target = mapping.id_of(link.source), mapping.id_of(link.target)
        if source == target:
            raise InvalidInput(f"a ticket cannot be linked to itself ({link.source})")
        far = link.other(link.source)
        present = [seen for seen in self.links(link.source) if far in (seen.source, seen.target)]
        if add and present:
            raise InvalidInput(f"{link.source} and {link.target} are linked already")
        if not add and not any(link.same_as(seen) for seen in present):
            relation = link.relation(link.source)
            raise InvalidInput(f"{link.source} is not {relation} {link.target}")
        if not add:
            # A "relates" link may have been made from the other end.
            stored = next(seen for seen in present if link.same_as(seen))
            source, target = mapping.id_of(stored.source), mapping.id_of(stored.target)
        if kind is LinkKind.INCIDENT_OF:
            source, target = target, source  # RT keeps it on the problem
        verb = "Add" if add else "Delete"
        with self._session.write_lock:
            before = {n: self._session.fetch(n, fresh=True) for n in (source, target)}
            response = self._client.request(
                "PUT", f"ticket/{source}", body={f"{verb}{_RT_TYPES[kind]}": target}
            )
            messages = self._client.json(response)
            messages = messages if isinstance(messages, list) else []
            refusal = denied(response)
            if refusal is not None:
                raise RtForbidden(f"RT refused to change the links of {link.source}: {refusal}")
            self._session.forget_searches()
            for ticket_id, seen in before.items():
                self._session.carry_version(ticket_id, seen)
        # RT answers 200 with its messages whether or not it made the link: read it back.
        if add != any(link.same_as(seen) for seen in self.links(link.source)):
            said = one_line(" ".join(m for m in messages if isinstance(m, str)), 120)
            raise InvalidInput(f"RT did not change the link of {link.source}: {said}")
