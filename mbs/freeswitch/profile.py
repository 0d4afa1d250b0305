"""What the switch is set up for, shared by ``mbs freeswitch config`` and the robot.

``mbs freeswitch config`` writes the FreeSWITCH files from a :class:`SwitchProfile` and
writes the profile itself beside them (``mbs-switch.toml``). A campaign names that file
(``[telephony.esl] switch = "..."``): the robot then dials the gateway the switch has,
waits the originate timeout the switch was given, records into the switch's folder,
runs the AMD and recogniser the switch loads, and ``mbs campaign check`` refuses a
campaign that asks for a mode the switch lacks. Without the file both sides use the
defaults below, which agree.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mbs.files import SETTINGS_LIMIT, UnreadableFile, read_text
from mbs.toml_text import toml_document

PROFILE_FILE = "mbs-switch.toml"
AsrMode = Literal["vosk", "audio_fork", "none"]
# A sofia gateway's name, dialled as sofia/gateway/<name>/<number>.
GATEWAY_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
ASR_MODES: tuple[str, ...] = ("vosk", "audio_fork", "none")


class SwitchProfile(BaseModel):
    """The settings the switch's configuration and the robot must agree on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gateway: str = Field(default="mbs_trunk", pattern=GATEWAY_NAME.pattern)
    originate_timeout: int = Field(default=30, ge=5, le=300)  # seconds of ringing
    # absolute folders on the switch: uuid_record writes into the first; the second is
    # shared with the robot's host at the same path (TTS cache, prompts) so uuid_broadcast
    # can read what the robot wrote
    recordings_dir: str = "/var/lib/freeswitch/recordings/mbs"
    audio_dir: str = "/var/lib/mbs/audio"
    amd: bool = True  # mod_amd loaded: the robot runs the `amd` app at answer
    avmd: bool = False  # mod_avmd loaded: beep events
    asr: AsrMode = "vosk"  # vosk: detect_speech via mod_vosk; audio_fork: the robot's STT
    # the dialplan context of dialplan/mbs.xml: a transfer to a number bridges through it
    context: str = Field(default="mbs", pattern=GATEWAY_NAME.pattern)

    @field_validator("recordings_dir", "audio_dir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must be an absolute path on the switch, got {value!r}")
        return value.rstrip("/") or "/"

    @property
    def detect_speech(self) -> str:
        """The ``detect_speech`` arguments the robot sends after answer ("" = none)."""
        return "vosk default default" if self.asr == "vosk" else ""

    def backend_settings(self) -> dict[str, object]:
        """The telephony backend's settings that follow from the profile."""
        return {
            "gateway": self.gateway,
            "originate_timeout_s": self.originate_timeout,
            "amd": self.amd,
            "asr_app_arg": self.detect_speech,
            "recordings_dir": self.recordings_dir,
            "transfer_context": self.context,
        }

    def to_toml(self) -> str:
        lines = [
            "# Written by `mbs freeswitch config`: what this switch is set up for.",
            '# Name this file in a campaign: [telephony.esl] switch = "<path>".',
        ]
        return "\n".join(lines) + "\n" + toml_document(self.model_dump())


class ProfileError(ValueError):
    """A switch profile file that cannot be read; the message names the file."""


def load_profile(path: Path) -> SwitchProfile:
    try:
        data = tomllib.loads(read_text(path, limit=SETTINGS_LIMIT, what="the switch profile"))
    except UnreadableFile as exc:
        raise ProfileError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not a switch profile: {exc}") from None
    except RecursionError:
        raise ProfileError(f"{path}: not a switch profile: nested too deeply") from None
    try:
        return SwitchProfile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{path}: {key}: {first['msg']}") from None
