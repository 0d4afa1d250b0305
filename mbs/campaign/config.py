"""Campaign files (TOML): what to run, against whom, how, and within which rules.

Validated with pydantic; every error names the key and the line it is on
(``campaign.toml:12: retry.busy_delay: not a duration: '5 minutes'``). Paths inside
the file (scenario, contacts) are relative to the file itself. The keys and their
defaults are documented in ``docs/campaigns.md``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mbs.campaign.contacts import ImportResult, SaveReport, read_contacts, save_contacts
from mbs.campaign.errors import CampaignError
from mbs.campaign.law import CallingPolicy
from mbs.campaign.names import check_slug, suggest_slug
from mbs.campaign.store.records import CampaignInfo
from mbs.campaign.store.retry import RetryPolicy
from mbs.dsl.problems import suggest
from mbs.errors import DiagnosticsError
from mbs.files import SETTINGS_LIMIT, UnreadableFile, read_text
from mbs.freeswitch.profile import (
    GATEWAY_NAME,
    AsrMode,
    ProfileError,
    SwitchProfile,
    load_profile,
)
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, MissingDependency, UnknownBuiltin

if TYPE_CHECKING:
    from mbs.campaign.store import Store


# The implementation of each builtin kind when a campaign file names none: what a real
# switch needs (a voice that speaks, the offline NLU, no model server required).
SWITCH_STT = "switch"  # stt = "switch": FreeSWITCH's own recogniser (detect_speech)

DEFAULT_BUILTINS: dict[str, str] = {
    "stt": SWITCH_STT,
    "nlu": "hybrid",
    "llm": "none",
    "tts": "espeak",
    "amd": "default",
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_SWITCH = SwitchProfile()  # what `mbs freeswitch config` sets up by default

# The keys of [telephony.esl] that must match the switch's profile when one is named,
# with the `mbs freeswitch config` flag that changes each.
SWITCH_KEYS = {
    "gateway": "--gateway",
    "originate_timeout": "--originate-timeout",
    "asr": "--asr",
    "amd": "--amd/--no-amd",
}


class EslSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8021, ge=1, le=65535)
    password: str = "ClueCon"
    switch: Path | None = None  # the mbs-switch.toml `mbs freeswitch config` wrote
    gateway: str = _SWITCH.gateway  # sofia gateway name: sofia/gateway/<gateway>/<number>
    originate_timeout: int = Field(default=_SWITCH.originate_timeout, ge=5, le=300)
    asr: AsrMode = _SWITCH.asr  # the switch's recogniser: vosk, audio_fork or none
    amd: bool = _SWITCH.amd  # run mod_amd's `amd` app at answer
    caller_id_number: str | None = None
    caller_id_name: str | None = None

    @field_validator("gateway")
    @classmethod
    def _gateway_name(cls, value: str) -> str:
        # the switch profile's rule: the name goes into the dial string as it is
        if not GATEWAY_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a gateway name: letters, digits, '.', '_' and '-' only "
                "(the name given to the gateway in the switch's sofia profile)"
            )
        return value


class AudioForkSettings(_Model):
    """The audio server that hears calls through mod_audio_fork (``stt`` other than
    ``switch``)."""

    host: str = "127.0.0.1"  # where the server listens
    port: int = Field(default=0, ge=0, le=65535)  # 0: any free port (fine for the simulator)
    url: str | None = None  # the URL the switch connects to; default ws://host:port
    rate: Literal[8000, 16000] = 8000
    connect_timeout: float = Field(default=5.0, gt=0, le=60)  # seconds for the fork to connect
    idle_timeout: float = Field(default=5.0, gt=0, le=600)  # seconds without audio: failed

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError(f"url must start with ws:// or wss://, got {value!r}")
        return value


class TelephonySettings(_Model):
    backend: Literal["sim", "esl"] = "sim"
    # where audio the switch plays lives (TTS cache, prompts): absolute, and the same
    # path on the switch (a shared folder); None: the switch profile's audio_dir for
    # esl, ./var (made absolute) for sim
    audio_dir: Path | None = None
    esl: EslSettings = EslSettings()
    audio_fork: AudioForkSettings = AudioForkSettings()


class BuiltinSettings(BaseModel):
    """Which implementation of each builtin, and per-implementation option tables.

    ``[builtins.<implementation>]`` tables (``[builtins.ollama] model = "..."``) are
    passed as config to the implementation of that name.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    stt: str | None = None
    nlu: str | None = None
    llm: str | None = None
    tts: str | None = None
    amd: str | None = None

    @field_validator("stt")
    @classmethod
    def _stt(cls, value: str | None) -> str | None:
        if value is None or value == SWITCH_STT:
            return value
        from mbs.runtime.builtins import registry

        streaming = [n for n in registry.available("stt") if n != "text"]
        if value not in streaming:
            raise ValueError(
                f"unknown stt {value!r}: a campaign hears through {SWITCH_STT!r} (the switch's "
                f"detect_speech) or a streaming STT on the audio fork "
                f"({', '.join(streaming) or 'none installed'})"
            )
        return value

    @model_validator(mode="after")
    def _tables(self) -> BuiltinSettings:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, dict):
                raise ValueError(
                    f"unknown key {key!r}: builtins takes stt, nlu, llm, tts, amd "
                    f"and [builtins.<implementation>] tables"
                )
        return self

    def options(self, implementation: str) -> dict[str, Any]:
        """The option table of one implementation (empty when none was given)."""
        value = (self.model_extra or {}).get(implementation, {})
        return dict(value) if isinstance(value, dict) else {}

    def chosen(self) -> dict[str, str]:
        kinds = ("stt", "nlu", "llm", "tts", "amd")
        return {k: v for k in kinds if (v := getattr(self, k))}

    def effective(self) -> dict[str, str]:
        """Kind -> implementation, the campaign defaults filled in."""
        return {**DEFAULT_BUILTINS, **self.chosen()}

    def tables(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in (self.model_extra or {}).items() if isinstance(v, dict)}


