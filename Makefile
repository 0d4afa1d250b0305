# `make demo` and `make test` each set up everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-deps

.PHONY: setup demo demo-audio test lint typecheck pytest bench clean

setup: $(STAMP) $(SYSTEM_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet swig==3.0.12 wheel setuptools && PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pip install --quiet --no-build-isolation python-ESL || echo "peers: python-ESL (libesl) did not build: test_python_esl_is_installed (tests/freeswitch/test_peers_python_esl.py) will fail and the other peer tests skip; MBS_ALLOW_NO_LIBESL=1 makes it a skip"
	@touch $@

# Debian packages, installed only when a command they provide is missing.
$(SYSTEM_STAMP): | $(VENV)/bin/python
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@touch $@

demo: setup
	@bash scripts/demo.sh

# The audio path end to end: callers' voices through the audio fork, VAD and Vosk
# (the Korean test model: see examples/audio-ko/campagne.toml).
demo-audio: setup
	@$(BIN)/python scripts/demo_audio.py

lint: setup
	$(BIN)/ruff format --check mbs tests bench
	$(BIN)/ruff check mbs tests bench

typecheck: setup
	$(BIN)/mypy mbs

pytest: setup
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var
