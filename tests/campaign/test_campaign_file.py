"""Campaign files: defaults, validation, and errors that name the key and the line."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from mbs.campaign.config import (
    CampaignFileError,
    SimSettings,
    load_campaign,
    parse_campaign,
)
from mbs.freeswitch.sim.personas import PERSONA_ALIASES, PersonaKind, parse_mix

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "campagne-or.toml"


def issues(source: str, tmp_path: Path) -> list[tuple[str, int | None, str]]:
    path = tmp_path / "c.toml"
    (tmp_path / "s.mbs").write_text("")
    path.write_text(source, encoding="utf-8")
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    return [(i.key, i.line, i.message) for i in info.value.issues]


def test_minimal_file_gets_every_default(tmp_path: Path) -> None:
    (tmp_path / "s.mbs").write_text("")
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\nscenario = "s.mbs"\n')
    campaign = load_campaign(path)
    s = campaign.settings
    assert campaign.scenario_path == (tmp_path / "s.mbs").resolve()
    assert campaign.contacts_path is None
    assert (s.max_concurrent, s.claim_batch, s.record, s.region) == (10, 20, True, "FR")
    assert s.telephony.backend == "sim" and s.telephony.esl.port == 8021
    assert s.telephony.esl.originate_timeout == 30
    assert s.retry.no_answer_delay == timedelta(minutes=30)
    assert s.retry.busy_delay == timedelta(minutes=5) and s.retry.max_retries == 2
    assert s.retry.callback_delay == timedelta(days=1) and s.retry.max_callbacks == 1
    assert s.policy.name == "fr-D223-9" and s.policy.max_attempts == 4
    assert s.policy.days == ("mon", "tue", "wed", "thu", "fri")
    assert [(w.start, w.end) for w in s.policy.windows] == [
        (time(10), time(13)),
        (time(14), time(20)),
    ]
    assert s.sim.start == "next-window" and s.sim.personas is None and s.sim.seed == 0
    assert s.builtins.chosen() == {}


def test_the_example_loads_and_round_trips_to_the_store() -> None:
    campaign = load_campaign(EXAMPLE)
    s = campaign.settings
    assert s.name == "or-rdv-demo" and campaign.contacts_path is not None
    assert campaign.contacts_path.is_file() and campaign.scenario_path.is_file()
    assert s.builtins.chosen() == {"llm": "none", "tts": "espeak"}  # the default NLU
    assert s.sim.personas == {
        "human": 0.6,
        "no_answer": 0.15,
        "busy": 0.1,
        "machine": 0.1,
        "hangup_mid_prompt": 0.05,
    }
    mix_text = s.sim.mix_text()
    assert mix_text is not None
    assert parse_mix(mix_text)[PersonaKind.HANGUP_MID_PROMPT] == 0.05
    stored = s.to_store()
    assert stored["retry"]["no_answer_delay"] == "30m"
    assert stored["retry"]["callback_delay"] == "1d"
    assert type(s).model_validate(stored) == s


def test_persona_names_are_the_simulators() -> None:
    """The campaign file reads the simulator's own persona vocabulary (defined once)."""
    names = [k.value for k in PersonaKind] + list(PERSONA_ALIASES)
    settings = SimSettings(personas=dict.fromkeys(names, 1.0))
    assert settings.personas is not None
    assert set(settings.personas) == {k.value for k in PersonaKind}


def test_errors_name_key_and_line(tmp_path: Path) -> None:
    source = (
        'name = "demo"\n'  # 1
        'scenario = "s.mbs"\n'  # 2
        "max_concurrent = 0\n"  # 3
        "\n"  # 4
        "[telephony]\n"  # 5
        'backend = "pigeon"\n'  # 6
        "\n"  # 7
        "[telephony.esl]\n"  # 8
        "port = 99999\n"  # 9
        "colour = 1\n"  # 10
        "\n"  # 11
        "[retry]\n"  # 12
        'busy_delay = "5 minutes"\n'  # 13
        "\n"  # 14
        "[policy]\n"  # 15
        'windows = ["10:00-13:00", "12:00-20:00"]\n'  # 16
        'days = ["mon", "someday"]\n'  # 17
        "\n"  # 18
        "[sim]\n"  # 19
        "personas = { human = 0.6, alien = 1 }\n"  # 20
        'start = "tomorrow"\n'  # 21
        "\n"  # 22
        "[builtins]\n"  # 23
        'nlu = "fuzzy"\n'  # 24
        "foo = 3\n"  # 25
    )
    found = issues(source, tmp_path)
    keys = {key: line for key, line, _ in found}
    assert keys == {
        "max_concurrent": 3,
        "telephony.backend": 6,
        "telephony.esl.port": 9,
        "telephony.esl.colour": 10,
        "retry.busy_delay": 13,
        "policy.windows": 16,
        "policy.days": 17,
        "sim.personas": 20,
        "sim.start": 21,
        "builtins.foo": 25,
    }
    messages = {key: msg for key, _, msg in found}
    assert "not a duration" in messages["retry.busy_delay"]
    assert "overlap" in messages["policy.windows"]
    assert "alien" in messages["sim.personas"]
    assert messages["telephony.esl.colour"] == "unknown key"


