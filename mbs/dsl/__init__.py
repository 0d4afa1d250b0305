"""The .mbs front end: grammar, syntax tree, parser and module loader."""