class SimSettings(_Model):
    personas: dict[str, float] | None = None  # None: the simulator's default mix
    # simulated seconds per real second: slower than 1/100 would stall a demo for days,
    # faster than 100,000 leaves no time for a call to be heard
    time_scale: float = Field(default=1.0, ge=0.01, le=100_000, allow_inf_nan=False)
    seed: int = 0
    start: str = "next-window"  # "next-window", "now", or an ISO 8601 time with offset
    voice: str = Field(default="fr", pattern=r"^[A-Za-z0-9_+-]+$")  # espeak-ng voice of the callers

    @field_validator("personas")
    @classmethod
    def _personas(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        # the simulator's own vocabulary (imported only when a file names personas)
        from mbs.freeswitch.sim.personas import persona_kind

        mix: dict[str, float] = {}
        for name, weight in value.items():
            kind = persona_kind(name).value
            if weight < 0:
                raise ValueError(f"persona weight must not be negative: {name} = {weight}")
            mix[kind] = mix.get(kind, 0.0) + float(weight)
        if sum(mix.values()) <= 0:
            raise ValueError("the persona mix needs at least one positive weight")
        return mix

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value in ("next-window", "now"):
            return value
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"start must be 'next-window', 'now' or an ISO time, got {value!r}"
            ) from None
        if when.tzinfo is None:
            raise ValueError(f"start time {value!r} needs a UTC offset (e.g. +01:00 or Z)")
        if not 2000 <= when.year <= 2100:
            raise ValueError(f"start time {value!r} is not between the years 2000 and 2100")
        return value

    def start_time(self) -> datetime | None:
        """The fixed start, or None for 'next-window' / 'now'."""
        if self.start in ("next-window", "now"):
            return None
        return datetime.fromisoformat(self.start).astimezone(UTC)

    def mix_text(self) -> str | None:
        """The mix as the simulator's ``parse_mix`` reads it."""
        if self.personas is None:
            return None
        return ",".join(f"{k}={w:g}" for k, w in self.personas.items())


class WebhookSettings(_Model):
    url: str = Field(min_length=1, max_length=2000)  # http(s)://...
    secret_env: str = Field(default="MBS_WEBHOOK_SECRET", min_length=1)  # variable holding it

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the webhook url must start with http:// or https://")
        return value