def test_missing_name_and_scenario(tmp_path: Path) -> None:
    found = issues("max_concurrent = 3\n", tmp_path)
    assert {(k, m) for k, _, m in found} == {
        ("name", "missing required key"),
        ("scenario", "missing required key"),
    }


def test_dotted_keys_and_inline_tables(tmp_path: Path) -> None:
    found = issues('name = "x"\nscenario = "s.mbs"\n\ntelephony.esl.port = "eighty"\n', tmp_path)
    assert [(k, line) for k, line, _ in found] == [("telephony.esl.port", 4)]


def test_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    found = issues('name = "x"\nscenario = "s.mbs"\nmax_concurrent = \n', tmp_path)
    assert found[0][1] == 3 and "invalid TOML" in found[0][2]


def test_paths_are_checked_relative_to_the_file(tmp_path: Path) -> None:
    found = issues('name = "x"\nscenario = "s.mbs"\ncontacts = "absent.csv"\n', tmp_path)
    assert found[0][:2] == ("contacts", 3) and "no such file" in found[0][2]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "c.toml").write_text('name = "x"\nscenario = "../s.mbs"\n')
    (tmp_path / "s.mbs").write_text("")
    assert load_campaign(sub / "c.toml").scenario_path == (tmp_path / "s.mbs").resolve()


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CampaignFileError, match="cannot read"):
        load_campaign(tmp_path / "nope.toml")


def test_policy_overrides_and_sim_start(tmp_path: Path) -> None:
    source = (
        'name = "x"\nscenario = "s.mbs"\n'
        "[policy]\n"
        'name = "samedi-matin"\n'
        'days = ["mon", "sat"]\n'
        'windows = ["09:00-12:00"]\n'
        "max_attempts = 2\n"
        "[sim]\n"
        'start = "2026-03-10T10:00:00+01:00"\n'
        "[builtins.ollama]\n"
        'model = "mistral"\n'
    )
    campaign = parse_campaign(source, tmp_path / "c.toml", check_paths=False)
    s = campaign.settings
    assert s.policy.name == "samedi-matin" and s.policy.days == ("mon", "sat")
    assert s.policy.max_attempts == 2 and s.policy.refusal_cooloff_days == 60
    assert s.sim.start_time() == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert s.builtins.options("ollama") == {"model": "mistral"}
    assert s.builtins.options("fuzzy") == {}
    naive = issues(
        'name = "x"\nscenario = "s.mbs"\n[sim]\nstart = "2026-03-10T10:00:00"\n', tmp_path
    )
    assert naive[0][0] == "sim.start" and "offset" in naive[0][2]


@pytest.mark.parametrize("region", ["ZZ", "", "../x", "France"])
def test_an_unknown_region_is_refused_where_it_is_written(tmp_path: Path, region: str) -> None:
    found = issues(f'name = "x"\nscenario = "s.mbs"\nregion = "{region}"\n', tmp_path)
    assert [(key, line) for key, line, _ in found] == [("region", 3)]
    assert "unknown region" in found[0][2]


def test_a_region_is_a_country_code_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "s.mbs").write_text("")
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\nscenario = "s.mbs"\nregion = "be"\n', encoding="utf-8")
    assert load_campaign(path).settings.region == "BE"


def test_a_misspelt_refusal_result_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """A typo would never count as a refusal: the cool-off would silently not apply."""
    source = 'name = "demo"\nscenario = "s.mbs"\n[policy]\nrefusal_results = ["NOT_INTERESTD"]\n'
    ((key, line, message),) = issues(source, tmp_path)
    assert (key, line) == ("policy.refusal_results", 4)
    assert "unknown result 'NOT_INTERESTD': did you mean 'NOT_INTERESTED'?" in message
    fine = source.replace("NOT_INTERESTD", "NOT_INTERESTED")
    (tmp_path / "c.toml").write_text(fine, encoding="utf-8")
    assert load_campaign(tmp_path / "c.toml").settings.policy.refusal_results == ("NOT_INTERESTED",)
