"""The language server, driven over a pipe by pygls's LSP client: ``mbs lsp`` is
started as a subprocess, as an editor would start it."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[2]
MBS = Path(sys.executable).parent / "mbs"
WAIT = 60  # seconds: only a guard against a hung server, never a speed check

HEAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\n'
ACCENTED = '    say "Crème brûlée 👋 à bientôt"; end PAS_UN_RESULTAT\n'


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("mbs-test", "1")
        self.published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published.put_nowait(params)

    async def diagnostics_for(self, uri: str) -> types.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(self.published.get(), WAIT)
            if params.uri == uri:
                return params

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.resolve().as_uri()
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "mbs", version, text))
        )
        return uri


async def start(encodings: list[str] | None = None) -> Client:
    client = Client()
    await client.start_io(str(MBS), "lsp", cwd=str(ROOT))
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    result = await asyncio.wait_for(
        client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(general=general),
                root_uri=ROOT.as_uri(),
                initialization_options={"debounce": 0.05},
            )
        ),
        WAIT,
    )
    client.server_info = result  # type: ignore[attr-defined]
    client.initialized(types.InitializedParams())
    return client


async def stop(client: Client) -> int | None:
    await asyncio.wait_for(client.shutdown_async(None), WAIT)
    client.exit(None)
    await asyncio.wait_for(client.stop(), WAIT)
    return client._server.returncode if client._server else None


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    c = await start()
    try:
        yield c
    finally:
        if not c.stopped:
            await stop(c)


def line_of(text: str, needle: str) -> tuple[int, str]:
    for i, line in enumerate(text.split("\n")):
        if needle in line:
            return i, line
    raise AssertionError(needle)


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


async def test_initialize_announces_the_features(client: Client) -> None:
    caps: Any = client.server_info.capabilities  # type: ignore[attr-defined]
    assert caps.completion_provider is not None
    assert caps.hover_provider and caps.definition_provider and caps.document_symbol_provider
    assert caps.position_encoding == types.PositionEncodingKind.Utf16


async def test_diagnostics_on_open_point_at_utf16_columns(client: Client, tmp_path: Path) -> None:
    text = HEAD + "step a {\n" + ACCENTED + "}\n"
    uri = client.open(tmp_path / "accents.mbs", text)
    published = await client.diagnostics_for(uri)
    assert published.version == 1
    codes = [d.code for d in published.diagnostics]
    assert "E015" in codes or any("PAS_UN_RESULTAT" in d.message for d in published.diagnostics)
    diag = next(d for d in published.diagnostics if "PAS_UN_RESULTAT" in d.message)
    n, line = line_of(text, "PAS_UN_RESULTAT")
    col = line.index("PAS_UN_RESULTAT")
    assert diag.range.start == types.Position(n, utf16(line[:col]))
    assert utf16(line[:col]) == col + 1  # the emoji takes two UTF-16 units
    assert diag.range.end == types.Position(n, utf16(line[:col]) + len("PAS_UN_RESULTAT"))
    assert diag.severity == types.DiagnosticSeverity.Error
    assert diag.source == "mbs"
    assert diag.code_description is not None
    assert diag.code_description.href.endswith(f"docs/diagnostics.md#{str(diag.code).lower()}")
    assert "\nhelp: " in diag.message  # the hint


async def test_syntax_error_then_fix_by_incremental_change(client: Client, tmp_path: Path) -> None:
    text = (
        HEAD
        + "use intents.common\n"
        + 'step a {\n    say "Déjà là"\n    on yes pitch\n    otherwise -> pitch\n}\n'
        "step pitch { end HUNG_UP }\n"
    )
    uri = client.open(tmp_path / "broken.mbs", text)
    published = await client.diagnostics_for(uri)
    [diag] = [d for d in published.diagnostics if d.code == "E001"]
    n, line = line_of(text, "on yes pitch")
    assert diag.range.start == types.Position(n, line.index("pitch"))
    # type the missing arrow: the debounced check publishes a clean result
    insert_at = types.Position(n, line.index("pitch"))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangePartial(types.Range(insert_at, insert_at), "-> ")],
        )
    )
    published = await client.diagnostics_for(uri)
    assert published.version == 2
    assert [d.message for d in published.diagnostics] == []


async def test_completion_hover_definition_symbols_on_a_real_scenario(client: Client) -> None:
    path = ROOT / "scenarios/or_rdv.mbs"
    text = path.read_text(encoding="utf-8")
    # the author is typing a new transition: the file does not parse
    n, _ = line_of(text, "on no              -> callback")
    lines = text.split("\n")
    lines.insert(n + 1, "    on question -> ")
    broken = "\n".join(lines)
    uri = client.open(path, broken)
    published = await client.diagnostics_for(uri)
    assert any(d.code == "E001" for d in published.diagnostics)

    at = types.Position(n + 1, len("    on question -> "))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), at)
    )
    assert isinstance(result, types.CompletionList)
    labels = {item.label for item in result.items}
    assert {"discovery", "pitch", "booked", "goodbye"} <= labels
    assert "end" in labels and "APPOINTMENT_SCHEDULED" not in labels

    # hover on a step name used as a target
    n2, line2 = line_of(broken, "on yes             -> discovery")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(n2, line2.index("discovery") + 2)
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "step** `discovery`" in hover.contents.value
    assert "ask " in hover.contents.value and "capture gold_owned" in hover.contents.value

    # `on yes`: the intent comes from `use intents.common`
    loc = await client.text_document_definition_async(
        types.DefinitionParams(
            types.TextDocumentIdentifier(uri), types.Position(n2, line2.index("yes") + 1)
        )
    )
    assert isinstance(loc, types.Location)
    common = ROOT / "mbs/stdlib/intents/common.mbs"
    assert loc.uri == common.resolve().as_uri()
    k, common_line = line_of(common.read_text(encoding="utf-8"), "intent yes {")
    assert loc.range.start == types.Position(k, common_line.index("yes"))

    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert symbols is not None
    names = {s.name: s.kind for s in symbols}  # type: ignore[union-attr]
    assert names["pitch"] == types.SymbolKind.Function
    assert names["weekday"] == types.SymbolKind.Event
    assert names["julie"] == types.SymbolKind.Class


async def test_utf8_when_the_client_asks_for_it(tmp_path: Path) -> None:
    client = await start(["utf-8"])
    try:
        caps: Any = client.server_info.capabilities  # type: ignore[attr-defined]
        assert caps.position_encoding == types.PositionEncodingKind.Utf8
        text = HEAD + "step a {\n" + ACCENTED + "}\n"
        uri = client.open(tmp_path / "utf8.mbs", text)
        published = await client.diagnostics_for(uri)
        diag = next(d for d in published.diagnostics if "PAS_UN_RESULTAT" in d.message)
        n, line = line_of(text, "PAS_UN_RESULTAT")
        col = line.index("PAS_UN_RESULTAT")
        assert diag.range.start == types.Position(n, len(line[:col].encode("utf-8")))
    finally:
        assert await stop(client) == 0


async def test_malformed_input_never_breaks_the_server(client: Client, tmp_path: Path) -> None:
    for i, text in enumerate(['"', "step {{{", "\x00\x01", "scenario", "}}}}", "step a { on -> }"]):
        uri = client.open(tmp_path / f"bad{i}.mbs", text)
        published = await client.diagnostics_for(uri)
        assert published.diagnostics, text
        ident = types.TextDocumentIdentifier(uri)
        for pos in (types.Position(0, len(text)), types.Position(50, 3)):  # the 2nd: past the end
            await client.text_document_completion_async(types.CompletionParams(ident, pos))
            await client.text_document_hover_async(types.HoverParams(ident, pos))
            await client.text_document_definition_async(types.DefinitionParams(ident, pos))
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(ident))


async def test_shutdown_and_exit() -> None:
    client = await start()
    assert await stop(client) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_tcp_mode(tmp_path: Path) -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(MBS), "lsp", "--tcp", "--port", str(port), cwd=str(ROOT)
    )
    client = Client()
    try:
        for _ in range(600):  # until the server listens (bounded; no timing asserted)
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server never listened")
        await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(capabilities=types.ClientCapabilities())
            ),
            WAIT,
        )
        client.initialized(types.InitializedParams())
        uri = client.open(tmp_path / "t.mbs", HEAD + "step a { end NOPE }\n")
        published = await client.diagnostics_for(uri)
        assert any("NOPE" in d.message for d in published.diagnostics)
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
    finally:
        await client.stop()
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = subprocess.run(
            [str(MBS), "lsp", "--tcp", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert done.returncode == 2
    assert "cannot start the language server" in done.stderr
    assert "Traceback" not in done.stderr
