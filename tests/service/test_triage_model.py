"""The triage model the product ships (domain/triage/model.py, model.bin): what it
reads, what it quotes, when it keeps quiet, and that the file is what its corpus trains."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Priority, Ticket, TicketType
from helpdesk_tui.domain.triage import suggest
from helpdesk_tui.domain.triage.model import TriageModel, features
from helpdesk_tui.service import triage as triage_module
from helpdesk_tui.service.triage import shipped_model

ROOT = Path(__file__).resolve().parents[2]
SIGNATURE = "\n\n--\nAnna Berg\nCritical Incident Manager | 24/7 Outage & Security Hotline"


def _model() -> TriageModel:
    model = shipped_model()
    assert model is not None, "the package holds domain/triage/model.bin"
    return model


def _suggested(subject: str, description: str = "") -> object:
    return suggest(Ticket(key="T-1", subject=subject, description=description), model=_model())


def test_features_are_words_pairs_and_in_word_character_grams() -> None:
    got = features("no vpn")
    assert set(got) == {
        "w:no",
        "w:vpn",
        "w:no vpn",
        "c: no",
        "c:no ",
        "c: no ",
        "c: vp",
        "c:vpn",
        "c:pn ",
        "c: vpn",
        "c:vpn ",
        "c: vpn ",
    }
    assert features("down down")["w:down"] > features("down")["w:down"] == 1.0


@pytest.mark.parametrize(
    ("subject", "description", "quoted"),
    [
        (
            "Systemet ligger nere",
            "Ingen av våra butiker kan logga in sedan kl 8. Hela företaget står still.",
            "systemet ligger nere",
        ),
        (
            "Sistema fora do ar",
            "Nenhuma loja consegue acessar desde as 8h. A empresa inteira está parada.",
            "sistema fora do ar",
        ),
        (
            "Checkout down",
            "Nobody in any of our shops can take a payment since 8. Every till is stuck.",
            "",
        ),
    ],
)
def test_a_whole_company_down_is_a_p1_in_each_language(
    subject: str, description: str, quoted: str
) -> None:
    got = _suggested(subject, description)
    assert (got.priority, got.type, got.tier) == (Priority.CRITICAL, TicketType.INCIDENT, 3)
    assert "model" in got.sources
    said = re.findall(r'"([^"]+)"', got.reason)
    assert said and all(q in f"{subject} {description}".lower() for q in said), got.reason
    assert not quoted or f'"{quoted}"' in got.reason


def test_the_reason_quotes_the_customer_s_spelling() -> None:
    # The model reads folded text ("empresa inteira esta parada"); the quote is as written.
    got = _suggested("Tudo parado", "A empresa inteira está parada, ninguém consegue faturar.")
    assert got.priority in (Priority.CRITICAL, Priority.HIGH)
    assert "ninguem" not in got.reason


def test_a_time_or_a_number_is_never_the_reason() -> None:
    # The model weighs "09" and "00" of "09:00" a little; no agent reads them as why.
    got = _suggested("Checkout is down for every customer since 09:00")
    assert got.priority is Priority.CRITICAL
    said = re.findall(r'"([^"]+)"', got.reason)
    assert said and not any(word.isdigit() for q in said for word in q.split()), got.reason


def test_a_signature_and_a_quoted_reply_carry_no_signal() -> None:
    plain = _suggested("Release date?", "When is the next release planned?")
    signed = _suggested("Release date?", "When is the next release planned?" + SIGNATURE)
    assert plain == signed
    assert plain.priority is Priority.LOW and plain.type is TicketType.INFORMATION_REQUEST
    quoted = _suggested(
        "Re: invoice copy",
        "Thanks, that was all I needed.\n\nOn Mon, 3 Mar 2026, Support wrote:\n"
        "> The whole site is down, critical outage, all users affected",
    )
    assert quoted.priority is not Priority.CRITICAL and "outage" not in quoted.reason


def test_a_negated_harm_does_not_raise_the_priority() -> None:
    got = _suggested(
        "Invoice question",
        "Nothing is broken right now, I just wonder why the March invoice shows two lines.",
    )
    assert got.priority is Priority.LOW


def test_plain_words_for_a_data_leak_beat_not_urgent() -> None:
    got = _suggested(
        "Question",
        "Probably not urgent, but a public link shows all our customers' home addresses.",
    )
    assert got.priority is Priority.CRITICAL


@pytest.mark.parametrize(
    ("subject", "description"),
    [("Hej", "Tack"), ("Olá", "Obrigado"), ("Quantum rig drift, bench 13", ""), ("", "")],
)
def test_no_words_of_its_own_is_no_suggestion(subject: str, description: str) -> None:
    got = _suggested(subject, description)
    assert not got.offered and got.label == "no suggestion"


def test_a_damaged_model_file_leaves_the_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "model.bin").write_bytes(b"not a model at all")
    monkeypatch.setattr(triage_module, "files", lambda _name: package)
    shipped_model.cache_clear()
    try:
        assert shipped_model() is None
        (package / "model.bin").unlink()
        shipped_model.cache_clear()
        assert shipped_model() is None
    finally:
        monkeypatch.undo()
        shipped_model.cache_clear()
    assert shipped_model() is not None


def test_the_file_reads_back_as_the_same_model_and_refuses_what_is_not_one() -> None:
    import zlib

    model = _model()
    blob = model.to_bytes()
    again = TriageModel.from_bytes(blob)
    assert again.to_bytes() == blob  # deterministic: --check and caches compare bytes
    for subject in ("Checkout down for every customer", "Systemet ligger nere", "Fatura errada"):
        ticket = Ticket(key="T-1", subject=subject)
        assert again.scores(ticket) == model.scores(ticket)
    body = zlib.decompress(blob)
    for broken in (
        b"",
        blob[: len(blob) // 2],  # a download cut short
        zlib.compress(body[:-4]),  # a float short
        zlib.compress(body.replace(b'"format": 1', b'"format": 2', 1)),  # a later layout
        zlib.compress(b"[1, 2]\n\0"),
        zlib.compress(b'{"format": 1}\n\0'),
        zlib.compress(b'{"format": 1, "fields": [["x"]], "features": 0}\n\0'),
    ):
        with pytest.raises(ValueError):
            TriageModel.from_bytes(broken)


def test_the_shipped_file_is_what_the_corpus_trains() -> None:
    # Training needs scikit-learn (in the `test` extra, so CI runs this); the app does not.
    pytest.importorskip("sklearn")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_triage.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "what the corpus trains" in done.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--only", "en99"], "no corpus file en99"),
        (["--without", "sv1", "nope"], "no corpus file nope"),
        (["--only", "en1", "--without", "en1"], "both scored (--only) and left out"),
        (["--features", "many"], "invalid int value"),
    ],
)
def test_cross_validation_refuses_files_it_cannot_score(args: list[str], said: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_triage.py"), "--cv", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert said in done.stderr and "Traceback" not in done.stderr


def test_the_app_never_imports_scikit_learn_for_the_model() -> None:
    code = (
        "import sys; from helpdesk_tui.service.triage import shipped_model;"
        "from helpdesk_tui.domain.model import Ticket;"
        "from helpdesk_tui.domain.triage import suggest;"
        "suggest(Ticket(key='T-1', subject='Checkout down'), model=shipped_model());"
        "print('sklearn' in sys.modules, 'numpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_check_tells_a_stale_model_from_rounding() -> None:
    import copy
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_triage", ROOT / "scripts/train_triage.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = script.shipped()
    assert shipped is not None
    assert script.agrees(shipped, shipped)
    name, row = next(iter(shipped["fields"]["priority"]["weights"].items()))
    rounded = copy.deepcopy(shipped)
    rounded["fields"]["priority"]["weights"][name] = [w + 0.001 for w in row]
    assert script.agrees(shipped, rounded)  # another BLAS, another last digit
    moved = copy.deepcopy(shipped)
    moved["fields"]["priority"]["weights"][name] = [w + 0.05 for w in row]
    assert not script.agrees(shipped, moved)
    grown = dict(shipped, trained_on=shipped["trained_on"] + 120)
    assert not script.agrees(shipped, grown)  # a corpus file added, not retrained
