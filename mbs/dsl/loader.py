"""Find and parse every module a scenario needs: its ``use``s, ``import``s and the
implicit stdlib modules.

``use a.b`` names ``mbs/stdlib/a/b.mbs`` (or, when the stdlib has no such module,
``a/b.mbs`` next to the importing file); ``import "x.mbs"`` is a path relative to the
importing file. A module loaded twice (or in a cycle) is parsed once. Implicit modules
that the stdlib does not ship are skipped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mbs.dsl import ast
from mbs.dsl.parse import ParseResult, Problem, parse
from mbs.dsl.problems import suggest
from mbs.files import SCENARIO_LIMIT, FileTooLarge, UnreadableFile, read_file, size_text

IMPLICIT = ("personalities", "objectives", "amd")

# Parsed stdlib files, keyed by (path, mtime, size): the stdlib is read-only at run time
# and parsing it again for every compilation would dominate small compiles.
_STDLIB_CACHE: dict[tuple[str, int, int], tuple[str | None, ParseResult | None]] = {}
STDLIB_PREFIX = "<stdlib>/"


@dataclass
class LoadedModule:
    name: str  # dotted name for the stdlib and `use`, the display path otherwise
    file: str  # display path, as used in spans
    text: str
    module: ast.Module | None
    path: Path | None = None
    stdlib: bool = False
    implicit: bool = False
    entry: bool = False


@dataclass
class LoadResult:
    modules: list[LoadedModule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def entry(self) -> LoadedModule:
        return self.modules[0]

    @property
    def sources(self) -> dict[str, str]:
        return {m.file: m.text for m in self.modules}


def stdlib_root() -> Path:
    return Path(str(resources.files("mbs"))) / "stdlib"


def stdlib_modules() -> list[str]:
    """Dotted names of every module the stdlib ships."""
    root = stdlib_root()
    if not root.is_dir():
        return []
    return sorted(".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.mbs"))


def stdlib_path(dotted: str) -> Path | None:
    path = stdlib_root().joinpath(*dotted.split(".")).with_suffix(".mbs")
    return path if path.is_file() else None


# What a source text may not contain: NUL, and lone surrogates (a ``str`` can hold them,
# no UTF-8 file can; they would fail every later encode, for hashing or output).
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def decode(data: bytes | str) -> str | None:
    """The text of a source file, or None when it is not UTF-8 text (or has NULs)."""
    if isinstance(data, str):
        return None if _NOT_TEXT.search(data) else data
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def first_bad_character(data: bytes | str, file: str) -> ast.Span:
    """Where ``data`` stops being UTF-8 text (for the UnreadableSource diagnostic)."""
    if isinstance(data, str):
        m = _NOT_TEXT.search(data)
        at, before = (m.start(), data[: m.start()]) if m else (0, "")
        line = before.count("\n") + 1
        return ast.Span.point(file, line, at - (before.rfind("\n") + 1) + 1)
    nul = data.find(b"\x00")
    try:
        data.decode("utf-8-sig")
        at = nul
    except UnicodeDecodeError as exc:
        at = exc.start if nul < 0 else min(nul, exc.start)
    head = data[: max(at, 0)]
    line = head.count(b"\n") + 1
    col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return ast.Span.point(file, line, col)


def _read(path: Path) -> bytes | None:
    """The file's bytes, or None when it is missing or not a regular file (a FIFO named
    by mistake must not block the compiler); :class:`FileTooLarge` past the limit."""
    try:
        return read_file(path, limit=SCENARIO_LIMIT)
    except FileTooLarge:
        raise
    except UnreadableFile:
        return None


def _scenario_theme(module: ast.Module | None) -> ast.Ident | None:
    if module is None:
        return None
    for decl in module.decls:
        if isinstance(decl, ast.ScenarioDecl):
            for item in decl.items:
                if item.key == "theme" and item.values and isinstance(item.values[0], ast.Ident):
                    return item.values[0]
    return None


class _Loader:
    def __init__(self) -> None:
        self.result = LoadResult()
        self.seen: dict[str, LoadedModule] = {}  # resolved path -> module

    def add(self, mod: LoadedModule, key: str) -> LoadedModule:
        self.seen[key] = mod
        self.result.modules.append(mod)
        return mod

    def too_large(self, name: str, file: str, span: ast.Span, **kw: object) -> LoadedModule:
        args = {"module": file, "limit": size_text(SCENARIO_LIMIT)}
        self.result.problems.append(Problem("SourceTooLarge", span, args))
        return LoadedModule(name, file, "", None, **kw)  # type: ignore[arg-type]

    def parse_into(self, name: str, file: str, data: bytes | str, **kw: object) -> LoadedModule:
        if len(data) > SCENARIO_LIMIT:  # given as text (an editor, a test), not read
            return self.too_large(name, file, ast.Span.point(file), **kw)
        text = decode(data)
        if text is None:
            self.result.problems.append(
                Problem("UnreadableSource", first_bad_character(data, file))
            )
            return LoadedModule(name, file, "", None, **kw)  # type: ignore[arg-type]
        parsed = parse(text, file)
        self.result.problems.extend(parsed.problems)
        return LoadedModule(name, file, text, parsed.module, **kw)  # type: ignore[arg-type]

    def load_stdlib(self, dotted: str, implicit: bool) -> LoadedModule | None:
        path = stdlib_path(dotted)
        if path is None:
            return None
        key = str(path.resolve())
        if key in self.seen:
            return self.seen[key]
        file = STDLIB_PREFIX + "/".join(dotted.split(".")) + ".mbs"
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (key, stat.st_mtime_ns, stat.st_size)
        cached = _STDLIB_CACHE.get(stamp)
        if cached is None:
            data = _read(path)
            if data is None:
                return None
            text = decode(data)
            parsed = parse(text, file) if text is not None else None
            cached = (text, parsed)
            _STDLIB_CACHE[stamp] = cached
        text, parsed = cached
        if text is None or parsed is None:
            self.result.problems.append(Problem("UnreadableSource", ast.Span.point(file)))
            mod = LoadedModule(dotted, file, "", None, path=path, stdlib=True, implicit=implicit)
        else:
            self.result.problems.extend(parsed.problems)
            mod = LoadedModule(
                dotted, file, text, parsed.module, path=path, stdlib=True, implicit=implicit
            )
        self.add(mod, key)
        self.follow(mod)
        return mod

    def load_file(self, path: Path, file: str, span: ast.Span, name: str | None = None) -> None:
        key = str(path.resolve())
        if key in self.seen:
            return
        try:
            data = _read(path)
        except FileTooLarge:
            self.add(self.too_large(name or file, file, span, path=path), key)
            return
        if data is None:
            self.result.problems.append(
                Problem(
                    "ImportNotFound",
                    span,
                    {"module": name or file, "looked": str(path), "suggestion": ""},
                )
            )
            return
        mod = self.parse_into(name or file, file, data, path=path)
        self.add(mod, key)
        self.follow(mod)

    def follow(self, mod: LoadedModule) -> None:
        if mod.module is None:
            return
        base = mod.path.parent if mod.path is not None else Path.cwd()
        for decl in mod.module.decls:
            if isinstance(decl, ast.Use):
                dotted = decl.module.name
                if self.load_stdlib(dotted, implicit=False) is not None:
                    continue
                local = base.joinpath(*dotted.split(".")).with_suffix(".mbs")
                if local.is_file() and not mod.stdlib:
                    self.load_file(local, _display(local), decl.span, dotted)
                    continue
                self.result.problems.append(
                    Problem(
                        "ImportNotFound",
                        decl.module.span,
                        {
                            "module": dotted,
                            "looked": f"mbs/stdlib/{'/'.join(dotted.split('.'))}.mbs",
                            "suggestion": suggest(dotted, stdlib_modules()),
                        },
                    )
                )
            elif isinstance(decl, ast.Import):
                rel = decl.path.value
                if "\x00" in rel:  # no file is named so; the OS refuses to look one up
                    self.result.problems.append(
                        Problem(
                            "ImportNotFound",
                            decl.path.span,
                            {
                                "module": rel.replace("\x00", "\\x00"),
                                "looked": "no file",
                                "suggestion": "",
                            },
                        )
                    )
                    continue
                target = Path(rel) if Path(rel).is_absolute() else base / rel
                self.load_file(target, _display(target), decl.path.span)

    def implicit(self, entry: LoadedModule) -> None:
        for name in IMPLICIT:
            self.load_stdlib(name, implicit=True)
        theme = _scenario_theme(entry.module)
        if theme is None:
            return
        self.load_stdlib("objections.standard", implicit=True)
        if self.load_stdlib(f"objections.{theme.name}", implicit=True) is None:
            themes = [m.split(".", 1)[1] for m in stdlib_modules() if m.startswith("objections.")]
            themes = [t for t in themes if t != "standard"]
            if themes:  # the stdlib ships themes, and this is not one of them
                self.result.problems.append(
                    Problem(
                        "UnknownTheme",
                        theme.span,
                        {
                            "theme": theme.name,
                            "suggestion": suggest(theme.name, themes),
                            "themes": ", ".join(themes),
                        },
                    )
                )


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_source(
    text: str | bytes, file: str, path: Path | None = None, implicit: bool = True
) -> LoadResult:
    """Load an entry file given as text (``path`` anchors its relative imports)."""
    loader = _Loader()
    entry = loader.parse_into(file, file, text, path=path, entry=True)
    loader.add(entry, str(path.resolve()) if path is not None else f"<entry>{file}")
    loader.follow(entry)
    if implicit:
        loader.implicit(entry)
    return loader.result


def load_path(path: Path, implicit: bool = True) -> LoadResult:
    """Load the entry file at ``path`` and everything it needs."""
    file = str(path)
    loader = _Loader()
    try:
        data = _read(path)
    except FileTooLarge:
        entry = loader.too_large(file, file, ast.Span.point(file), path=path, entry=True)
        loader.add(entry, file)
        return loader.result
    if data is not None:
        return load_source(data, file, path, implicit)
    loader.result.problems.append(
        Problem(
            "ImportNotFound",
            ast.Span.point(file),
            {"module": file, "looked": file, "suggestion": ""},
        )
    )
    loader.add(LoadedModule(file, file, "", None, path=path, entry=True), file)
    return loader.result


def iter_decls(modules: list[LoadedModule]) -> Iterator[tuple[LoadedModule, ast.Decl]]:
    for mod in modules:
        if mod.module is not None:
            for decl in mod.module.decls:
                yield mod, decl
