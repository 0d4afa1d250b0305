"""mbs: a language, compiler and runtime for conversational phone-call robots."""

__version__ = "0.1.0"
