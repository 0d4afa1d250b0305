"""An ordered, immutable list of ESL headers with dict-like access to the first value.

ESL messages may repeat a header (CHANNEL_HANGUP_COMPLETE carries ``Hangup-Cause``
twice) and their order is part of the byte-exact form, so a plain dict will not do.
Lookups ignore case, as FreeSWITCH's own ``switch_event_get_header`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar, overload

from mbs.freeswitch.esl.errors import LocalProtocolError
from mbs.freeswitch.esl.urlcoding import UNDEF, url_decode

_T = TypeVar("_T")


def check_name(name: str) -> None:
    if not name or ":" in name or "\n" in name or "\r" in name or name[0] == " ":
        raise LocalProtocolError(f"invalid ESL header name {name!r}")


def check_raw_value(name: str, value: str) -> None:
    """A value written without URL coding must fit on its line and survive parsing."""
    if "\n" in value or "\r" in value or value.startswith(" "):
        raise LocalProtocolError(f"header {name!r}: value {value!r} cannot be sent unencoded")


class Headers(Mapping[str, str]):
    """Header pairs in wire order; ``h[name]`` is the first value, ``get_all`` every one.

    Headers parsed from text/event-plain keep their values URL-coded until asked for:
    a client routing an event reads two or three of its ~30 headers, so decoding each
    value on lookup (``url_decode`` caches the repeating ones) beats decoding them all.
    """

    __slots__ = ("_coded", "_exact", "_folded", "_names", "_pairs", "_values")

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        checked = tuple((str(k), str(v)) for k, v in items)
        for name, _ in checked:
            check_name(name)
        self._pairs: tuple[tuple[str, str], ...] | None = checked
        self._exact: dict[str, str] = dict(reversed(checked))  # first value wins
        self._folded: dict[str, str] | None = None
        self._coded = False
        self._names: list[str] = []
        self._values: list[str] = []

    @classmethod
    def from_wire(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Pairs a parser already split (non-empty names without line breaks): no re-checks."""
        self = cls.__new__(cls)
        self._pairs = tuple(pairs)
        self._exact = dict(reversed(pairs))
        self._folded = None
        self._coded = False
        self._names = self._values = []
        return self

    @classmethod
    def of_strings(cls, pairs: Sequence[tuple[str, str]]) -> Headers:
        """``Headers(pairs)`` for pairs already of ``str``: the names are checked in one
        pass over their joined text rather than one by one (the simulator's events)."""
        joined = "\n".join([name for name, _ in pairs])
        if (
            "\r" in joined
            or ":" in joined
            or "\n\n" in joined
            or "\n " in joined
            or joined.startswith((" ", "\n"))
            or joined.endswith("\n")
            or (pairs and not joined)
        ):
            return cls(pairs)  # raises on the bad name
        return cls.from_wire(list(pairs))

    @classmethod
    def from_coded(cls, names: list[str], values: list[str]) -> Headers:
        """Names and still URL-coded values a parser split: decoded on lookup."""
        self = cls.__new__(cls)
        self._pairs = None
        self._names, self._values = names, values
        self._exact = dict(zip(reversed(names), reversed(values), strict=False))
        self._folded = None
        self._coded = True
        return self

    @property
    def _index(self) -> dict[str, str]:
        if self._folded is None:
            if self._pairs is None:
                names, values = self._names, self._values
                lowered = [n.lower() for n in reversed(names)]
                self._folded = dict(zip(lowered, reversed(values), strict=True))
            else:
                self._folded = {k.lower(): v for k, v in reversed(self._pairs)}
        return self._folded

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        if self._pairs is None:
            decoded = [url_decode(v) for v in self._values]
            self._pairs = tuple(zip(self._names, decoded, strict=True))
        return self._pairs

    def __getitem__(self, name: str) -> str:
        try:
            value = self._exact[name]
        except KeyError:
            value = self._index[name.lower()]
        if self._coded and ("%" in value or value == UNDEF):
            return url_decode(value)
        return value

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
        if value is None:
            value = self._index.get(name.lower())
            if value is None:
                return default
        if self._coded and ("%" in value or value == UNDEF):
            return url_decode(value)
        return value

    def get_all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.pairs if k.lower() == low]

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self.pairs:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self.pairs == other.pairs
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __repr__(self) -> str:
        return f"Headers({list(self.pairs)!r})"

    def with_header(self, name: str, value: str) -> Headers:
        """A copy with one more pair at the end."""
        return Headers((*self.pairs, (name, value)))


EMPTY = Headers()