class CampaignSettings(_Model):
    name: str  # a slug (mbs.campaign.names): it names folders
    scenario: Path
    contacts: Path | None = None
    region: str = "FR"  # for contact numbers written without a country code
    max_concurrent: int = Field(default=10, ge=1, le=10_000)
    batch_size: int | None = Field(default=None, ge=1)  # None: 2 x max_concurrent
    record: bool = True
    telephony: TelephonySettings = TelephonySettings()
    builtins: BuiltinSettings = BuiltinSettings()
    retry: RetryPolicy = RetryPolicy()
    policy: CallingPolicy = CallingPolicy()
    sim: SimSettings = SimSettings()
    webhook: WebhookSettings | None = None  # POST each finished call there
    retention_days: int | None = Field(default=None, ge=1, le=3650)  # purge older talk

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        try:
            return check_slug(value)
        except ValueError as exc:
            raise ValueError(f"{exc}; for example {suggest_slug(value)!r}") from None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        # an unknown region would reject every number written without +country
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown region {value!r}: a two-letter country code such as 'FR' or 'BE'"
            )
        return region

    @property
    def claim_batch(self) -> int:
        return self.batch_size or 2 * self.max_concurrent

    def to_store(self) -> dict[str, Any]:
        """The settings kept on the campaign row (JSON)."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Issue:
    key: str
    line: int | None
    message: str


class CampaignFileError(CampaignError, DiagnosticsError):
    """A campaign file that cannot be used; ``issues`` names each key and line."""

    def __init__(self, path: Path, issues: list[Issue]) -> None:
        self.path = path
        self.issues = issues
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for issue in self.issues:
            where = f"{self.path}:{issue.line}" if issue.line else str(self.path)
            key = f"{issue.key}: " if issue.key else ""
            out.append(f"{where}: {key}{issue.message}")
        return out


@dataclass(frozen=True)
class CampaignFile:
    path: Path
    settings: CampaignSettings

    @property
    def scenario_path(self) -> Path:
        return (self.path.parent / self.settings.scenario).resolve()

    @property
    def contacts_path(self) -> Path | None:
        if self.settings.contacts is None:
            return None
        return (self.path.parent / self.settings.contacts).resolve()

    @property
    def switch_path(self) -> Path | None:
        switch = self.settings.telephony.esl.switch
        return None if switch is None else (self.path.parent / switch).resolve()

    def switch_profile(self) -> SwitchProfile:
        """What the switch is set up for: its profile file, else the campaign's own keys.

        Raises :class:`ProfileError` when the named file cannot be read."""
        path = self.switch_path
        if path is not None:
            return load_profile(path)
        esl = self.settings.telephony.esl
        audio = self.settings.telephony.audio_dir
        return SwitchProfile(
            gateway=esl.gateway,
            originate_timeout=esl.originate_timeout,
            asr=esl.asr,
            amd=esl.amd,
            # a relative folder is refused by check_switch; here it falls back
            audio_dir=str(audio)
            if audio is not None and audio.is_absolute()
            else _SWITCH.audio_dir,
        )

    def prompts_dir(self) -> Path:
        """Where relative prompt paths of the scenario (``audio "mail.wav"``) are found:
        the shared audio folder against a real switch (or when the file names one), the
        scenario's own folder in a simulated campaign."""
        if self.settings.telephony.backend == "esl" or self.settings.telephony.audio_dir:
            return self.audio_dir()
        return self.scenario_path.parent

    def audio_dir(self) -> Path:
        """The absolute folder for audio the switch plays (TTS cache, prompts)."""
        audio = self.settings.telephony.audio_dir
        if audio is not None:
            return (self.path.parent / audio).resolve()
        if self.settings.telephony.backend == "esl":
            return Path(self.switch_profile().audio_dir)
        return Path("var").resolve()


# ---------------------------------------------------------------------- lines

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


def key_lines(source: str) -> dict[tuple[str, ...], int]:
    """Full key path -> 1-based line, for table headers and ``key = value`` lines."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline = False
    for number, line in enumerate(source.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = table + _split_key(key.group(1))
            found.setdefault(path, number)
            rest = line[key.end() :]
            if rest.count('"""') % 2 or rest.count("'''") % 2:
                in_multiline = True
    return found


