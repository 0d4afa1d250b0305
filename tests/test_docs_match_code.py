"""Everything the docs tell a user to type exists: each `mbs` command and flag, each
campaign-file key, each builtin and each of its options. Read the way an operator
would try the documented configuration, key by key."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner

from mbs.campaign.config import CampaignSettings
from mbs.cli import COMMAND_MODULES
from mbs.runtime.builtins import registry

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = DOCS.parent / "README.md"


def full_app() -> typer.Typer:
    import importlib

    app = typer.Typer()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


APP = full_app()
ROOT = typer.main.get_command(APP)


# ------------------------------------------------------------------------ commands


def documented_commands() -> list[tuple[str, str]]:
    """(doc file, one `mbs ...` command line) from inline code and code blocks."""
    found = []
    for doc in [README, *sorted(DOCS.glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                line = line.strip().removeprefix("$ ")
                if line.startswith("mbs "):
                    found += [(doc.name, part.strip()) for part in line.split("&&")]
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for code in re.findall(r"`(mbs [a-z][^`]*)`", prose):
            found += [(doc.name, part.strip()) for part in code.split("&&")]
    return sorted(set(found))


def is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def resolve(line: str) -> tuple[list[str], Any]:
    """The subcommand path a documented line names, and its (typer's click) command."""
    words = line.split()[1:]
    path: list[str] = []
    command: Any = ROOT
    for word in words:
        if is_group(command) and word in command.commands:
            path.append(word)
            command = command.commands[word]
        else:
            break
    return path, command


def flags_of(command: Any) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


COMMANDS = documented_commands()


def test_the_docs_document_commands() -> None:
    assert len(COMMANDS) > 30
    assert any(line.startswith("mbs freeswitch config") for _, line in COMMANDS)


@pytest.mark.parametrize(("doc", "line"), COMMANDS)
def test_each_documented_command_and_flag_exists(doc: str, line: str) -> None:
    path, command = resolve(line)
    assert path, f"{doc}: `{line}`: no such mbs command"
    if is_group(command) and len(line.split()) == len(path) + 1:
        return  # a command group named on its own
    result = CliRunner().invoke(APP, [*path, "--help"])
    assert result.exit_code == 0, f"{doc}: `mbs {' '.join(path)} --help` failed: {result.output}"
    known = flags_of(command)
    rest = line.split(None, len(path) + 1)[len(path) + 1 :]
    for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", " ".join(rest)):
        assert flag in known, (
            f"{doc}: `{line}`: mbs {' '.join(path)} has no {flag} (it has {sorted(known)})"
        )


# ------------------------------------------------------------------ campaign keys


def tables_under(text: str, heading: re.Pattern[str]) -> dict[str, list[list[str]]]:
    """Heading match -> rows (cells) of the first table after it."""
    out: dict[str, list[list[str]]] = {}
    sections = re.split(r"^(#{2,4} .*)$", text, flags=re.M)
    for title, body in zip(sections[1::2], sections[2::2], strict=True):
        m = heading.match(title)
        if not m:
            continue
        rows = []
        for row in re.findall(r"^\|(.*)\|\s*$", body.split("\n\n|", 1)[-1], flags=re.M):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)]
            if cells and not set(cells[0]) <= {"-", ":"} and cells[0] not in ("key",):
                rows.append(cells)
            if not rows and cells[0] == "key":
                continue
        out[m.group(1)] = rows
    return out


