"""The ``.mbs`` language server (pygls): diagnostics as you type, completion, hover,
go-to-definition and document symbols.

Every open document is checked by the compiler on open and save, and after a short
pause in typing (``debounce`` seconds, default 0.3, settable with the
``initializationOptions`` ``{"debounce": 0.1}``). The analysis is kept per document
for the requests that follow. A request never fails because of the document's
content: the compiler reports problems as diagnostics, and a request that finds
nothing answers null.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import metadata
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from mbs.lsp.analysis import Analysis, analyse
from mbs.lsp.completion import complete_at
from mbs.lsp.navigation import definition, hover_text, lsp_diagnostics, symbols
from mbs.lsp.positions import UTF16, LineIndex

log = logging.getLogger(__name__)
DEFAULT_DEBOUNCE = 0.3


def _version() -> str:
    try:
        return metadata.version("mbs")
    except metadata.PackageNotFoundError:
        return "0"


class MbsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mbs-lsp", _version())
        self.debounce = DEFAULT_DEBOUNCE
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}

    @property
    def encoding(self) -> str:
        """The position encoding agreed at initialization (utf-16 unless negotiated)."""
        try:
            enc = self.workspace.position_encoding
        except RuntimeError:  # not initialized yet
            return UTF16
        if isinstance(enc, types.PositionEncodingKind):
            return str(enc.value)
        return str(enc or UTF16)

    def analysis(self, uri: str) -> Analysis:
        """The document's analysis, made now if none is current."""
        doc = self.workspace.get_text_document(uri)
        current = self.analyses.get(uri)
        if current is None or current.text != doc.source:
            current = self.refresh(uri)
        return current

    def refresh(self, uri: str) -> Analysis:
        """Check the document now and publish its diagnostics."""
        self.cancel_pending(uri)
        doc = self.workspace.get_text_document(uri)
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        path = Path(fs) if fs else None
        a = analyse(doc.source, str(path) if path else uri, path)
        self.analyses[uri] = a
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=doc.version, diagnostics=lsp_diagnostics(a, self.encoding)
            )
        )
        return a

    def cancel_pending(self, uri: str) -> None:
        """Drop the document's debounced check, if one is waiting."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def schedule(self, uri: str) -> None:
        self.cancel_pending(uri)
        if self.debounce <= 0:
            self.refresh(uri)
            return
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(self.debounce, self._refresh_quietly, uri)

    def _refresh_quietly(self, uri: str) -> None:
        """The debounced check: runs from a timer, outside any request, so a failure
        is logged rather than left to stop the loop."""
        self.pending.pop(uri, None)
        try:
            self.refresh(uri)
        except Exception:
            log.exception("checking %s failed", uri)


def make_server() -> MbsServer:
    """A new server with every feature registered."""
    server = MbsServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MbsServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), int | float):
            ls.debounce = max(0.0, float(options["debounce"]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MbsServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MbsServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MbsServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MbsServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel_pending(uri)
        ls.analyses.pop(uri, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def _position(ls: MbsServer, uri: str, pos: types.Position) -> tuple[Analysis, int, int]:
        a = ls.analysis(uri)
        line1, col1 = a.lines.offset(pos, ls.encoding)
        return a, line1, col1

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[">", " ", ".", "{"]),
    )
    def completion(ls: MbsServer, params: types.CompletionParams) -> types.CompletionList:
        a, line1, col1 = _position(ls, params.text_document.uri, params.position)
        return types.CompletionList(is_incomplete=False, items=complete_at(a, line1, col1))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MbsServer, params: types.HoverParams) -> types.Hover | None:
        a, line1, col1 = _position(ls, params.text_document.uri, params.position)
        text = hover_text(a, line1, col1)
        if text is None:
            return None
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def goto_definition(ls: MbsServer, params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        a, line1, col1 = _position(ls, uri, params.position)
        target = definition(a, line1, col1)
        if target is None:
            return None
        if target.module.entry:
            return types.Location(uri, a.lines.range(target.span, ls.encoding))
        if target.module.path is None:
            return None
        return types.Location(
            target.module.path.resolve().as_uri(),
            LineIndex(target.module.text).range(target.span, ls.encoding),
        )

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(
        ls: MbsServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        return symbols(ls.analysis(params.text_document.uri), ls.encoding)

    return server


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087, **_: Any) -> None:
    """Run the server on stdio (what editors start) or on a TCP port."""
    server = make_server()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()
