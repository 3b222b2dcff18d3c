"""What a new ticket needs, as the TUI, the command line and mail hand it to `create`."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.model import Channel, Environment, Priority, TicketType


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What a new ticket needs; validated by `HelpdeskService.create`."""

    subject: str
    description: str = ""
    type: TicketType = TicketType.INCIDENT
    priority: Priority = Priority.MEDIUM
    tier: int = 1
    requester_name: str = ""
    requester_email: str = ""
    organization: str | None = None
    channel: Channel = Channel.PORTAL
    environment: Environment | None = None
    impact: str = ""
    affected_users: int | None = None
    integration: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    language: str = "en"
    assignee: str | None = None
    team: str | None = None
    follow_up_of: str | None = None
    """The closed ticket this one follows up (a customer wrote again after it closed)."""