def model_at(path: str) -> type[BaseModel]:
    model: type[BaseModel] = CampaignSettings
    for part in [p for p in path.split(".") if p]:
        annotation = model.model_fields[part].annotation
        for candidate in (annotation, *typing.get_args(annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            raise AssertionError(f"{path}: {part} is not a table")
    return model


def documented_campaign_keys() -> list[tuple[str, str]]:
    text = (DOCS / "campaigns.md").read_text(encoding="utf-8")
    heading = re.compile(r"^### (?:Top level|`\[([a-z_.]+)\]`)")
    keys = []
    for section, rows in tables_under(text, heading).items():
        for cells in rows:
            key = re.fullmatch(r"`([a-z_]+)`", cells[0])
            if key and section != "builtins":  # [builtins] is generated from the code
                keys.append((section or "", key.group(1)))
    return keys


CAMPAIGN_KEYS = documented_campaign_keys()


def test_the_campaign_doc_documents_every_section() -> None:
    sections = {s for s, _ in CAMPAIGN_KEYS}
    assert {"", "telephony", "telephony.esl", "retry", "policy", "sim"} <= sections


@pytest.mark.parametrize(("section", "key"), CAMPAIGN_KEYS)
def test_each_documented_campaign_key_exists(section: str, key: str) -> None:
    assert key in model_at(section).model_fields, f"docs/campaigns.md: [{section}] {key}"


def test_each_campaign_key_is_documented() -> None:
    documented = set(CAMPAIGN_KEYS)
    sections = {s for s, _ in CAMPAIGN_KEYS} | {"builtins"}
    for section in sections - {"builtins"}:
        for key, field in model_at(section).model_fields.items():
            table = f"{section}.{key}".lstrip(".")
            annotation = field.annotation
            union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
            candidates = (annotation, *(typing.get_args(annotation) if union else ()))
            if any(isinstance(c, type) and issubclass(c, BaseModel) for c in candidates):
                assert table in sections, f"docs/campaigns.md lacks the [{table}] section"
                continue
            assert (section, key) in documented, f"docs/campaigns.md lacks [{section}] {key}"


# ------------------------------------------------------------------------ builtins


def documented_builtin_options() -> list[tuple[str, str, str]]:
    """(kind, implementation, option) from the setting tables of docs/builtins.md."""
    text = (DOCS / "builtins.md").read_text(encoding="utf-8")
    found = []
    for kind, body in re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S):
        if kind not in registry.KINDS:
            continue
        name = None
        in_settings = False  # inside a "| setting |" table (others list other things)
        for line in body.splitlines():
            m = re.match(r"\*\*`([a-z_]+)`\*\*", line)
            if m:
                name = m.group(1)
            if not line.startswith("|"):
                in_settings = False
            elif line.startswith("| setting |"):
                in_settings = True
            row = re.match(r"\|\s*`([a-z_]+)`\s*\|", line)
            if row and name and in_settings:
                found.append((kind, name, row.group(1)))
            if line.startswith("| setting |") and name is None:
                raise AssertionError(f"docs/builtins.md: a {kind} settings table names no builtin")
    return found


def documented_builtins() -> list[tuple[str, str]]:
    text = (DOCS / "builtins.md").read_text(encoding="utf-8")
    found = []
    for kind, names in re.findall(r"^\| `(\w+)` \| .*\| (.*) \|$", text, flags=re.M):
        if kind in registry.KINDS:
            found += [(kind, n) for n in re.findall(r"`([a-z_]+)`", names)]
    return found


@pytest.mark.parametrize(("kind", "name"), documented_builtins())
def test_each_documented_builtin_is_registered(kind: str, name: str) -> None:
    assert name in registry.available(kind), f"docs/builtins.md: {kind}.{name}"


@pytest.mark.parametrize(("kind", "name", "option"), documented_builtin_options())
def test_each_documented_builtin_option_exists(kind: str, name: str, option: str) -> None:
    model = registry.options_model(kind, name)
    assert model is not None and option in model.model_fields, (
        f"docs/builtins.md: {kind}.{name} has no option {option!r}"
    )


# ------------------------------------------------------------- campaign fragments

CAMPAIGN_TABLES = ("[builtins", "[telephony", "[retry", "[policy", "[sim")


def documented_campaign_fragments() -> list[tuple[str, str]]:
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"```toml\n(.*?)```", text, flags=re.S):
            block = "\n".join(line.strip() for line in block.splitlines())  # list-indented
            if any(line.startswith(CAMPAIGN_TABLES) for line in block.splitlines()):
                found.append((doc.name, block))
    return found


