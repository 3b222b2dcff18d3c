"""`[sla.agreements]`: an organization → the policy of its own agreement, checked when
the config is read (a bundled policy's name) and when the app starts (a policy file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.domain.sla import agreement_name
from helpdesk_tui.launch.bootstrap import load_policies
from helpdesk_tui.settings.config import ConfigError, load_settings
from tests.domain.test_sla_agreements import AROUND_THE_CLOCK
from tests.settings.test_config import refusal, write


def test_no_agreements_by_default(tmp_path: Path) -> None:
    for text in ("", "[sla]\n", "[sla.agreements]\n"):
        settings = load_settings(write(tmp_path, text))
        assert settings.agreements == {}, text
        policy = load_policies(settings)
        assert policy.agreements == {} and policy.name == "default"


def test_agreements_name_bundled_policies_and_policy_files(tmp_path: Path) -> None:
    care = tmp_path / "care365.toml"
    care.write_text(AROUND_THE_CLOCK, encoding="utf-8")
    text = (
        f'[sla]\npolicy = "default"\n\n[sla.agreements]\n"Acme Corp" = "{care}"\nGlobex = "nexly"\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.agreements == {"Acme Corp": str(care), "Globex": "nexly"}
    policy = load_policies(settings)
    assert policy.name == "default"
    assert agreement_name(policy, "acme corp") == "care365"
    assert agreement_name(policy, "GLOBEX") == "nexly"
    assert agreement_name(policy, "Initech") == "standard"


def test_one_policy_named_twice_is_read_once(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, '[sla.agreements]\nAcme = "nexly"\nGlobex = "nexly"\n')
    )
    policy = load_policies(settings)
    assert policy.for_organization("Acme") is policy.for_organization("Globex")


BAD = [
    (
        '[sla.agreements]\n"Acme Corp" = "care366"\n',
        'line 2: sla.agreements."Acme Corp"',
        "no built-in policy 'care366' (choose from default, nexly, or a path to a .toml file)",
    ),
    ("[sla.agreements]\nAcme = 3\n", "line 2: sla.agreements.Acme", "expected a string, got 3"),
    ('[sla]\nagreements = "nexly"\n', "line 2: sla.agreements", "expected a table"),
    (
        '[sla.agreements]\nAcme = "nexly"\nACME = "default"\n',
        "line 1: sla.agreements",
        "'Acme' and 'ACME' are one organization",
    ),
    ('[sla.agreements]\n" " = "nexly"\n', "line 1: sla.agreements", "cannot be empty"),
    ('[sla]\nagreement = { Acme = "nexly" }\n', "line 2: sla.agreement", "'agreements'"),
]


@pytest.mark.parametrize(("text", "where", "what"), BAD, ids=[case[2][:30] for case in BAD])
def test_a_bad_agreement_is_one_line_naming_the_key(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith(f"{path}, {where}: "), message
    assert what in message, message


def test_a_policy_file_that_cannot_be_used_names_the_agreement(tmp_path: Path) -> None:
    missing = tmp_path / "gone.toml"
    settings = load_settings(write(tmp_path, f'[sla.agreements]\n"Acme Corp" = "{missing}"\n'))
    with pytest.raises(ConfigError) as caught:
        load_policies(settings)
    assert str(caught.value) == (
        f'sla.agreements."Acme Corp": cannot read {missing}: No such file or directory'
    )
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n', encoding="utf-8")
    settings = load_settings(write(tmp_path, f'[sla.agreements]\nAcme = "{broken}"\n'))
    with pytest.raises(ConfigError) as caught:
        load_policies(settings)
    message = str(caught.value)
    assert message.startswith(f"sla.agreements.Acme: policy {broken}: priorities: missing")
    assert "\n" not in message
