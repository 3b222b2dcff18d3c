"""Smart triage through the service, on real stores (SQLite, and PostgreSQL when set up):
suggestions learned from the store's resolved tickets, similar tickets, and accepting or
dismissing with a version-checked, audited write."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import (
    Agent,
    Escalation,
    Priority,
    Role,
    Status,
    Ticket,
    TicketType,
)
from helpdesk_tui.domain.triage import ACCEPTED_TAG, DISMISSED_TAG, Suggestion
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, ServiceError, TicketDraft, triage_learning
from helpdesk_tui.service import triage as triage_module
from helpdesk_tui.store.base import ConflictError
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.widgets.suggestion import triage_work
from tests.conftest import FROZEN

OUTAGE = "Complete outage: nobody can log in"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


AGENTS = (
    Agent("lead", "Lea Lead", tier=3, role=Role.LEAD),
    Agent("t1", "Tia One", tier=1),
    Agent("acme", "Ann Acme", tier=3, organizations=("Acme",)),
)


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    store = SqlRepository.open(store_url, tmp_path / "files")
    for agent in AGENTS:
        store.save_agent(agent)
    yield store
    store.close()


def as_(repo: SqlRepository, who: str) -> HelpdeskService:
    return HelpdeskService(repo, load_policy("default"), Clock(FROZEN), repo.get_agent(who))


def new(svc: HelpdeskService, subject: str, description: str = "", **kw: object) -> str:
    return svc.create(TicketDraft(subject=subject, description=description, **kw)).key  # type: ignore[arg-type]


def resolved(
    svc: HelpdeskService, subject: str, priority: Priority, tier: int, **kw: object
) -> str:
    """A ticket as the store's history has it: triaged by a person, then resolved."""
    key = new(svc, subject, priority=priority, tier=tier, **kw)
    ticket = svc.get(key)
    return svc.reply(key, ticket.version, "Fixed.", status=Status.RESOLVED).key


def test_a_new_ticket_is_offered_a_suggestion_with_similar_past_tickets(
    repo: SqlRepository,
) -> None:
    lead = as_(repo, "lead")
    old = resolved(lead, OUTAGE, Priority.CRITICAL, 3)
    resolved(lead, "Typo on the invoice page", Priority.LOW, 1)
    key = new(lead, "Outage: nobody can log in since 8am", "All users see error 503.")
    found = lead.triage(key)
    assert found.offered and found.why_not is None
    got = found.suggestion
    # Tier 2 or 3: the corpus the shipped model learned from splits login outages.
    assert (got.priority, got.type) == (Priority.CRITICAL, TicketType.INCIDENT) and got.tier > 1
    assert '"nobody can"' in got.reason
    assert found.similar[0].ticket.key == old
    assert all(s.ticket.status in (Status.RESOLVED, Status.CLOSED) for s in found.similar)
    assert lead.suggestions([lead.get(key)]) == {key: got}


