"""The runtime: executes compiled programs. Never imports ``mbs.dsl`` or ``mbs.compiler``."""
