"""Creating a campaign from the console or the API: a scenario, an uploaded contact list.

The upload is bounded (size, extension), read with the same reader as
``mbs contacts import``, and every problem comes back as a sentence for the page.
The campaign is created ``created`` (nothing dials until it is started) with a
campaign file written beside the others, so ``mbs run --campaign NAME`` runs it.
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mbs.campaign.config import CampaignFileError, parse_campaign
from mbs.campaign.contacts import ContactFileError, read_contacts, save_contacts
from mbs.campaign.names import check_slug, suggest_slug
from mbs.campaign.simulated import kind_conflict
from mbs.campaign.store import Store, StoreError
from mbs.files import SETTINGS_LIMIT, UnreadableFile, read_text
from mbs.runtime.builtins.base import BuiltinError, UnknownBuiltin
from mbs.runtime.builtins.options import rebase_paths
from mbs.runtime.builtins.registry import KINDS, options_model
from mbs.toml_text import toml_document

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".json", ".txt")


class CreateError(ValueError):
    """A sentence saying why the campaign cannot be created (shown on the page)."""


MAX_REASONS = 1000  # rejected rows listed in an answer


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


def _same(a: Any, b: Any) -> bool:
    """``a == b`` as TOML data, where nan is nan and 1 is not 1.0."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def campaign_toml(settings: dict[str, Any]) -> str:
    """The campaign file for ``settings``, checked by reading it back; CreateError when
    it would not read back the same (``mbs run`` would refuse it, or run something else).
    """
    ordered = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    ordered |= {k: v for k, v in settings.items() if isinstance(v, dict)}
    try:
        text = "# written by the mbs console\n" + toml_document(ordered)
        text.encode("utf-8")  # a path with an undecodable byte has a lone surrogate
        same = _same(tomllib.loads(text), ordered)
    except (TypeError, ValueError, RecursionError) as exc:  # TOMLDecodeError: a ValueError
        raise CreateError(f"the default campaign file cannot be written back: {exc}") from None
    if not same:
        raise CreateError("the default campaign file cannot be written back as it is")
    return text


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
    try:
        check_slug(name)  # the store's rule: refused here, before anything is written
    except ValueError as exc:
        raise CreateError(f"{exc}; for example {suggest_slug(name)!r}") from None
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
            text = read_text(defaults, limit=SETTINGS_LIMIT, what="the default campaign file")
            settings = tomllib.loads(text)
        except UnreadableFile as exc:
            raise CreateError(str(exc)) from None
        except (ValueError, RecursionError) as exc:  # not TOML
            raise CreateError(f"cannot read the default campaign file {defaults}: {exc}") from None
    settings.pop("contacts", None)
    if defaults is not None:  # the new file lives elsewhere: its paths must still reach
        settings = rebased(settings, defaults.resolve().parent)
    telephony = settings.get("telephony")
    backend = str(telephony.get("backend", "sim")) if isinstance(telephony, dict) else "sim"
    # a store keeps one kind (mbs.campaign.simulated): a simulated campaign here would
    # count against real people, or make the real ones refuse to run
    conflict = kind_conflict(store, backend == "sim")
    if conflict:
        raise CreateError(conflict)
    settings["name"] = name
    settings["scenario"] = str((scenarios_dir / scenario).resolve())
    text = campaign_toml(settings)
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
    campaign_file = (campaigns_dir / f"{name}.toml").resolve()
    staged = _stage(campaign_file, text)
    try:  # what `mbs run` will read: refused now, not at the first run
        parse_campaign(text, campaign_file)
    except CampaignFileError as exc:
        staged.unlink(missing_ok=True)
        raise CreateError("the campaign file would not run: " + "; ".join(exc.lines())) from None
    try:
        store.create_campaign(
            name,
            now=now,
            scenario=settings["scenario"],
            # its kind, known now: the store refuses the other kind from the start
            settings={"_file": str(campaign_file), "telephony": {"backend": backend}},
        )
    except StoreError as exc:
        staged.unlink(missing_ok=True)
        raise CreateError(str(exc)) from None
    try:
        os.replace(staged, campaign_file)  # the same folder: an atomic rename
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise CreateError(
            f"campaign {name!r} is created but its file {campaign_file} is not: {exc.strerror}"
        ) from None
    saved = save_contacts(store, result, now=now, campaign=name)
    # the reasons an operator reads; a file of 800,000 broken lines is summed up
    rejected = [f"row {r.row}: {r.reason}" for r in result.rejected[:MAX_REASONS]]
    if len(result.rejected) > MAX_REASONS:
        rejected.append(f"... and {len(result.rejected) - MAX_REASONS:,} more rows rejected")
    return Created(name, saved.added_to_campaign, rejected, str(campaign_file))


def rebased(settings: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of a campaign file's ``settings`` with its relative paths (the switch
    profile, the audio folder, the builtins' files) made absolute from ``base``, the
    folder of the file they were read from."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in settings.items()}
    telephony = out.get("telephony")
    if isinstance(telephony, dict):
        if isinstance(telephony.get("audio_dir"), str):
            telephony["audio_dir"] = _absolute(telephony["audio_dir"], base)
        esl = telephony.get("esl")
        if isinstance(esl, dict) and isinstance(esl.get("switch"), str):
            telephony["esl"] = {**esl, "switch": _absolute(esl["switch"], base)}
    builtins = out.get("builtins")
    if isinstance(builtins, dict):
        for name, table in list(builtins.items()):
            if not isinstance(table, dict):
                continue
            for kind in KINDS:
                try:
                    model = options_model(kind, name)
                except (BuiltinError, UnknownBuiltin):
                    continue
                if model is not None:
                    table = rebase_paths(model, table, base)
            builtins[name] = table
    return out


def _absolute(value: str, base: Path) -> str:
    return value if not value or Path(value).is_absolute() else str(base / value)


def _stage(campaign_file: Path, text: str) -> Path:
    """``text`` in a hidden file beside ``campaign_file``, renamed to it once the store
    accepts the campaign: a refused campaign leaves no file, a file already there (written
    by hand for ``mbs run``) is never overwritten."""
    if campaign_file.exists():
        raise CreateError(f"{campaign_file} already exists: pick another name")
    try:
        campaign_file.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(
            prefix=f".{campaign_file.stem}.", suffix=".tmp", dir=campaign_file.parent
        )
    except OSError as exc:
        raise CreateError(f"cannot write the campaign file {campaign_file}: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:  # a full disk: nothing half-written stays behind
        Path(staged).unlink(missing_ok=True)
        raise CreateError(f"cannot write the campaign file {campaign_file}: {exc}") from None
    return Path(staged)
