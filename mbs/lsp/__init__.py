"""Editor support for ``.mbs``: the language server, the Pygments lexer and the shared
vocabulary the highlighters are generated from.

Importing this package is cheap (Pygments loads :mod:`mbs.lsp.lexer` through its entry
point); the server itself (:mod:`mbs.lsp.server`, on pygls) is imported on demand.
"""
