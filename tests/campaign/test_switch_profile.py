"""`mbs freeswitch config` and the robot share one profile: what the switch is set up
for is what a campaign's robot does, and a campaign asking for more is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.campaign.compose import build_builtins, build_telephony
from mbs.campaign.config import CampaignFileError, EslSettings, load_campaign
from mbs.cli import freeswitch_cmd
from mbs.cli.programs import load_program
from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
from mbs.freeswitch.config import FreeSwitchSettings
from mbs.freeswitch.profile import SwitchProfile, load_profile
from tests.freeswitch.audio_rig import korean_model

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "or_rdv.mbs"
app = typer.Typer()
freeswitch_cmd.register(app)


def configure(tmp_path: Path, *flags: str) -> Path:
    out = tmp_path / "fs"
    result = CliRunner().invoke(app, ["freeswitch", "config", "--out", str(out), *flags])
    assert result.exit_code == 0, result.output
    return out / "mbs-switch.toml"


def campaign(tmp_path: Path, esl: str = "", builtins: str = "") -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        f'name = "x"\nscenario = "{SCENARIO}"\n\n[telephony]\nbackend = "esl"\n\n'
        f"[telephony.esl]\n{esl}\n[builtins]\n{builtins}\n",
        encoding="utf-8",
    )
    return path


def errors(path: Path) -> list[str]:
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path)
    return caught.value.lines()


def test_the_defaults_of_both_sides_agree() -> None:
    profile = SwitchProfile()
    backend, generator, esl = EslBackendConfig(), FreeSwitchSettings(), EslSettings()
    assert backend.gateway == generator.gateway == esl.gateway == profile.gateway == "mbs_trunk"
    assert backend.originate_timeout_s == generator.originate_timeout == esl.originate_timeout
    assert backend.amd == generator.amd == esl.amd
    assert generator.asr == esl.asr == "vosk"
    assert backend.asr_app_arg == "vosk default default"


def test_the_robot_uses_what_the_switch_was_set_up_for(tmp_path: Path) -> None:
    profile = configure(
        tmp_path,
        "--gateway", "ovh",
        "--gateway-proxy", "sip.ovh.net",
        "--originate-timeout", "45",
        "--asr", "audio_fork",
        "--no-amd",
        "--recordings", "/srv/switch/rec",
        "--audio-dir", "/srv/shared/audio",
    )  # fmt: skip
    # the switch forks the audio: the robot's own stt hears it (any model will do here)
    vosk = f'stt = "vosk"\n[builtins.vosk]\nmodel = "{korean_model()}"\n'
    loaded = load_campaign(campaign(tmp_path, f'switch = "{profile}"\n', vosk))
    telephony = build_telephony(loaded, None, tmp_path / "unused")
    assert isinstance(telephony, EslTelephony)
    cfg = telephony.config
    assert cfg.gateway == "ovh" and cfg.originate_timeout_s == 45
    assert cfg.asr_app_arg == "" and cfg.amd is False  # no detect_speech, no amd app
    assert cfg.recordings_dir == "/srv/switch/rec"
    tts = build_builtins(loaded, load_program(SCENARIO))["tts"]
    assert tts.cache_dir == Path("/srv/shared/audio/tts-cache")  # type: ignore[attr-defined]


def test_a_mode_the_switch_lacks_is_refused_at_check_time(tmp_path: Path) -> None:
    profile = configure(tmp_path, "--asr", "audio_fork", "--no-amd")
    path = campaign(tmp_path, f'switch = "{profile}"\nasr = "vosk"\namd = true\n', 'stt = "vosk"\n')
    found = errors(path)
    assert len(found) == 2
    assert (
        f"{path}:9: telephony.esl.asr: the switch (mbs-switch.toml) is set up with asr = 'audio_fork'"
        in found[0]
    )
    assert "--asr" in found[0]
    assert found[1].startswith(f"{path}:10: telephony.esl.amd:")


def test_an_audio_stt_needs_the_audio_fork(tmp_path: Path) -> None:
    profile = configure(tmp_path)  # asr vosk: the switch recognises, the robot gets text
    path = campaign(tmp_path, f'switch = "{profile}"\n', 'stt = "vosk"\n')
    (found,) = errors(path)
    assert "builtins.stt: stt 'vosk' hears the call's audio" in found and ":11:" in found


def test_no_recogniser_anywhere_is_refused(tmp_path: Path) -> None:
    (found,) = errors(campaign(tmp_path, 'asr = "none"\n'))
    assert "telephony.esl.asr: the switch recognises nothing (asr = 'none')" in found


def test_the_audio_fork_needs_the_robots_own_stt(tmp_path: Path) -> None:
    """With asr = "audio_fork" the switch sends audio and recognises nothing: the default
    stt ("switch") would hear nobody, and the robot's stt hears the audio."""
    (found,) = errors(campaign(tmp_path, 'asr = "audio_fork"\n'))
    assert "the switch recognises nothing (asr = 'audio_fork')" in found
    assert '[builtins] stt = "vosk"' in found
    load_campaign(campaign(tmp_path, 'asr = "audio_fork"\n', 'stt = "vosk"\n'))


