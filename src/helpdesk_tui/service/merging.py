"""Merging a duplicate into the ticket it repeats."""

from __future__ import annotations

from dataclasses import replace

from ..domain import lifecycle
from ..domain.access import Action
from ..domain.model import (
    Comment,
    CommentKind,
    Status,
    Ticket,
    canonical_key,
    contact_address,
    contact_line,
    distinct_contacts,
)
from ..store.base import Capability
from .core import ServiceCore
from .errors import ServiceError


class MergeUseCases(ServiceCore):
    """`merge`: one ticket's conversation, notes, files and watchers into another."""

    def merge_target(self, key: str, into: str) -> Ticket:
        """The ticket `key` would be merged into, read for the agent to confirm (its
        subject, not only the key typed); ServiceError with the reason if the merge would
        be refused, before anything is asked."""
        return self._merge_pair(key, into)[1]

    def _merge_pair(self, key: str, into: str) -> tuple[Ticket, Ticket]:
        if Capability.MERGE not in self._repo.capabilities:
            raise ServiceError("this store cannot merge tickets")
        source = self._for(Action.UPDATE, key)
        target = self._for(Action.UPDATE, into)
        if source.merged_into is None and source.key != canonical_key(key):
            # RT answers for a merged ticket with the one it was merged into.
            source = replace(source, key=canonical_key(key), merged_into=source.key)
        problem = _why_not(source, target)
        if problem:
            raise ServiceError(problem)
        return source, target

    def merge(self, key: str, base_version: int, into: str, into_version: int) -> Ticket:
        """Merge ticket `key` into `into`, both on the versions the agent saw: the
        source's messages and files move to the target (in time order, with a note
        saying where they came from and who asked), its watchers join the target's,
        the target keeps the earlier first response of the two, and the source is
        closed as merged into the target, each side's history naming the other.
        Refused, with the reason, across organizations the agent does not serve."""
        source, target = self._merge_pair(key, into)
        now = self.clock()
        closed = {**lifecycle.status_fields(source, Status.CLOSED, now), "merged_into": target.key}
        moved = self._repo.comments(source.key)
        contact = source.requester if source.requester_email != target.requester_email else ""
        # The store moves the source's request (its description) as a message too.
        note = _note(source, len(moved) + bool(source.description.strip()), contact)
        answered = [t.first_response_at for t in (source, target) if t.first_response_at]
        contacts = [*target.contacts, *source.contacts]
        if source.requester_email and source.requester_email != target.requester_email:
            contacts.append(contact_line(source.requester_name, source.requester_email))
        mine = contact_address(target.requester_email)
        kept: dict[str, object] = {
            "watchers": tuple(dict.fromkeys([*target.watchers, *source.watchers])),
            "contacts": tuple(c for c in distinct_contacts(contacts) if contact_address(c) != mine),
            "first_response_at": min(answered) if answered else None,
        }
        source_change = self._change(
            source,
            base_version,
            closed,
            f"merged into {target.key}",
        )
        target_change = self._change(
            target,
            into_version,
            kept,
            f"{source.key} merged into it",
            comment=Comment(CommentKind.NOTE, self.me.username, note, now),
            events=[("merge:from", source.key)],
        )
        # Both change: the source's status and merged_into, the target's note.
        assert source_change is not None and target_change is not None
        return self._repo.merge(source_change, target_change)[1]


def _why_not(source: Ticket, target: Ticket) -> str | None:
    if source.key == target.key:
        return "a ticket cannot be merged into itself"
    if source.merged_into:
        return f"{source.key} was merged into {source.merged_into} already"
    if target.merged_into:
        return f"{target.key} was merged into {target.merged_into}: merge into that one"
    if target.status.is_final:
        return f"{target.key} is {target.status.value}: reopen it, or merge it into {source.key}"
    return None


def _note(source: Ticket, messages: int, contact: str) -> str:
    moved = {0: "its files (it had no messages)", 1: "its message and its files"}.get(
        messages, f"its {messages} messages and its files"
    )
    lines = [
        f"Merged {source.key} ({source.subject}) into this ticket: {moved} are in this"
        " conversation now, in time order."
    ]
    if contact:
        lines.append(
            f"{source.key} was asked by {contact}: a contact of this ticket now, who hears"
            " its public replies too."
        )
    return "\n".join(lines)
