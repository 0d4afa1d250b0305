"""``python -m mbs.lsp``: the language server on stdio (what ``mbs lsp`` runs)."""

from mbs.lsp.server import serve

serve()
