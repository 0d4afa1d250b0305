"""Find builtin implementations by name through Python entry points.

Any installed distribution can add one: an entry point in the group ``mbs.builtins``
named ``KIND.NAME`` (``nlu.mine``) whose object is a factory called as
``Factory(program, config)``. mbs registers its own the same way (pyproject.toml), so
third-party builtins are first-class. An entry point may name the package extra it
needs (``"mbs.runtime.builtins.vosk_stt:VoskStt [vosk]"``): when its import fails the
error tells which ``pip install`` brings it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency, UnknownBuiltin

GROUP = "mbs.builtins"
KINDS: tuple[str, ...] = ("stt", "nlu", "llm", "tts", "amd")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UnknownBuiltin(f"unknown builtin kind {kind!r} (kinds: {', '.join(KINDS)})")


def _entry_points(kind: str) -> dict[str, EntryPoint]:
    """NAME -> entry point for one kind; the first distribution found wins a clash."""
    found: dict[str, EntryPoint] = {}
    prefix = kind + "."
    for ep in entry_points(group=GROUP):
        if ep.name.startswith(prefix):
            found.setdefault(ep.name[len(prefix) :], ep)
    return found


def available(kind: str) -> list[str]:
    """The implementation names registered for ``kind``, sorted."""
    _check_kind(kind)
    return sorted(_entry_points(kind))


def _install_hint(ep: EntryPoint) -> tuple[str, str | None]:
    extras = list(ep.extras)
    if not extras:
        return "", None
    dist = ep.dist.name if ep.dist is not None else "mbs"
    return f"pip install '{dist}[{','.join(extras)}]'", extras[0]


def _load(kind: str, name: str) -> Any:
    """The factory of ``kind.name`` (its module imported, nothing built)."""
    _check_kind(kind)
    eps = _entry_points(kind)
    ep = eps.get(name)
    label = f"{kind}.{name}"
    if ep is None:
        names = ", ".join(sorted(eps)) or "none"
        raise UnknownBuiltin(f"no {kind} builtin named {name!r} (available: {names})")
    try:
        return ep.load()
    except ImportError as exc:
        hint, extra = _install_hint(ep)
        if hint:
            raise MissingDependency(
                f"the {name} {kind.upper()} needs `{hint}` ({exc})", extra=extra
            ) from exc
        raise BuiltinError(f"cannot load the {label} builtin ({ep.value}): {exc}") from exc
    except AttributeError as exc:
        raise BuiltinError(f"cannot load the {label} builtin ({ep.value}): {exc}") from exc


def check_installed(kind: str, name: str) -> None:
    """Raise :class:`MissingDependency` when ``kind.name`` could not be built here.

    A builtin whose engine is imported only when it is built declares the modules it
    needs (``requires``), so a campaign check reports it missing, not the first call.
    """
    for module in getattr(_load(kind, name), "requires", ()):
        try:
            present = module in sys.modules or importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            present = False
        if not present:
            ep = _entry_points(kind)[name]
            hint, extra = _install_hint(ep)
            raise MissingDependency(
                f"the {name} {kind.upper()} needs `{hint or 'pip install ' + module}` "
                f"(no module named {module!r})",
                extra=extra,
            )


def options_model(kind: str, name: str) -> type[BaseModel] | None:
    """The ``Options`` model ``kind.name`` declares, None when it declares none.

    Raises like :func:`create` for an unknown name or a missing optional dependency;
    the builtin itself is not built.
    """
    options = getattr(_load(kind, name), "Options", None)
    if isinstance(options, type) and issubclass(options, BaseModel):
        return options
    return None


def option_errors(model: type[BaseModel], config: Mapping[str, object]) -> list[tuple[str, str]]:
    """(key, message) per problem of ``config`` against ``model`` (empty when valid)."""
    try:
        model.model_validate(dict(config))
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"]) or "?"
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                message = "unknown option"
            out.append((key, message))
        return out
    return []


def check_options(kind: str, name: str, config: Mapping[str, object]) -> None:
    """Raise :class:`BuiltinError` naming the first bad option of ``config``."""
    model = options_model(kind, name)
    if model is None:
        return
    errors = option_errors(model, config)
    if errors:
        key, message = errors[0]
        known = ", ".join(model.model_fields) or "none"
        raise BuiltinError(f"{kind}.{name}: option {key!r}: {message} (options: {known})")


def create(
    kind: str, name: str, program: Program, config: Mapping[str, object] | None = None
) -> object:
    """Build the implementation ``kind.name`` for ``program`` with its ``config``.

    Raises :class:`UnknownBuiltin` for a name nobody registered, and
    :class:`MissingDependency` when the implementation's optional dependency is absent.
    Any other failure of the factory becomes a :class:`BuiltinError` naming the builtin.
    """
    factory = _load(kind, name)
    check_options(kind, name, config or {})
    ep = _entry_points(kind)[name]
    label = f"{kind}.{name}"
    try:
        return factory(program, dict(config or {}))
    except BuiltinError:
        raise
    except ImportError as exc:
        hint, extra = _install_hint(ep)
        if hint:
            raise MissingDependency(
                f"the {name} {kind.upper()} needs `{hint}` ({exc})", extra=extra
            ) from exc
        raise BuiltinError(f"the {label} builtin failed to start: {exc}") from exc
    except Exception as exc:  # a third-party factory may raise anything
        raise BuiltinError(f"the {label} builtin failed to start: {exc}") from exc