@pytest.mark.parametrize(("doc", "fragment"), documented_campaign_fragments())
def test_each_documented_campaign_fragment_is_accepted(
    doc: str, fragment: str, tmp_path: Path
) -> None:
    """Pasted into a campaign file as the docs show it, every snippet passes the check."""
    from mbs.campaign.config import CampaignFileError, parse_campaign
    from mbs.freeswitch.profile import SwitchProfile

    for switch in re.findall(r'^switch = "([^"]+)"', fragment, flags=re.M):
        target = tmp_path / switch
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(SwitchProfile().to_toml(), encoding="utf-8")
    source = f'name = "doc"\nscenario = "s.mbs"\n{fragment}'
    try:
        parse_campaign(source, tmp_path / "c.toml", check_paths=False)
    except CampaignFileError as exc:
        raise AssertionError(f"{doc}: a documented campaign snippet is refused:\n{exc}") from None


def test_the_conversation_test_example_passes(tmp_path: Path) -> None:
    """docs/testing.md's example, run against the shipped scenario it names."""
    from mbs.cli import app

    doc = (DOCS / "testing.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(scenario = \"or_rdv.mbs\".*?)```", doc, re.S)
    assert example is not None, "the example is gone from docs/testing.md"
    (tmp_path / "or_rdv.mbs").write_text(
        (DOCS.parent / "scenarios" / "or_rdv.mbs").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "or_rdv.test.toml").write_text(example.group(1), encoding="utf-8")
    result = CliRunner().invoke(app, ["test", str(tmp_path / "or_rdv.test.toml")])
    assert result.exit_code == 0 and "2 passed, 0 failed" in result.output, result.output


# ------------------------------------------------------------------------ the library


def _library() -> tuple[list[str], dict[str, list[str]], dict[str, int], list[str]]:
    """The stdlib's intents, each objection pack's texts, its phrasings' count, and every
    objection's answers."""
    from mbs.compiler.scope import pack_name
    from mbs.dsl import ast
    from mbs.dsl.loader import iter_decls, load_source, stdlib_modules

    uses = "\n".join(
        f"use {m}" for m in stdlib_modules() if m.startswith(("intents.", "objections."))
    )
    intents: list[str] = []
    packs: dict[str, list[str]] = {}
    phrasings: dict[str, int] = {}
    answers: list[str] = []
    for module, decl in iter_decls(load_source(uses, "<library>", implicit=False).modules):
        if isinstance(decl, ast.IntentDecl):
            intents.append(decl.name.name)
        elif isinstance(decl, ast.ObjectionsDecl):
            name = pack_name(decl, module)
            packs[name] = [e.text.value for e in decl.entries]
            phrasings[name] = sum(1 + len(e.variants) for e in decl.entries)
            answers += [r.value for e in decl.entries for r in (e.response, *e.more) if r]
    return intents, packs, phrasings, answers


def test_the_library_page_lists_every_intent_pack_and_objection() -> None:
    page = (DOCS / "library.md").read_text(encoding="utf-8")
    intents, packs, phrasings, answers = _library()
    table = {m.group(1) for m in re.finditer(r"^\| `(\w+)` \|", page, re.M)}
    assert set(intents) <= table, set(intents) - table
    for name, texts in packs.items():
        row = f"`{name}` | {len(texts)} ({phrasings[name]} phrasings) |"
        assert row in page, row
        section = page.split(f"### `{name}` ({len(texts)} objections, {phrasings[name]} phrasings)")
        assert len(section) == 2, name
        listed = re.findall(r"^- (.+)$", section[1].split("\n### ")[0], re.M)
        assert listed == texts, name
    for answer in answers:
        assert f"  — {answer}\n" in page, answer
