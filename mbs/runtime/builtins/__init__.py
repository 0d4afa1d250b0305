"""Pluggable builtins (stt, nlu, llm, tts, amd): interfaces in ``base``, registry in ``registry``."""
