"""Builtin names and options in campaign files: checked against each implementation's
typed ``Options`` before anything runs, and documented from the same models."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.campaign.config import DEFAULT_BUILTINS, CampaignFileError, load_campaign
from mbs.campaign.defaults_table import builtins_markdown, documented_block
from mbs.campaign.store import Store
from mbs.cli import campaign_cmd, run_cmd
from mbs.cli.programs import load_program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.options import BuiltinOptions

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "or_rdv.mbs"
app = typer.Typer()
campaign_cmd.register(app)
run_cmd.register(app)

# Each mistake the issue names, the line it is on and what the message must say.
MISTAKES = [
    ('[builtins]\nnlu = "bogus"\n', 5, "builtins.nlu: no nlu builtin named 'bogus'"),
    ('[builtins]\ntts = "bogus"\n', 5, "builtins.tts: no tts builtin named 'bogus'"),
    ('[builtins]\ntts = "coqui"\n', 5, "builtins.tts: tts 'coqui' is not installed"),
    ('[builtins]\ntts = "espek"\n', 5, "builtins.tts: no tts builtin named 'espek' (did you mean 'espeak'?)"),
    ("[builtins.espeak]\nsped = 200\n", 5, "builtins.espeak.sped: unknown option (did you mean 'speed'?)"),
    ('[builtins.ollama]\nmodle = "m"\n', 5, "builtins.ollama.modle: unknown option (did you mean 'model'?)"),
    ("[builtins.ollama]\ntimout = 2\n", 5, "builtins.ollama.timout: unknown option (did you mean 'timeout'?)"),
    ("[builtins.espeak]\nspeed = \"fast\"\n", 5, "builtins.espeak.speed: Input should be a valid integer"),
    ("[builtins.espeak]\nrate = 22050\n", 5, "builtins.espeak.rate: must be one of 8000, 16000"),
    ("[builtins.fuzzy]\nintent_threshold = 2\n", 5, "builtins.fuzzy.intent_threshold: Input should be less than or equal to 1"),
    ("[builtins.espeek]\nspeed = 200\n", 4, "builtins.espeek: no builtin named 'espeek' (did you mean 'espeak'?)"),
]  # fmt: skip


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'name = "x"\nscenario = "{SCENARIO}"\n\n{body}', encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "line", "message"), MISTAKES)
def test_campaign_check_names_file_key_line_and_the_closest_name(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, body)
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    assert result.exit_code != 0
    text = " ".join(result.output.split())  # rich wraps long lines
    assert f"{path}:{line}: {message}" in text, text


def test_every_example_passes_the_check() -> None:
    examples = sorted((ROOT / "examples").glob("*.toml"))
    assert examples
    for example in examples:
        result = CliRunner().invoke(app, ["campaign", "check", str(example)])
        assert result.exit_code == 0, (example, result.output)


def test_mbs_run_refuses_before_writing_to_the_store(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("telephone\n0612345678\n", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(
        f'name = "x"\nscenario = "{SCENARIO}"\ncontacts = "contacts.csv"\n\n'
        '[builtins]\ntts = "coqui"\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = CliRunner().invoke(app, ["run", "--campaign", str(path), "--database", url, "-q"])
    assert result.exit_code != 0
    assert "tts 'coqui' is not installed" in " ".join(result.output.split())
    assert not (tmp_path / "store.sqlite").exists()  # the store was not even opened
    store = Store.open(url)
    assert store.list_campaigns() == []


def test_options_are_declared_by_every_builtin_and_read_without_building() -> None:
    for kind in registry.KINDS:
        for name in registry.available(kind):
            model = registry.options_model(kind, name)
            assert model is not None and issubclass(model, BuiltinOptions), (kind, name)
            assert model.model_config.get("extra") == "forbid"


def test_the_registry_refuses_a_bad_option_from_the_command_line_too() -> None:
    program = load_program(SCENARIO)
    with pytest.raises(BuiltinError, match="option 'sped': unknown option"):
        registry.create("tts", "espeak", program, {"sped": "200"})
    tts = registry.create("tts", "espeak", program, {"speed": "200"})  # text from --tts-opt
    assert tts.speed == 200  # type: ignore[attr-defined]


# Where a builtin keeps an option under another name, or in a part of itself.
ATTRIBUTES = {
    "phrase_threshold": "threshold",
    "long_greeting_ms": "long_ms",
    "long_greeting_words": "long_words",
}
IN_PARTS = ("chat",)  # the Ollama builtins keep host, model and timeout in their client


def _kept(built: object, field: str) -> tuple[bool, object]:
    """Whether ``built`` keeps ``field`` as an attribute, and its value."""
    name = ATTRIBUTES.get(field, field)
    for holder in (built, *(getattr(built, p) for p in IN_PARTS if hasattr(built, p))):
        if hasattr(holder, name):
            return True, getattr(holder, name)
    return False, None


def test_option_defaults_are_what_the_builtins_use() -> None:
    """Every builtin that builds here without a model: each option default its Options
    model documents is the value the builtin runs with (they once disagreed: llm.ollama
    documented 150 words and kept 40)."""
    program = load_program(SCENARIO)
    checked = 0
    for kind in registry.KINDS:
        for name in registry.available(kind):
            model = registry.options_model(kind, name)
            assert model is not None
            try:
                built = registry.create(kind, name, program, {})
            except BuiltinError:
                continue  # needs a model or a package absent here (coqui, vosk)
            defaults = model()
            for field in model.model_fields:
                value = getattr(defaults, field)
                kept, got = _kept(built, field)
                if value is None or value == {} or not kept or callable(got):
                    continue  # taken from the scenario, or not kept as such
                if isinstance(got, Path):
                    got = str(got)
                if field == "fallback":  # kept built: the registry's builtin of that name
                    got = type(got) is type(registry.create(kind, value, program, {}))
                    value = True
                assert got == value, (kind, name, field, got, value)
                checked += 1
    assert checked >= 15


def test_a_campaign_without_tts_speaks(tmp_path: Path) -> None:
    loaded = load_campaign(write(tmp_path, ""))
    assert loaded.settings.builtins.effective()["tts"] == DEFAULT_BUILTINS["tts"] == "espeak"


def test_the_documented_table_is_the_code() -> None:
    doc = (ROOT / "docs" / "campaigns.md").read_text(encoding="utf-8")
    block = documented_block(doc)
    assert block is not None, "the generated block's markers are missing in docs/campaigns.md"
    assert block == builtins_markdown(), (
        "docs/campaigns.md is out of date: python -m mbs.campaign.defaults_table"
    )


def test_unknown_table_error_is_still_a_campaign_file_error(tmp_path: Path) -> None:
    with pytest.raises(CampaignFileError):
        load_campaign(write(tmp_path, "[builtins]\nstt = 3\n"))


def test_third_party_builtins_plug_in_with_their_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another package's builtin: its Options are checked like ours; a builtin whose
    optional dependency is absent is refused at check time with the install hint."""
    site = tmp_path / "site"
    info = site / "acme_voice-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-voice\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[mbs.builtins]\nnlu.shout = acme_shout:ShoutNlu\ntts.coqui = acme_coqui:CoquiTts [coqui]\n"
    )
    (site / "acme_shout.py").write_text(
        "from mbs.runtime.builtins.options import BuiltinOptions\n\n"
        "class ShoutOptions(BuiltinOptions):\n    loud: bool = False\n\n"
        "class ShoutNlu:\n    Options = ShoutOptions\n\n"
        "    def __init__(self, program, config):\n        self.loud = config.get('loud')\n"
    )
    (site / "acme_coqui.py").write_text("import acme_absent_tts_engine\n\nclass CoquiTts: ...\n")
    monkeypatch.syspath_prepend(str(site))

    path = write(
        tmp_path, '[builtins]\nnlu = "shout"\ntts = "coqui"\n\n[builtins.shout]\nlowd = true\n'
    )
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    text = " ".join(result.output.split())
    assert result.exit_code != 0
    assert f"{path}:6: builtins.tts: tts 'coqui' is not installed" in text
    assert "pip install 'acme-voice[coqui]'" in text
    assert f"{path}:9: builtins.shout.lowd: unknown option (did you mean 'loud'?)" in text
    path = write(tmp_path, '[builtins]\nnlu = "shout"\n\n[builtins.shout]\nloud = true\n')
    assert load_campaign(path).settings.builtins.options("shout") == {"loud": True}