@pytest.mark.parametrize("gateway", ["my trunk", "a/b", "x;y", ""])
def test_a_gateway_the_dial_string_cannot_carry_is_a_keyed_error(
    tmp_path: Path, gateway: str
) -> None:
    (found,) = errors(campaign(tmp_path, f'gateway = "{gateway}"\n'))
    assert f"c.toml:8: telephony.esl.gateway: {gateway!r} is not a gateway name" in found


def test_an_unreadable_profile_and_a_relative_audio_dir(tmp_path: Path) -> None:
    (found,) = errors(campaign(tmp_path, 'switch = "absent.toml"\n'))
    assert "telephony.esl.switch:" in found and "cannot read the switch profile" in found
    path = tmp_path / "rel.toml"
    path.write_text(
        f'name = "x"\nscenario = "{SCENARIO}"\n[telephony]\nbackend = "esl"\naudio_dir = "var"\n'
    )
    (found,) = errors(path)
    assert f"{path}:5: telephony.audio_dir: must be an absolute path" in found


def test_a_relative_tts_cache_is_refused_against_a_real_switch(tmp_path: Path) -> None:
    path = campaign(tmp_path, "", '\n[builtins.espeak]\ncache_dir = "var/tts"\n')
    (found,) = errors(path)
    assert "builtins.espeak.cache_dir: the switch plays these files" in found


def test_the_generated_files_carry_the_profile(tmp_path: Path) -> None:
    profile = configure(tmp_path, "--originate-timeout", "40", "--audio-dir", "/srv/a")
    out = profile.parent
    assert 'call_timeout=40"' in (out / "dialplan" / "mbs.xml").read_text()
    assert "mbs_audio_dir=/srv/a" in (out / "vars" / "mbs-vars.xml").read_text()
    assert "originate_timeout = 40" in profile.read_text()


def test_relative_prompts_are_looked_for_where_the_switch_reads(tmp_path: Path) -> None:
    profile = configure(tmp_path, "--audio-dir", "/srv/shared/audio")
    real = load_campaign(campaign(tmp_path, f'switch = "{profile}"\n'))
    assert real.prompts_dir() == Path("/srv/shared/audio")
    sim = tmp_path / "sim.toml"
    sim.write_text(f'name = "x"\nscenario = "{SCENARIO}"\n', encoding="utf-8")
    assert load_campaign(sim).prompts_dir() == SCENARIO.parent


def test_the_example_profile_is_what_the_generator_writes() -> None:
    example = ROOT / "examples" / "freeswitch" / "mbs-switch.toml"
    assert example.read_text(encoding="utf-8") == FreeSwitchSettings().profile().to_toml()


def test_the_profile_file_reads_back_whatever_its_folders_are_called(tmp_path: Path) -> None:
    profile = SwitchProfile(recordings_dir='/srv/enr "mbs"\\2026', audio_dir="/srv/audio\tx")
    path = tmp_path / "mbs-switch.toml"
    path.write_text(profile.to_toml(), encoding="utf-8")
    assert load_profile(path) == profile


@pytest.mark.parametrize(("scenario_says", "campaign_says", "recorded"), [
    ("yes", "true", True), ("no", "true", False), ("yes", "false", False),
])  # fmt: skip
def test_a_call_is_recorded_only_when_the_scenario_and_the_campaign_say_so(
    tmp_path: Path, scenario_says: str, campaign_says: str, recorded: bool
) -> None:
    """A scenario with ``record no`` announces no recording: none may be made, whatever
    the campaign's default (``record = true``)."""
    from mbs.campaign.compose import records

    text = SCENARIO.read_text(encoding="utf-8").replace(
        "record      yes", f"record {scenario_says}"
    )
    scenario = tmp_path / "or_rdv.mbs"
    scenario.write_text(text, encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(
        f'name = "x"\nscenario = "{scenario}"\nrecord = {campaign_says}\n'
        '[telephony]\nbackend = "esl"\n[telephony.esl]\nasr = "vosk"\n',
        encoding="utf-8",
    )
    loaded = load_campaign(path)
    program = load_program(scenario)
    assert program.scenario.record is (scenario_says == "yes")
    assert records(loaded, program) is recorded
    telephony = build_telephony(loaded, None, tmp_path / "rec", program)
    assert isinstance(telephony, EslTelephony) and telephony.config.record is recorded
