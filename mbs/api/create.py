"""Creating a campaign from the console or the API: a scenario, an uploaded contact list.

The upload is bounded (size, extension), read with the same reader as
``mbs contacts import``, and every problem comes back as a sentence for the page.
The campaign is created ``created`` (nothing dials until it is started) with a
campaign file written beside the others, so ``mbs run --campaign NAME`` runs it.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mbs.campaign.contacts import ContactFileError, read_contacts, save_contacts
from mbs.campaign.simulated import kind_conflict
from mbs.campaign.store import Store, StoreError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".json", ".txt")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class CreateError(ValueError):
    """A sentence saying why the campaign cannot be created (shown on the page)."""


@dataclass
class Created:
    name: str
    contacts: int
    rejected: list[str] = field(default_factory=list)
    campaign_file: str = ""


def scenarios(scenarios_dir: Path) -> list[str]:
    """The scenario files an operator may pick (names relative to ``scenarios_dir``)."""
    if not scenarios_dir.is_dir():
        return []
    return sorted(
        p.relative_to(scenarios_dir).as_posix()
        for p in scenarios_dir.rglob("*")
        if p.suffix in (".mbs", ".mbsc") and p.is_file()
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    plain = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [_toml(v, f"{prefix}{k}.") for k, v in data.items() if isinstance(v, dict)]
    head = f"[{prefix[:-1]}]\n" if prefix and plain else ""
    return head + "".join(line + "\n" for line in plain) + "".join("\n" + t for t in tables)


def create_from_upload(
    store: Store,
    *,
    name: str,
    scenario: str,
    filename: str,
    data: bytes,
    scenarios_dir: Path,
    campaigns_dir: Path,
    defaults: Path | None,
    now: datetime,
) -> Created:
    name = name.strip()
    if not NAME_RE.match(name):
        raise CreateError(
            "a campaign name has 1 to 80 letters, digits, '.', '_' or '-' and starts with a "
            "letter or digit"
        )
    if store.get_campaign(name) is not None:
        raise CreateError(f"campaign {name!r} already exists")
    if scenario not in scenarios(scenarios_dir):
        raise CreateError(f"unknown scenario {scenario!r}: pick one from the list")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise CreateError(
            f"the contact list must be a {', '.join(UPLOAD_SUFFIXES)} file, not {filename!r}"
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise CreateError(f"the contact list is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    if not data.strip():
        raise CreateError("the contact list is empty")
    settings: dict[str, Any] = {}
    if defaults is not None:
        try:
            settings = tomllib.loads(defaults.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CreateError(f"cannot read the default campaign file {defaults}: {exc}") from None
    settings.pop("contacts", None)
    telephony = settings.get("telephony")
    backend = str(telephony.get("backend", "sim")) if isinstance(telephony, dict) else "sim"
    # a store keeps one kind (mbs.campaign.simulated): a simulated campaign here would
    # count against real people, or make the real ones refuse to run
    conflict = kind_conflict(store, backend == "sim")
    if conflict:
        raise CreateError(conflict)
    settings["name"] = name
    settings["scenario"] = str((scenarios_dir / scenario).resolve())
    with tempfile.TemporaryDirectory(prefix="mbs-upload-") as tmp:
        path = Path(tmp) / f"contacts{suffix}"
        path.write_bytes(data)
        try:
            result = read_contacts(path, region=str(settings.get("region", "FR")))
        except ContactFileError as exc:
            raise CreateError(str(exc).replace(str(path), filename)) from None
    if result.error:
        raise CreateError(f"{filename}: {result.error}")
    if not result.contacts:
        raise CreateError(f"{filename}: no usable contact (every row was rejected)")
    campaigns_dir.mkdir(parents=True, exist_ok=True)
    campaign_file = (campaigns_dir / f"{name}.toml").resolve()
    ordered = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    ordered |= {k: v for k, v in settings.items() if isinstance(v, dict)}
    campaign_file.write_text("# written by the mbs console\n" + _toml(ordered), encoding="utf-8")
    try:
        store.create_campaign(
            name,
            now=now,
            scenario=settings["scenario"],
            # its kind, known now: the store refuses the other kind from the start
            settings={"_file": str(campaign_file), "telephony": {"backend": backend}},
        )
    except StoreError as exc:
        raise CreateError(str(exc)) from None
    saved = save_contacts(store, result, now=now, campaign=name)
    rejected = [f"row {r.row}: {r.reason}" for r in result.rejected]
    return Created(name, saved.added_to_campaign, rejected, str(campaign_file))