def _line_for(loc: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> int | None:
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


# ---------------------------------------------------------------------- loading


def parse_campaign(source: str, path: Path, *, check_paths: bool = True) -> CampaignFile:
    try:
        raw = tomllib.loads(source)
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise CampaignFileError(
            path, [Issue("", None, "invalid TOML: nested too deeply")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise CampaignFileError(
            path, [Issue("", int(m.group(1)) if m else None, f"invalid TOML: {message}")]
        ) from None
    lines = key_lines(source)
    try:
        settings = CampaignSettings.model_validate(raw)
    except ValidationError as exc:
        issues = []
        for e in exc.errors():
            loc = tuple(str(p) for p in e["loc"] if not isinstance(p, int))
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "missing":
                message = "missing required key"
            elif e["type"] == "extra_forbidden":
                message = "unknown key"
            named = re.match(r"unknown key '([^']+)'", message)
            if named:  # raised by a model validator: point at the key itself
                loc = (*loc, named.group(1))
            issues.append(Issue(".".join(loc), _line_for(loc, lines) or 1, message))
        issues.sort(key=lambda i: i.line or 0)
        raise CampaignFileError(path, issues) from None
    campaign = CampaignFile(path, settings)
    builtin_issues = check_builtins(settings.builtins, lines) + check_switch(campaign, lines)
    if builtin_issues:
        builtin_issues.sort(key=lambda i: i.line or 0)
        raise CampaignFileError(path, builtin_issues)
    if check_paths:
        issues = []
        for key, target in (
            ("scenario", campaign.scenario_path),
            ("contacts", campaign.contacts_path),
        ):
            if target is not None and not target.is_file():
                issues.append(Issue(key, lines.get((key,)), f"no such file: {target}"))
        if issues:
            raise CampaignFileError(path, issues)
    return campaign


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = suggest(name, candidates)
    return f" (did you mean {close!r}?)" if close else ""


def check_builtins(builtins: BuiltinSettings, lines: dict[tuple[str, ...], int]) -> list[Issue]:
    """Every builtin name registered and installed, every option known and well typed.

    Reads each implementation's ``Options`` through the registry: nothing is built.
    A ``[builtins.<name>]`` table serves every kind with an implementation of that name
    (``[builtins.ollama]`` for both ``nlu.ollama`` and ``llm.ollama``).
    """
    issues: list[Issue] = []
    for kind, name in builtins.chosen().items():
        if kind == "stt" and name == SWITCH_STT:
            continue  # not a builtin: the switch's own recogniser
        known = registry.available(kind)
        key = f"builtins.{kind}"
        line = lines.get(("builtins", kind))
        if name not in known:
            issues.append(
                Issue(
                    key,
                    line,
                    f"no {kind} builtin named {name!r}{_did_you_mean(name, known)}"
                    f" (available: {', '.join(known) or 'none'})",
                )
            )
            continue
        try:
            registry.options_model(kind, name)
            registry.check_installed(kind, name)
        except MissingDependency as exc:
            issues.append(Issue(key, line, f"{kind} {name!r} is not installed: {exc}"))
        except BuiltinError as exc:
            issues.append(Issue(key, line, str(exc)))
    every = sorted({n for kind in registry.KINDS for n in registry.available(kind)})
    for table, options in builtins.tables().items():
        where = ("builtins", table)
        kinds = [k for k in registry.KINDS if table in registry.available(k)]
        if not kinds:
            issues.append(
                Issue(
                    f"builtins.{table}",
                    lines.get(where),
                    f"no builtin named {table!r}{_did_you_mean(table, every)}",
                )
            )
            continue
        models = []
        for kind in kinds:
            try:
                model = registry.options_model(kind, table)
            except (MissingDependency, UnknownBuiltin, BuiltinError):
                continue  # reported above when the campaign uses it
            if model is not None:
                models.append(model)
        if not models:
            continue
        fields = sorted({f for m in models for f in m.model_fields})
        for option in options:
            if option not in fields and not any(
                registry.option_errors(m, {option: options[option]}) == [] for m in models
            ):
                issues.append(
                    Issue(
                        f"builtins.{table}.{option}",
                        lines.get((*where, option)) or lines.get(where),
                        f"unknown option{_did_you_mean(option, fields)}"
                        f" (options of {table}: {', '.join(fields) or 'none'})",
                    )
                )
        for model in models:
            own = {k: v for k, v in options.items() if k in model.model_fields}
            for option, message in registry.option_errors(model, own):
                top = option.split(".", 1)[0]
                issue = Issue(
                    f"builtins.{table}.{option}",
                    lines.get((*where, top)) or lines.get(where),
                    message,
                )
                if issue not in issues:
                    issues.append(issue)
    issues.sort(key=lambda i: i.line or 0)
    return issues


def check_switch(campaign: CampaignFile, lines: dict[tuple[str, ...], int]) -> list[Issue]:
    """The campaign asks only for what the switch is set up for (its profile file)."""
    s = campaign.settings
    esl = s.telephony.esl
    issues: list[Issue] = []
    audio = s.telephony.audio_dir
    if s.telephony.backend == "esl" and audio is not None and not audio.is_absolute():
        issues.append(
            Issue(
                "telephony.audio_dir",
                lines.get(("telephony", "audio_dir")),
                f"must be an absolute path the switch reads at the same place, got {audio}",
            )
        )
    tts = s.builtins.effective()["tts"]  # espeak, coqui: the switch plays their cache
    cache_dir = s.builtins.options(tts).get("cache_dir")
    if (
        s.telephony.backend == "esl"
        and isinstance(cache_dir, str)
        and not Path(cache_dir).is_absolute()
    ):
        issues.append(
            Issue(
                f"builtins.{tts}.cache_dir",
                lines.get(("builtins", tts, "cache_dir")),
                f"the switch plays these files: give an absolute path it reads, not {cache_dir!r}",
            )
        )
    try:
        profile = campaign.switch_profile()
    except ProfileError as exc:
        issues.append(
            Issue("telephony.esl.switch", lines.get(("telephony", "esl", "switch")), str(exc))
        )
        return issues
    if campaign.switch_path is not None:
        for key, flag in SWITCH_KEYS.items():
            wanted, has = getattr(esl, key), getattr(profile, key)
            if key in esl.model_fields_set and wanted != has:
                issues.append(
                    Issue(
                        f"telephony.esl.{key}",
                        lines.get(("telephony", "esl", key)),
                        f"the switch ({campaign.switch_path.name}) is set up with {key} = "
                        f"{has!r}, not {wanted!r}: regenerate it with `mbs freeswitch config "
                        f"{flag}` or drop the key",
                    )
                )
    stt = s.builtins.effective()["stt"]
    if s.telephony.backend == "esl" and stt != SWITCH_STT and profile.asr != "audio_fork":
        issues.append(
            Issue(
                "builtins.stt",
                lines.get(("builtins", "stt")),
                f"stt {stt!r} hears the call's audio, which the switch sends only with "
                f"asr = 'audio_fork' (it is set up with {profile.asr!r})",
            )
        )
    if s.telephony.backend == "esl" and stt == SWITCH_STT and profile.asr != "vosk":
        issues.append(
            Issue(
                "telephony.esl.asr",
                lines.get(("telephony", "esl", "asr")) or lines.get(("telephony", "esl")),
                f"the switch recognises nothing (asr = {profile.asr!r}) and the robot's stt is "
                "'switch': nothing would hear the prospect"
                + (
                    "; with audio_fork, the robot's own stt hears the audio: set "
                    '[builtins] stt = "vosk"'
                    if profile.asr == "audio_fork"
                    else ""
                ),
            )
        )
    return issues


def load_campaign(path: str | Path, *, check_paths: bool = True) -> CampaignFile:
    """Read and validate a campaign file; :class:`CampaignFileError` says what is wrong."""
    path = Path(path)
    try:
        source = read_text(path, limit=SETTINGS_LIMIT, what="the campaign file")
    except UnreadableFile as exc:
        raise CampaignFileError(
            path, [Issue("", None, f"cannot read the file: {exc.reason}")]
        ) from None
    return parse_campaign(source, path, check_paths=check_paths)


@dataclass(frozen=True)
class CampaignSetup:
    campaign: CampaignInfo
    contacts: ImportResult | None  # the contact file's report, when the file names one
    saved: SaveReport | None


def setup_campaign(
    store: Store, campaign: CampaignFile, *, now: datetime, program_hash: str | None = None
) -> CampaignSetup:
    """Create (or update) the campaign in the store and enrol its contact file.

    Safe to repeat: running the same file again updates the settings, merges the
    contacts and enrols only the new ones. Raises ContactFileError when the contact
    file cannot be read.
    """
    s = campaign.settings
    info = store.create_campaign(
        s.name,
        now=now,
        scenario=str(campaign.scenario_path),
        program_hash=program_hash,
        settings=s.to_store(),
        exist_ok=True,
    )
    if campaign.contacts_path is None:
        return CampaignSetup(info, None, None)
    result = read_contacts(campaign.contacts_path, region=s.region)
    saved = save_contacts(store, result, now=now, campaign=s.name)
    return CampaignSetup(info, result, saved)
