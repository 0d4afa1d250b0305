"""The loader: `use`, `import`, implicit stdlib modules, cycles and missing files."""

from __future__ import annotations

from pathlib import Path

from mbs.dsl.loader import load_path, stdlib_modules, stdlib_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_import_is_relative_to_the_importing_file_and_cycles_load_once(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "a.mbs", 'import "b.mbs"\nintent a { "a" }\n')
    write(tmp_path / "lib" / "b.mbs", 'import "a.mbs"\nintent b { "b" }\n')
    entry = write(tmp_path / "main.mbs", 'import "lib/a.mbs"\nimport "lib/a.mbs"\n')
    result = load_path(entry, implicit=False)
    assert not result.problems
    names = [Path(m.file).name for m in result.modules]
    assert names == ["main.mbs", "a.mbs", "b.mbs"]


def test_missing_import_is_a_problem_at_the_path(tmp_path: Path) -> None:
    entry = write(tmp_path / "main.mbs", '\n  import "nowhere.mbs"\n')
    result = load_path(entry, implicit=False)
    (problem,) = result.problems
    assert problem.name == "ImportNotFound"
    assert (problem.span.line, problem.span.col) == (2, 10)


def test_use_finds_a_project_module_when_the_stdlib_has_none(tmp_path: Path) -> None:
    write(tmp_path / "maison" / "intents.mbs", 'intent slot { "mardi" }\n')
    entry = write(tmp_path / "main.mbs", "use maison.intents\n")
    result = load_path(entry, implicit=False)
    assert not result.problems
    assert [m.name for m in result.modules] == [str(entry), "maison.intents"]


def test_use_of_an_unknown_module_suggests_a_close_one(tmp_path: Path) -> None:
    entry = write(tmp_path / "main.mbs", "use intents.comon\n")
    result = load_path(entry, implicit=False)
    (problem,) = result.problems
    assert problem.name == "ImportNotFound"
    if "intents.common" in stdlib_modules():
        assert problem.args["suggestion"] == "intents.common"


def test_implicit_modules_and_theme(tmp_path: Path) -> None:
    entry = write(tmp_path / "main.mbs", 'scenario s "T" {\n    theme or\n}\n')
    result = load_path(entry)
    loaded = {m.name for m in result.modules}
    for name in ("personalities", "objectives", "amd", "objections.standard", "objections.or"):
        assert (name in loaded) == (stdlib_path(name) is not None)
    assert all(m.implicit for m in result.modules[1:])


def test_binary_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    entry = tmp_path / "junk.mbs"
    entry.write_bytes(b"\xff\xfe\x00junk\x89PNG")
    result = load_path(entry)
    assert [p.name for p in result.problems] == ["UnreadableSource"]
    assert result.entry.module is None
