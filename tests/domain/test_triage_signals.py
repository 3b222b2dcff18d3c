"""Triage signals in plain words, alike in English, Swedish and Portuguese (#20): who is
affected and how many, whether there is a way around, serious harm in calm words, the
usual requests (a leaver, a locked account, an invoice copy, guidance, a complaint that
waited); and the grouped matching finding exactly what matching rule by rule finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Priority, Ticket, TicketType
from helpdesk_tui.domain.triage import suggest
from helpdesk_tui.domain.triage.rules import (
    _ACCENTS,
    ALL_RULES,
    RuleHit,
    _quote,
    language_of,
    negated,
    normalise,
    rule_hits,
    triage_text,
)

DATA = Path(__file__).resolve().parents[1] / "data"
P1, P2, P3, P4 = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW
INC, SRV, ACC = TicketType.INCIDENT, TicketType.SERVICE_REQUEST, TicketType.ACCESS_REQUEST
INFO, CMP = TicketType.INFORMATION_REQUEST, TicketType.COMPLAINT


def new(subject: str, description: str = "") -> Ticket:
    return Ticket(key="HD-1", subject=subject, description=description)


CASES = [
    # Serious harm in calm words: another company's data on screen, whatever the tone.
    (
        "Strange list",
        "Maybe not urgent, but the export shows names and prices of another retailer.",
        {"priority": P1, "type": INC, "tier": 3},
    ),
    (
        "Konstig lista",
        "Kanske inte brådskande, men exporten visar en annan kunds namn och priser.",
        {"priority": P1, "type": INC, "tier": 3},
    ),
    (
        "Lista estranha",
        "Talvez não seja urgente, mas a exportação mostra os nomes e preços de outra empresa.",
        {"priority": P1, "type": INC, "tier": 3},
    ),
    # The whole system silent.
    ("Portal", "The portal is not responding for anyone since 8:00.", {"priority": P1}),
    ("Portalen", "Portalen svarar inte alls sedan kl 8.", {"priority": P1}),
    ("Portal", "O portal não responde desde as 8h.", {"priority": P1}),
    # A leaver's access: high, an access request.
    ("Leaver", "Maria left the company on Friday, please revoke her access.", {"priority": P2}),
    ("Slutat", "Maria har slutat hos oss, stäng av hennes konto.", {"priority": P2, "type": ACC}),
    ("Saída", "A Maria saiu da empresa, removam o acesso dela.", {"priority": P2, "type": ACC}),
    # A locked account: one person blocked, medium, an access request at tier 1.
    ("Locked", "My account is locked since this morning.", {"priority": P3, "type": ACC}),
    ("Låst", "Mitt konto är låst sedan i morse.", {"priority": P3, "type": ACC, "tier": 1}),
    ("Bloqueada", "A minha conta está bloqueada desde hoje.", {"priority": P3, "type": ACC}),
    # A copy of an invoice: a service request at tier 1.
    ("Invoice", "Could you send a copy of the April invoice?", {"type": SRV, "tier": 1}),
    ("Faktura", "Kan ni skicka en kopia på aprilfakturan?", {"type": SRV, "tier": 1}),
    ("Fatura", "Podem enviar a segunda via da fatura de abril?", {"type": SRV, "tier": 1}),
    # Guidance on using a feature: medium (002), an information request.
    ("Advice", "We would like guidance on the forecast settings.", {"priority": P3, "type": INFO}),
    ("Råd", "Vi behöver vägledning om prognosinställningarna.", {"priority": P3, "type": INFO}),
    ("Ajuda", "Precisamos de orientação sobre a previsão.", {"priority": P3, "type": INFO}),
    # A complaint that waited or asks for a manager: high; about a bill: tier 1.
    (
        "Again",
        "Third time we ask, the case was closed without an answer.",
        {"priority": P2, "type": CMP},
    ),
    (
        "Igen",
        "Tredje gången vi frågar, ärendet stängdes utan svar.",
        {"priority": P2, "type": CMP},
    ),
    (
        "Outra vez",
        "É a terceira vez que pedimos, o chamado foi fechado sem resposta.",
        {"priority": P2, "type": CMP},
    ),
    ("Bill", "Disappointed: we were charged for 30 licences, not 20.", {"tier": 1, "type": CMP}),
    ("Faktura", "Besviken: vi debiterades för 30 licenser, inte 20.", {"tier": 1, "type": CMP}),
    ("Fatura", "Decepcionado: fomos cobrados por 30 licenças, não 20.", {"tier": 1, "type": CMP}),
]


CASES += [
    # One region down, the others fine: a partial outage, high, not critical.
    ("Orders", "Orders fail in the north region. Other regions are fine.", {"priority": P2}),
    ("Ordrar", "Ordrar misslyckas i region Nord. Andra regioner fungerar.", {"priority": P2}),
    (
        "Pedidos",
        "Os pedidos falham na região Norte. As outras regiões estão normais.",
        {"priority": P2},
    ),
    # Where the documentation is: an information request, low, tier 1.
    ("Docs", "Where is the user guide for the planner?", {"type": INFO, "tier": 1}),
    ("Manual", "Var finns användarguiden för planeraren?", {"type": INFO, "tier": 1}),
    ("Manual", "Onde está o guia do utilizador do planejador?", {"type": INFO, "tier": 1}),
]


@pytest.mark.parametrize(("subject", "text", "want"), CASES)
def test_the_same_signal_in_each_language(subject: str, text: str, want: dict[str, object]) -> None:
    got = suggest(new(subject, text))
    fields = got.fields()
    for name, value in want.items():
        assert fields.get(name) == value, (name, got.label, got.reason)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("The planner crashes for 14 people in purchasing.", P2),
        ("Planeraren kraschar för 14 personer på inköp.", P2),
        ("O planejador trava para 14 pessoas das compras.", P2),
        ("The planner crashes for 2 people in purchasing.", P3),
        ("Planeraren kraschar för 2 personer på inköp.", P3),
        ("O planejador trava para 2 pessoas das compras.", P3),
    ],
)
def test_a_number_of_people_reads_like_affected_users(text: str, want: Priority) -> None:
    got = suggest(new("Planner", text))
    assert got.fields()["priority"] is want, got.reason


def test_no_workaround_raises_and_a_workaround_lowers() -> None:
    none = suggest(new("Export", "The export crashes and there is no workaround."))
    some = suggest(new("Export", "The export crashes; we copy by hand for now."))
    assert none.fields()["priority"] is P2, none.reason
    assert some.fields()["priority"] is P3, some.reason
    assert '"workaround"' not in none.reason


def test_many_words_for_a_type_do_not_outweigh_the_tier_it_names() -> None:
    got = suggest(new("ERP error", "The ERP interface failed, it is broken, errors everywhere."))
    assert got.fields()["tier"] == 3, got.reason


def _rule_by_rule(ticket: Ticket) -> list[RuleHit]:
    """Every rule tried alone, in order: what the grouped matching must find exactly."""
    text = normalise(f"{triage_text(ticket)}. {ticket.impact}")
    folded = text.translate(_ACCENTS)
    language = language_of(folded)
    hits = []
    for rule in ALL_RULES:
        for match in rule.pattern.finditer(folded):
            if not negated(folded, match.start(), language):
                hits.append(RuleHit(_quote(text[match.start() : match.end()]), rule.votes))
                break
    return hits


def test_grouped_matching_finds_what_each_rule_alone_finds() -> None:
    rows = []
    for name in ("triage_labelled.jsonl", "triage_dev_multilingual.jsonl"):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        rows += [json.loads(line) for line in lines if line.strip()]
    assert len(rows) > 200
    for row in rows:
        ticket = new(row["subject"], row["description"])
        want = _rule_by_rule(ticket)
        # The phrase hits come first, then a count of people ("12 people") if any.
        assert rule_hits(ticket)[: len(want)] == want, row["subject"]
