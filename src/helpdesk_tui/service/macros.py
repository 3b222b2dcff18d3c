"""Macros on a ticket: the body filled in for it, and the checks on the field changes
that `reply` and `note` send in their one version-checked write (`changes=`)."""

from __future__ import annotations

from pathlib import Path

from ..domain import sla
from ..domain.access import AccessDenied, Action
from ..domain.macros import ME, Macro, MacroChanges, SharedMacro, due_text, render
from ..domain.model import Escalation, Role, Ticket
from ..settings.config import ConfigError
from ..store.base import AdminRecord, StoreError, Unsupported
from .checks import known_team, valid_new
from .core import ServiceCore
from .errors import ServiceError


class MacroUseCases(ServiceCore):
    """What a macro does to a ticket, for `TicketUseCases` to send."""

    def render_macro(self, macro: Macro, ticket: Ticket, language: str | None = None) -> str:
        """The macro's body for `ticket`, in `language` or else the ticket's (English
        where the macro has no body in it), signed by me; customer text inserted once."""
        self._require(Action.VIEW, ticket)
        due = due_text(sla.evaluate(ticket, self.policy, self.clock()))
        return render(macro, ticket, self.me.name, language, due)

    def _macro_fields(self, ticket: Ticket, changes: MacroChanges) -> dict[str, object]:
        """The fields `changes` (less its status, which the comment's own status rules
        handle) set on `ticket`, once I am found allowed to set each of them."""
        fields: dict[str, object] = {}
        if changes.priority is not None or changes.tags:
            self._require(Action.UPDATE, ticket)
        if changes.priority is not None:
            fields["priority"] = changes.priority
        if changes.tags:
            tags = (" ".join(tag.split()) for tag in (*ticket.tags, *changes.tags))
            fields["tags"] = tuple(dict.fromkeys(tag for tag in tags if tag))
        if changes.assignee is not None:
            assignee = self.me.username if changes.assignee == ME else changes.assignee
            if assignee != ticket.assignee:
                if ticket.escalation is Escalation.AWAITING_TIER:
                    # Taking or handing on such a ticket decides its escalation: that is
                    # `assign`'s (and `decide`'s) to record, not a side effect of a reply.
                    raise ServiceError(
                        f"{ticket.key} waits for tier {ticket.tier} to accept it: take or"
                        " assign it first, then use the macro"
                    )
                self._check_assignee(ticket, assignee)
                fields["assignee"] = assignee
        # The limits a ticket's fields have anywhere (one line, lengths): a macro file
        # cannot store what `ticket update` could not.
        valid_new(Ticket(key="", subject="-").with_changes(**fields))
        return fields


class SharedMacroUseCases(ServiceCore):
    """Macros kept in the store, so every agent of a team on one server has them."""

    def shared_macros(self) -> list[SharedMacro]:
        """The macros kept in the store; [] where the store keeps none (RT)."""
        self._require(Action.VIEW)
        try:
            return self._repo.shared_macros()
        except Unsupported:
            return []

    def share_macro(self, path: Path, team: str = "") -> SharedMacro:
        """Keep the macro file at `path` in the store for everybody (or `team`), checked
        as a macro first. Leads and admins only; the database refuses anybody else."""
        self._lead_only("share a macro")
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ServiceError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
        from ..settings.macros import parse_macro  # pydantic: loaded for this alone

        try:
            parse_macro(path.stem, path.suffix, text, path.name)
        except ConfigError as exc:
            raise ServiceError(str(exc)) from None
        team = " ".join(team.split())
        if team:  # a misspelt team's macro would be kept where no agent is
            # A store that keeps no macros (RT) says so first: "no team called …" sent
            # the lead to add a team that would not have helped.
            self._repo.shared_macros()
            known_team(team, self._repo.teams())
        macro = SharedMacro(path.stem, team, path.suffix.lstrip("."), text)
        where = f"{macro.team}/{macro.name}" if macro.team else macro.name
        self._repo.save_shared_macro(
            macro, AdminRecord(self.me.username, self.clock(), f"macro:{where}", None, "shared")
        )
        return macro

    def unshare_macro(self, name: str, team: str = "") -> None:
        """Remove a macro kept in the store; ServiceError if there is none of that name."""
        self._lead_only("remove a shared macro")
        team = " ".join(team.split())
        where = f"{team}/{name}" if team else name
        record = AdminRecord(self.me.username, self.clock(), f"macro:{where}", "shared", "removed")
        if not self._repo.remove_shared_macro(name, team, record):
            raise ServiceError(f"no macro {where!r} is kept in the store")

    def _lead_only(self, what: str) -> None:
        if self.me.role in (Role.LEAD, Role.ADMIN) and self.me.active:
            return
        why = f"only a lead or an admin may {what}"
        try:
            self._repo.record_refusal(self.me.username, "share_macro", None, why, self.clock())
        except StoreError as exc:
            # The refusal stands; an unrecorded one says so (as ServiceCore._require does).
            why = f"{why} (not audited: {exc})"
        raise AccessDenied(why)