@pytest.mark.parametrize(
    "written",
    [
        '"fallback.intent_threshold" = 0.91\n"fallback.objection_threshold" = 0.92\n',
        "fallback_options = { intent_threshold = 0.91, objection_threshold = 0.92 }\n",
    ],
)
def test_the_fallback_of_nlu_ollama_gets_its_options_from_the_campaign(
    tmp_path: Path, written: str
) -> None:
    """Both documented spellings reach the fallback NLU (they were dropped on the way)."""
    from mbs.campaign.compose import build_builtins

    body = f'[builtins]\nnlu = "ollama"\n\n[builtins.ollama]\nfallback = "fuzzy"\n{written}'
    loaded = load_campaign(write(tmp_path, body))
    nlu = build_builtins(loaded, load_program(SCENARIO))["nlu"]
    fallback = nlu.fallback  # type: ignore[attr-defined]
    assert type(fallback).__name__ == "FuzzyNlu"
    assert (fallback.intent_threshold, fallback.objection_threshold) == (0.91, 0.92)


def test_builtin_paths_are_relative_to_the_campaign_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every other path of a campaign file: run from anywhere, the same folders."""
    from mbs.campaign.compose import build_builtins

    folder = tmp_path / "campagnes"
    folder.mkdir()
    (folder / "modeles" / "fr").mkdir(parents=True)
    body = '[builtins.espeak]\ncache_dir = "var/tts"\n[builtins.vosk]\nmodel = "modeles/fr"\n'
    loaded = load_campaign(write(folder, body))
    monkeypatch.chdir(tmp_path)  # not the campaign's folder
    tts = build_builtins(loaded, load_program(SCENARIO))["tts"]
    assert tts.cache_dir == folder / "var" / "tts"  # type: ignore[attr-defined]
    from mbs.campaign.compose import _options

    assert _options(loaded, "stt", "vosk")["model"] == str(folder / "modeles" / "fr")
    # a bare name is an installed model's name unless such a folder is there
    named = load_campaign(write(folder, '[builtins.vosk]\nmodel = "vosk-model-small-fr"\n'))
    assert _options(named, "stt", "vosk")["model"] == "vosk-model-small-fr"
