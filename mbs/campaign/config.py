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
from mbs.campaign.law import CallingPolicy
from mbs.campaign.store.records import CampaignInfo
from mbs.campaign.store.retry import RetryPolicy

if TYPE_CHECKING:
    from mbs.campaign.store import Store

# The simulator's persona kinds (mbs.freeswitch.sim.personas.PersonaKind; the runtime
# does not import the simulator, a test keeps the two lists equal).
PERSONAS = (
    "human",
    "silent",
    "no_answer",
    "busy",
    "rejected",
    "machine",
    "hangup_mid_prompt",
    "barge_in",
    "dtmf",
)
PERSONA_ALIASES = {
    "hangup": "hangup_mid_prompt",
    "voicemail": "machine",
    "answering_machine": "machine",
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EslSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8021, ge=1, le=65535)
    password: str = "ClueCon"
    gateway: str | None = None  # sofia gateway name: sofia/gateway/<gateway>/<number>
    originate_timeout: int = Field(default=30, ge=1, le=600)  # seconds of ringing
    caller_id_number: str | None = None
    caller_id_name: str | None = None


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
    esl: EslSettings = EslSettings()
    audio_fork: AudioForkSettings = AudioForkSettings()


SWITCH_STT = "switch"  # stt = "switch": FreeSWITCH's own recogniser (detect_speech)


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


class SimSettings(_Model):
    personas: dict[str, float] | None = None  # None: the simulator's default mix
    time_scale: float = Field(default=1.0, gt=0)  # simulated seconds per real second
    seed: int = 0
    start: str = "next-window"  # "next-window", "now", or an ISO 8601 time with offset
    voice: str = Field(default="fr", pattern=r"^[A-Za-z0-9_+-]+$")  # espeak-ng voice of the callers

    @field_validator("personas")
    @classmethod
    def _personas(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        mix: dict[str, float] = {}
        for name, weight in value.items():
            kind = PERSONA_ALIASES.get(name, name)
            if kind not in PERSONAS:
                raise ValueError(f"unknown persona {name!r} (known: {', '.join(PERSONAS)})")
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


class CampaignSettings(_Model):
    name: str = Field(min_length=1, max_length=200)
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


class CampaignFileError(Exception):
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


def load_campaign(path: str | Path, *, check_paths: bool = True) -> CampaignFile:
    """Read and validate a campaign file; :class:`CampaignFileError` says what is wrong."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CampaignFileError(
            path, [Issue("", None, f"cannot read the file: {reason}")]
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
