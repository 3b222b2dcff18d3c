"""Triage reads the customer's own words, in English, Swedish and Portuguese (#20):
quotes, forwarded headers and signatures carry no signal; negated phrases never raise."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpdesk_tui.domain.model import Priority, Ticket, TicketType
from helpdesk_tui.domain.triage import suggest
from helpdesk_tui.domain.triage.own_words import own_words, reply_above_quote


def new(subject: str, description: str = "") -> Ticket:
    return Ticket(key="HD-1", subject=subject, description=description)


@pytest.mark.parametrize(
    "text",
    [
        "When is the next release?\n> The whole platform is down for everyone",
        "When is the next release?\n\nOn Tue, 3 Mar 2026, Ops <o@x> wrote:\nComplete outage",
        "När kommer nästa version?\n\nDen 3 mars 2026 skrev Drift <d@x>:\nTotalt avbrott",
        "Quando sai a próxima versão?\n\nEm 3 de mar. de 2026, Ops <o@x> escreveu:\nfora do ar",
        "When is the next release?\n-- \nCritical Incident Manager | 24/7 Outage Hotline",
        "When is the next release?\n\nBest regards\nAnna Berg\nCritical Incident Manager | "
        "24/7 Outage & Security Hotline\n+46 8 123 456",
        "När kommer nästa version?\n\nMed vänliga hälsningar\nAnna\nIncidentchef | avbrott",
        "Quando sai a próxima versão?\n\nAtenciosamente\nRui\nGerente de incidentes | fora do ar",
        "Quando sai a próxima versão?\n\nObrigado\nRui | Hotline de vazamento de dados",
    ],
)
def test_quotes_and_signatures_carry_no_signal(text: str) -> None:
    question, _, _rest = text.partition("\n")
    assert own_words(text) == question
    got = suggest(new("Release date", text))
    assert got.priority is not Priority.CRITICAL and got.tier != 3, got.reason
    for word in ("outage", "avbrott", "fora do ar", "hotline", "vazamento"):
        assert word not in got.reason.lower()


def test_forwarded_headers_are_set_aside_the_message_kept() -> None:
    for banner, headers in [
        ("---------- Forwarded message ---------", "From: Ops <o@x>\nSent: Monday\nTo: us"),
        ("---------- Vidarebefordrat meddelande ----------", "Från: Ops\nSkickat: måndag"),
        ("---------- Mensagem encaminhada ---------", "De: Ops\nAssunto: Security breach"),
    ]:
        text = f"See below.\n{banner}\n{headers}\nSubject: Security breach\n\nThe report is late."
        kept = own_words(text)
        assert "See below." in kept and "The report is late." in kept
        assert "breach" not in kept.lower() and "Ops" not in kept


def test_the_mail_intake_uses_the_same_reply_finder() -> None:
    from helpdesk_tui.mail.replies import reply_part

    assert reply_part is reply_above_quote
    assert reply_part("Still broken\nEm 2 de mar., Ana escreveu:\n> x") == "Still broken"


@pytest.mark.parametrize(
    "words",
    [
        "This is not urgent, the export header has a typo.",
        "There was no outage, the export header has a typo.",
        "Nothing is broken, the export header has a typo.",
        "Our mistake, not a bug: the export header has a typo.",
        "The portal isn't down, the export header has a typo.",
        "Det är inte brådskande, rubriken i exporten har ett stavfel.",
        "Det var inget avbrott, rubriken i exporten har ett stavfel.",
        "Não é urgente, o cabeçalho da exportação tem um erro de digitação.",
        "Nada está quebrado, o cabeçalho tem um erro de digitação.",
        "Sem interrupção, o cabeçalho tem um erro de digitação.",
    ],
)
def test_negated_phrases_never_raise_a_priority(words: str) -> None:
    got = suggest(new("Header", words))
    assert got.priority is Priority.LOW, got.reason
    for word in ('"outage"', '"broken"', '"bug"', '"urgent"', '"avbrott"', '"quebrado"'):
        assert word not in got.reason


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        (
            "Wrong figures",
            "The dashboard shows sales numbers and customer names that belong "
            "to a different retailer.",
        ),
        ("Invoices", "All our March invoices have gone missing from the archive."),
        ("Everything stopped", "The whole company can't work since nine."),
        ("Systemet ligger nere", "Systemet ligger nere sedan i morse. Hela företaget står still."),
        ("Fel kunddata", "Vi ser en annan kunds uppgifter i rapporten."),
        ("Sistema fora do ar", "O sistema caiu e toda a empresa está parada."),
        ("Dados de outro cliente", "Aparecem pedidos de outro cliente na nossa tela."),
    ],
)
def test_plain_words_for_serious_harm_are_critical(subject: str, text: str) -> None:
    got = suggest(new(subject, text))
    assert got.priority is Priority.CRITICAL and got.type is TicketType.INCIDENT, got.reason
    assert got.sources[0] == "rules" and '"' in got.reason


@pytest.mark.parametrize(
    ("subject", "text", "kind"),
    [
        ("Very disappointed", "Your support was unacceptable, we want a refund.", "complaint"),
        ("Klagomål", "Vi är missnöjda med supporten och vill ha återbetalning.", "complaint"),
        ("Reclamação", "Estamos insatisfeitos, o atendimento foi inaceitável.", "complaint"),
        (
            "Dark mode",
            "It would be great to have a dark mode. Suggestion from our team.",
            "change_request",
        ),
        ("Förslag", "Det vore bra med en ny rapport per butik.", "change_request"),
        ("Sugestão", "Seria ótimo ter um novo relatório por loja.", "change_request"),
        ("Question", "How do I export the weekly plan?", "information_request"),
        ("Fråga", "Hur gör jag för att exportera veckoplanen?", "information_request"),
        ("Dúvida", "Como faço para exportar o plano semanal?", "information_request"),
    ],
)
def test_types_other_than_incident(subject: str, text: str, kind: str) -> None:
    got = suggest(new(subject, text))
    assert got.type is TicketType(kind), got.reason


def test_every_reason_quotes_the_customer_s_own_words() -> None:
    text = "Hur exporterar jag rapporten?\n\nMed vänliga hälsningar\nAnna | Avbrott-jouren"
    got = suggest(new("Fråga om export", text))
    assert got.type is TicketType.INFORMATION_REQUEST
    assert '"fråga"' in got.reason and "avbrott" not in got.reason.lower()


def test_learning_stays_off_the_launch_path() -> None:
    probe = (
        "import sys, helpdesk_tui.cli.main, helpdesk_tui.service.triage;"
        "print(sorted(m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
