"""FreeSWITCH configuration for mbs, rendered from the jinja2 templates beside this module.

``render(settings)`` returns {relative path: text}; ``write(settings, out_dir)`` puts the
files under ``out_dir`` in FreeSWITCH's own layout (``autoload_configs/``, ``dialplan/``,
``sip_profiles/external/``, ``vars/``). Settings are checked first, so a bad value is a
clear message, never a half-written config. See docs/freeswitch.md.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pydantic import ValidationError

from mbs.errors import InputError
from mbs.freeswitch.profile import ASR_MODES, PROFILE_FILE, SwitchProfile

TEMPLATES = Path(__file__).parent / "templates"
ASR_CHOICES = ASR_MODES
_DEFAULT = SwitchProfile()  # the defaults the robot uses too
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_XML_UNSAFE = re.compile(r"[<>&\"']")


class ConfigError(InputError, ValueError):
    """A setting that cannot go into a FreeSWITCH config."""


@dataclass
class FreeSwitchSettings:
    listen_ip: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    acl_name: str = "mbs"
    acl: list[str] = field(default_factory=lambda: ["127.0.0.1/32"])
    gateway: str = _DEFAULT.gateway
    gateway_proxy: str = "sip.example.net"
    gateway_username: str = ""
    gateway_password: str = ""
    gateway_realm: str = ""
    caller_id: str = ""
    context: str = "mbs"
    originate_timeout: int = _DEFAULT.originate_timeout
    amd: bool = _DEFAULT.amd
    avmd: bool = _DEFAULT.avmd
    asr: str = _DEFAULT.asr
    vosk_url: str = "ws://127.0.0.1:2700"
    recordings_dir: str = _DEFAULT.recordings_dir
    audio_dir: str = _DEFAULT.audio_dir

    def profile(self) -> SwitchProfile:
        """The part the robot must agree with (written as ``mbs-switch.toml``)."""
        try:
            return SwitchProfile(
                gateway=self.gateway,
                originate_timeout=self.originate_timeout,
                recordings_dir=self.recordings_dir,
                audio_dir=self.audio_dir,
                amd=self.amd,
                avmd=self.avmd,
                asr=self.asr,  # type: ignore[arg-type]
                context=self.context,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"{first['loc'][0]}: {first['msg']}") from None

    def check(self) -> None:
        """Raise ConfigError naming the first bad setting."""
        try:
            ipaddress.ip_address(self.listen_ip)
        except ValueError:
            raise ConfigError(f"listen IP {self.listen_ip!r} is not an IP address") from None
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is not between 1 and 65535")
        if not self.password or _XML_UNSAFE.search(self.password) or " " in self.password:
            raise ConfigError(
                "the ESL password must be non-empty, without spaces, quotes, < > or &"
            )
        if self.password == "ClueCon" and self.listen_ip not in ("127.0.0.1", "::1"):
            raise ConfigError(
                "the default password ClueCon is only acceptable on loopback; choose --password"
            )
        if not self.acl:
            raise ConfigError("the ACL needs at least one network allowed to connect")
        for cidr in self.acl:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ConfigError(
                    f"ACL entry {cidr!r} is not a network (e.g. 10.0.0.5/32)"
                ) from None
        for what, value in (
            ("ACL name", self.acl_name),
            ("gateway", self.gateway),
            ("context", self.context),
        ):
            if not _NAME.match(value):
                raise ConfigError(
                    f"{what} {value!r} may use only letters, digits, '.', '_' and '-'"
                )
        for what, value in (
            ("gateway proxy", self.gateway_proxy),
            ("gateway username", self.gateway_username),
            ("gateway password", self.gateway_password),
            ("gateway realm", self.gateway_realm),
            ("caller id", self.caller_id),
            ("vosk URL", self.vosk_url),
            ("recordings directory", self.recordings_dir),
            ("audio directory", self.audio_dir),
        ):
            if _XML_UNSAFE.search(value):
                raise ConfigError(f"{what} {value!r} cannot contain quotes, < > or &")
        if not self.gateway_proxy:
            raise ConfigError("the gateway needs a proxy (the operator's SIP host)")
        if self.gateway_username and not self.gateway_password:
            raise ConfigError("a gateway username needs a gateway password")
        if self.caller_id and not re.fullmatch(r"\+?\d{4,15}", self.caller_id):
            raise ConfigError(f"caller id {self.caller_id!r} must be a phone number")
        if not 5 <= self.originate_timeout <= 300:
            raise ConfigError("originate timeout must be between 5 and 300 seconds")
        if self.asr not in ASR_CHOICES:
            raise ConfigError(f"ASR must be one of {', '.join(ASR_CHOICES)}, not {self.asr!r}")
        if self.asr == "vosk" and not self.vosk_url.startswith(("ws://", "wss://")):
            raise ConfigError("the Vosk server URL must start with ws:// or wss://")
        if not self.recordings_dir.startswith("/"):
            raise ConfigError("the recordings directory must be an absolute path on the switch")
        if not self.audio_dir.startswith("/"):
            raise ConfigError("the audio directory must be an absolute path shared with the switch")
        self.profile()


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # values are checked in FreeSwitchSettings.check
    )


def outputs(settings: FreeSwitchSettings) -> list[str]:
    """Which templates apply: vosk.conf only with the Vosk ASR, amd.conf only with AMD."""
    names = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2") if p.is_file())
    keep = []
    for name in names:
        if name.endswith("vosk.conf.xml.j2") and settings.asr != "vosk":
            continue
        if name.endswith("amd.conf.xml.j2") and not settings.amd:
            continue
        keep.append(name)
    return keep


def render(settings: FreeSwitchSettings) -> dict[str, str]:
    settings.check()
    env = _environment()
    values: dict[str, Any] = asdict(settings)
    files = {
        name[: -len(".j2")]: env.get_template(name).render(**values) for name in outputs(settings)
    }
    files[PROFILE_FILE] = settings.profile().to_toml()
    return files


def write(settings: FreeSwitchSettings, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Render and write; refuses to overwrite existing files unless ``force``."""
    files = render(settings)
    targets = [out_dir / name for name in files]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists (use --force to overwrite)")
    for target, text in zip(targets, files.values(), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return targets
