"""An ordered, immutable list of ESL headers with dict-like access to the first value.

ESL messages may repeat a header (CHANNEL_HANGUP_COMPLETE carries ``Hangup-Cause``
twice) and their order is part of the byte-exact form, so a plain dict will not do.
Lookups ignore case, as FreeSWITCH's own ``switch_event_get_header`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar, overload

from mbs.freeswitch.esl.errors import LocalProtocolError

_T = TypeVar("_T")


def check_name(name: str) -> None:
    if not name or ":" in name or "\n" in name or "\r" in name or name[0] == " ":
        raise LocalProtocolError(f"invalid ESL header name {name!r}")


def check_raw_value(name: str, value: str) -> None:
    """A value written without URL coding must fit on its line and survive parsing."""
    if "\n" in value or "\r" in value or value.startswith(" "):
        raise LocalProtocolError(f"header {name!r}: value {value!r} cannot be sent unencoded")


class Headers(Mapping[str, str]):
    """Header pairs in wire order; ``h[name]`` is the first value, ``get_all`` every one."""

    __slots__ = ("_exact", "_folded", "_pairs")

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        self._pairs: tuple[tuple[str, str], ...] = tuple((str(k), str(v)) for k, v in items)
        for name, _ in self._pairs:
            check_name(name)
        self._exact: dict[str, str] = dict(reversed(self._pairs))  # first value wins
        self._folded: dict[str, str] | None = None

    @classmethod
    def from_wire(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Pairs a parser already split (non-empty names without line breaks): no re-checks."""
        self = cls.__new__(cls)
        self._pairs = tuple(pairs)
        self._exact = dict(reversed(pairs))
        self._folded = None
        return self

    @property
    def _index(self) -> dict[str, str]:
        if self._folded is None:
            self._folded = {k.lower(): v for k, v in reversed(self._pairs)}
        return self._folded

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._pairs

    def __getitem__(self, name: str) -> str:
        try:
            return self._exact[name]
        except KeyError:
            return self._index[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._exact or name.lower() in self._index)

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        value = self._exact.get(name)
        if value is not None:
            return value
        return self._index.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self._pairs if k.lower() == low]

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._pairs:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._pairs == other._pairs
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __repr__(self) -> str:
        return f"Headers({list(self._pairs)!r})"

    def with_header(self, name: str, value: str) -> Headers:
        """A copy with one more pair at the end."""
        return Headers((*self._pairs, (name, value)))


EMPTY = Headers()