def test_accepting_writes_the_fields_once_with_a_reason(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Security breach", "Unauthorized access to customer data.")
    before = lead.get(key)
    assert (before.priority, before.tier) == (Priority.MEDIUM, 1)
    after = lead.accept_suggestion(key, before.version)
    assert (after.priority, after.type, after.tier) == (Priority.CRITICAL, TicketType.INCIDENT, 3)
    assert after.version == before.version + 1 and ACCEPTED_TAG in after.tags
    assert after.escalation is Escalation.NONE  # routed before anyone held it
    history = repo.history(key)
    changed = {e.field: e for e in history if e.version == after.version}
    assert changed["priority"].reason == "triage suggestion accepted"
    assert changed["tier"].new == "3"
    assert (changed["triage:accepted"].new or "").startswith("P1 · incident · tier 3: ")
    # Not offered again, and a second accept is refused rather than written twice.
    assert not lead.triage(key).offered
    assert lead.suggestions([after]) == {}
    with pytest.raises(ServiceError, match="no suggestion to accept"):
        lead.accept_suggestion(key, after.version)


def test_accepting_the_suggestion_that_was_shown(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Typo in the footer")
    shown = lead.triage(key).suggestion
    after = lead.accept_suggestion(key, lead.get(key).version, shown)
    assert (after.priority, after.type, after.tier) == (shown.priority, shown.type, shown.tier)


def test_a_stale_accept_is_a_conflict(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Complete outage for all users")
    seen = lead.get(key)
    lead.update(key, seen.version, category="outage")  # a colleague, meanwhile
    with pytest.raises(ConflictError):
        lead.accept_suggestion(key, seen.version)
    assert lead.get(key).priority is Priority.MEDIUM


def test_a_held_ticket_moving_tier_is_escalated(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Database corruption", "Data corruption in the orders table.", assignee="t1")
    after = lead.accept_suggestion(key, lead.get(key).version)
    assert after.tier == 3 and after.assignee is None
    assert after.escalation is Escalation.AWAITING_TIER
    assert after.escalation_reason == "triage suggestion accepted"
    # As an escalation by hand: whoever had it, and whoever accepted, keep watching it.
    assert set(after.watchers) >= {"t1", "lead"}


def test_a_held_ticket_whose_assignee_works_at_the_new_tier_stays_held(
    repo: SqlRepository,
) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Database corruption", "Data corruption in the orders table.", assignee="lead")
    after = lead.accept_suggestion(key, lead.get(key).version)
    assert (after.tier, after.assignee, after.escalation) == (3, "lead", Escalation.NONE)


def test_dismissing_is_remembered(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Complete outage")
    ticket = lead.dismiss_suggestion(key, lead.get(key).version)
    assert DISMISSED_TAG in ticket.tags and ticket.priority is Priority.MEDIUM
    assert lead.triage(key).why_not == "the suggestion was dismissed"
    assert lead.suggestions([ticket]) == {}
    assert any(e.field == "triage:dismissed" for e in repo.history(key))
    assert lead.dismiss_suggestion(key, ticket.version).version == ticket.version  # no-op


def test_a_priority_set_by_hand_is_not_second_guessed(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Complete outage")
    lead.update(key, lead.get(key).version, priority=Priority.LOW, reason="test system")
    assert lead.triage(key).why_not == "priority was set by lead"
    assert lead.suggestions([lead.get(key)]) == {}


def test_only_who_may_update_may_accept(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    key = new(lead, "Complete outage", tier=2)
    with pytest.raises(AccessDenied):
        as_(repo, "t1").accept_suggestion(key, lead.get(key).version)
    with pytest.raises(AccessDenied):
        as_(repo, "t1").dismiss_suggestion(key, lead.get(key).version)


def test_the_store_s_resolved_tickets_teach(repo: SqlRepository, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("sklearn")  # in the `test` extra: CI runs this
    monkeypatch.setattr(triage_module, "TRIAGE_REFRESH", 0.0)
    lead = as_(repo, "lead")
    key = new(lead, "Quantum rig drift, bench 13")
    assert not lead.triage(key).suggestion.offered  # neither the rules nor the model know it
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    got = lead.triage(key).suggestion
    assert got.offered and (got.priority, got.tier) == (Priority.HIGH, 2)
    assert got.sources[0] == "learned" and got.sources[2] == "learned"
    assert "learned from this team's resolved tickets" in got.reason and not got.learning
    assert '"quantum' in got.reason or '"drift' in got.reason or '"rig' in got.reason
    # The same suggestion for the intake form's draft: one code path.
    assert lead.suggest_draft("Quantum rig drift, bench 13", "") == got
    # Words the model never saw are no signal: it does not vote from its prior alone.
    assert not lead.triage(new(lead, "Hej", "Tack")).suggestion.offered


def test_the_learned_model_is_kept_for_the_next_run(
    repo: SqlRepository,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("sklearn")
    kept = tmp_path / "cache" / "triage" / "store.model"

    def service() -> HelpdeskService:
        agent = repo.get_agent("lead")
        return HelpdeskService(repo, load_policy("default"), Clock(FROZEN), agent, triage_file=kept)

    lead = service()
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    key = new(lead, "Quantum rig drift, bench 13")
    # The status line says what a slow first suggestion is doing.
    assert lead.triage_learning_due
    assert triage_work(lead) == "triage: learning from resolved tickets"
    first = lead.triage(key).suggestion
    assert first.sources[0] == "learned" and kept.is_file()
    assert not lead.triage_learning_due and triage_work(lead) == "triage"
    assert kept.stat().st_mode & 0o777 == 0o600  # words of the tickets: this user's only
    assert kept.parent.stat().st_mode & 0o777 == 0o700

    # The next run (the command line, the app launched again) reads it: nothing learns.
    def no_learning(_tickets: object) -> None:
        raise AssertionError("learned again although a young model was kept")

    monkeypatch.setattr(triage_module, "learn", no_learning)
    assert service().triage(key).suggestion == first
    monkeypatch.undo()

    # An hour old, or damaged: learned again (and kept again).
    old = time.time() - triage_module.LEARNER_REFRESH - 60
    os.utime(kept, (old, old))
    assert service().triage(key).suggestion == first
    assert time.time() - kept.stat().st_mtime < 60
    kept.write_bytes(b"half a file")
    assert service().triage(key).suggestion == first
    assert kept.read_bytes() != b"half a file"


def test_two_asking_at_once_learn_once(
    repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The queue and the ticket screen ask for suggestions at the same moment.
    pytest.importorskip("sklearn")
    lead = as_(repo, "lead")
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    key = new(lead, "Quantum rig drift, bench 13")
    learned: list[int] = []
    real = triage_module.learn

    def counted(tickets: Iterable[Ticket], children: triage_learning.Children) -> object:
        learned.append(1)
        time.sleep(0.2)  # long enough for the other caller to arrive meanwhile
        return real(tickets, children)

    monkeypatch.setattr(triage_module, "learn", counted)
    got: list[object] = []
    callers = [threading.Thread(target=lambda: got.append(lead.triage(key))) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert len(got) == 2 and len(learned) == 1


def test_learning_runs_in_a_child_and_the_app_never_imports_scikit_learn(
    tmp_path: Path,
) -> None:
    # scikit-learn, numpy and scipy took the app from 104 to 435 MiB, kept after learning.
    pytest.importorskip("sklearn")
    code = """
import sys
from pathlib import Path
from helpdesk_tui.domain.model import Agent, Priority, Role, Status
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN
folder = Path(sys.argv[1])
repo = SqlRepository.open(folder / "h.db", folder / "files")
repo.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
svc = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, repo.get_agent("lead"))
for n in range(12):
    for subject, priority in (("Quantum rig drift", Priority.HIGH), ("Toner order", Priority.LOW)):
        t = svc.create(TicketDraft(subject=f"{subject} {n}", priority=priority))
        svc.reply(t.key, t.version, "Fixed.", status=Status.RESOLVED)
key = svc.create(TicketDraft(subject="Quantum rig drift, bench 13")).key
got = svc.triage(key).suggestion
print(got.sources[0], "sklearn" in sys.modules, "numpy" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["learned", "False", "False"]


def test_a_learning_that_fails_says_so_and_the_rest_still_suggests(
    repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sklearn")
    monkeypatch.setattr(triage_learning, "LEARN_SECONDS", 0.001)  # the child can't finish
    lead = as_(repo, "lead")
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    got = lead.triage(new(lead, "Platform down for everyone, nobody can log in")).suggestion
    assert got.learning.startswith("learning failed: ") and "\n" not in got.learning
    assert got.offered and set(got.sources) <= {"rules", "model"}


def test_closing_the_service_stops_its_learning_child(
    repo: SqlRepository, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's ctrl+q closes the service, and its exit waits for the worker learning: a
    # child still fitting a large store would hold the agent's terminal for a minute.
    pytest.importorskip("sklearn")
    monkeypatch.setattr(triage_learning, "CHILD", "import time; time.sleep(120)")
    lead = as_(repo, "lead")
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    ticket = lead.get(new(lead, "Platform down for everyone, nobody can log in"))
    own = SqlRepository.open(store_url, tmp_path / "files")
    svc = HelpdeskService(own, load_policy("default"), Clock(FROZEN), own.get_agent("lead"))
    found: list[dict[str, Suggestion]] = []
    asking = threading.Thread(target=lambda: found.append(svc.suggestions([ticket])))
    asking.start()
    deadline = time.monotonic() + 60
    while svc._learning_children.running == 0:
        assert asking.is_alive() and time.monotonic() < deadline, "no child was started"
        time.sleep(0.05)
    started = time.monotonic()
    svc.close()
    asking.join(30)
    assert not asking.is_alive() and time.monotonic() - started < 10
    [suggestion] = found[0].values()
    assert suggestion.learning == "learning failed: stopped"
    assert set(suggestion.sources) <= {"rules", "model"}
    with pytest.raises(triage_learning.LearningFailed, match="closed"):
        triage_learning.learn([ticket] * triage_learning.MIN_TICKETS, svc._learning_children)


def test_a_store_model_keeps_the_features_that_weigh_most() -> None:
    pytest.importorskip("sklearn")
    texts = [f"quantum rig drift bench {n}" for n in range(15)]
    texts += [f"toner cartridge order floor {n}" for n in range(15)]
    labels = {"priority": ["high"] * 15 + ["low"] * 15}
    whole = triage_learning.fit(texts, labels, c=4.0, balanced=True)
    kept = triage_learning.fit(texts, labels, c=4.0, balanced=True, most=10)
    assert len(whole["idf"]) > 10 and len(kept["idf"]) == 10
    assert set(kept["fields"]["priority"]["weights"]) == set(kept["idf"])
    heaviest = sorted(whole["fields"]["priority"]["weights"].items(), key=lambda kv: -abs(kv[1][0]))
    assert heaviest[0][0] in kept["idf"]


def test_a_cache_folder_that_cannot_be_written_keeps_nothing_and_still_suggests(
    repo: SqlRepository, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    agent = repo.get_agent("lead")
    lead = HelpdeskService(
        repo, load_policy("default"), Clock(FROZEN), agent, triage_file=blocked / "x.model"
    )
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
        resolved(lead, f"Toner cartridge order for floor {n}", Priority.LOW, 1)
    got = lead.triage(new(lead, "Quantum rig drift, bench 13")).suggestion
    assert got.sources[0] == "learned" and blocked.read_text() == ""


def test_without_scikit_learn_triage_is_the_rules_and_says_so(
    repo: SqlRepository,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(triage_module, "available", lambda: False)
    lead = as_(repo, "lead")
    for n in range(12):
        resolved(lead, f"Quantum rig drift on bench {n}", Priority.HIGH, 2)
    got = lead.triage(new(lead, "Quantum rig drift, bench 13")).suggestion
    assert not got.offered and got.learning == triage_learning.LEARNING_OFF
    got = lead.triage(new(lead, "Platform down for everyone")).suggestion
    # The rules and the shipped model (pure Python) still speak.
    assert got.offered and set(got.sources) <= {"rules", "model"} and got.learning


def test_older_tickets_than_the_index_holds_are_found_by_search(
    repo: SqlRepository,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(triage_module, "TRIAGE_DOCS", 2)
    lead = as_(repo, "lead")
    oldest = resolved(lead, "Zeppelin hangar sensor offline", Priority.HIGH, 2)
    for n in range(3):
        resolved(lead, f"Printer {n} out of toner", Priority.LOW, 1)
    index = lead.triage_index()
    assert len(index) == 2 and index.truncated and oldest not in [d.key for d in index.docs]
    key = new(lead, "Zeppelin hangar sensor offline again")
    assert oldest in [s.ticket.key for s in lead.triage(key).similar]


def test_similar_tickets_respect_the_organizations_served(repo: SqlRepository) -> None:
    lead = as_(repo, "lead")
    theirs = resolved(lead, OUTAGE, Priority.CRITICAL, 3, organization="Globex")
    ours = resolved(lead, OUTAGE, Priority.CRITICAL, 3, organization="Acme")
    key = new(lead, OUTAGE, organization="Acme")
    found = [s.ticket.key for s in as_(repo, "acme").triage(key).similar]
    assert ours in found and theirs not in found
