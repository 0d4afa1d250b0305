"""Installed speech models: one folder, configured once, that builtins look in.

``mbs models install vosk SOURCE --sha256 HEX`` unpacks a model archive (zip or tar,
a local path or an ``http(s)://`` / ``file://`` URL) into ``MODELS_DIR/vosk/NAME`` after
checking its sha256, and makes it the current Vosk model (``MODELS_DIR/vosk/current``
holds its name). ``MODELS_DIR`` is ``$MBS_MODELS_DIR``, else ``var/models``. A builtin
with no model setting uses the current one, so a campaign file need not name a path.

The archive is unpacked into a temporary folder next to the target and renamed into
place, so a half-unpacked model is never found; members that would land outside the
folder (absolute paths, ``..``, links) are refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

KINDS = ("vosk",)
CURRENT = "current"
_MARKERS = {"vosk": ("am", "conf")}  # what a model folder holds at its top


class ModelError(Exception):
    """A model cannot be installed or found; the message says why, in one line."""


def models_dir(override: str | Path | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    return Path(os.environ.get("MBS_MODELS_DIR") or "var/models").expanduser()


def current_model(kind: str, root: Path | None = None) -> Path | None:
    """The model ``mbs models install`` made current for ``kind``, if any."""
    folder = (root or models_dir()) / kind
    try:
        name = (folder / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = folder / name
    return path if name and path.is_dir() else None


@dataclass(frozen=True)
class Installed:
    kind: str
    name: str
    path: Path
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(source: str, into: Path) -> Path:
    """A local file for ``source`` (a path, or a URL downloaded into ``into``)."""
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme in ("http", "https"):
        name = PurePosixPath(parsed.path).name or "model-archive"
        target = into / name
        try:
            with urllib.request.urlopen(source, timeout=60) as response, target.open("wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise ModelError(f"cannot download {source}: {exc}") from None
        return target
    if parsed.scheme and len(parsed.scheme) > 1:
        raise ModelError(
            f"unsupported URL scheme {parsed.scheme!r} (use a path, file://, http(s)://)"
        )
    return Path(source).expanduser()


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _unpack(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                if not _safe_member(info.filename):
                    raise ModelError(f"{archive}: unsafe member {info.filename!r}")
            z.extractall(into)
        return
    try:
        with tarfile.open(archive) as t:
            for member in t.getmembers():
                if not _safe_member(member.name) or not (member.isfile() or member.isdir()):
                    raise ModelError(f"{archive}: unsafe member {member.name!r}")
            t.extractall(into, filter="data")
    except tarfile.TarError as exc:
        raise ModelError(f"{archive}: not a zip or tar archive ({exc})") from None


def _model_root(unpacked: Path, kind: str) -> Path:
    """The folder holding the model: the archive's top, or its single top folder."""
    markers = _MARKERS[kind]
    if all((unpacked / m).exists() for m in markers):
        return unpacked
    tops = [p for p in unpacked.iterdir() if p.is_dir()]
    if len(tops) == 1 and all((tops[0] / m).exists() for m in markers):
        return tops[0]
    raise ModelError(f"the archive holds no {kind} model (expected {', '.join(markers)} folders)")


def install(
    kind: str,
    source: str,
    *,
    sha256: str,
    root: Path | None = None,
    name: str | None = None,
    force: bool = False,
) -> Installed:
    """Check, unpack and make current a model archive; :class:`ModelError` on any problem."""
    if kind not in KINDS:
        raise ModelError(f"unknown model kind {kind!r} (kinds: {', '.join(KINDS)})")
    expected = sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ModelError("--sha256 must be the archive's 64 hexadecimal digits")
    folder = (root or models_dir()) / kind
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=folder) as tmp:
        work = Path(tmp)
        archive = _fetch(source, work)
        if not archive.is_file():
            raise ModelError(f"no archive at {archive}")
        actual = sha256_of(archive)
        if actual != expected:
            raise ModelError(
                f"checksum mismatch for {archive.name}: expected {expected}, got {actual}"
            )
        unpacked = work / "unpacked"
        unpacked.mkdir()
        _unpack(archive, unpacked)
        model = _model_root(unpacked, kind)
        final_name = name or (model.name if model is not unpacked else archive.name.split(".")[0])
        if not final_name or final_name in (CURRENT, ".", "..") or "/" in final_name:
            raise ModelError(f"bad model name {final_name!r}")
        target = folder / final_name
        if target.exists():
            if not force:
                raise ModelError(f"{target} exists (use --force to replace it)")
            shutil.rmtree(target)
        model.rename(target)
    (folder / CURRENT).write_text(final_name + "\n", encoding="utf-8")
    return Installed(kind, final_name, target, actual)
