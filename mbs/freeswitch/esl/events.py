"""The ESL messages, one frozen dataclass per kind, as h11's ``_events.py``.

Two families: ``ServerMessage`` (what FreeSWITCH sends: auth requests, replies, events,
notices) and ``ClientCommand`` (what a client sends: auth, api, bgapi, event, ...).
Constructors validate what would not survive the wire and raise ``LocalProtocolError``.
Bodies are ``str``; bytes that are not UTF-8 are kept as surrogate escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mbs.freeswitch.esl.errors import LocalProtocolError
from mbs.freeswitch.esl.headers import EMPTY, Headers, check_name, check_raw_value

EVENT_FORMATS = ("plain", "json", "xml")


def _raw_headers(headers: Headers) -> None:
    for name, value in headers.pairs:
        check_raw_value(name, value)


def _word(what: str, value: str) -> None:
    if not value or any(c in value for c in " \r\n"):
        raise LocalProtocolError(f"{what} must be one word, got {value!r}")


def _line(what: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise LocalProtocolError(f"{what} cannot contain a line break: {value!r}")


class EslEvent:
    """Root of everything ``EslConnection.next_event`` returns or ``send`` accepts."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ConnectionClosed(EslEvent):
    """The peer closed the connection (``receive_data(b"")``) at a message boundary."""


# ------------------------------------------------------------------ server messages


class ServerMessage(EslEvent):
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class AuthRequest(ServerMessage):
    """``Content-Type: auth/request``: the first thing an inbound socket sends."""


@dataclass(frozen=True, slots=True)
class CommandReply(ServerMessage):
    """``command/reply``: the answer to every command but ``api``."""

    reply_text: str
    headers: Headers = EMPTY  # after Reply-Text, e.g. Job-UUID for bgapi
    body: str = ""

    def __post_init__(self) -> None:
        check_raw_value("Reply-Text", self.reply_text)
        _raw_headers(self.headers)

    @property
    def ok(self) -> bool:
        return self.reply_text.startswith("+OK")

    @property
    def job_uuid(self) -> str | None:
        return self.headers.get("Job-UUID")


@dataclass(frozen=True, slots=True)
class ApiResponse(ServerMessage):
    """``api/response``: the output of an ``api`` command, as its body."""

    body: str


class SwitchEvent(ServerMessage):
    """A switch event (plain or JSON): named headers plus an optional body."""

    __slots__ = ()
    headers: Headers
    body: str

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")

    @property
    def subclass(self) -> str | None:
        return self.headers.get("Event-Subclass")

    @property
    def unique_id(self) -> str | None:
        return self.headers.get("Unique-ID")

    @property
    def job_uuid(self) -> str | None:
        return self.headers.get("Job-UUID")


@dataclass(frozen=True, slots=True)
class PlainEvent(SwitchEvent):
    """``text/event-plain``: URL-coded headers, then an optional inner body."""

    headers: Headers
    body: str = ""


@dataclass(frozen=True, slots=True)
class JsonEvent(SwitchEvent):
    """``text/event-json``: a flat JSON object; array headers are kept as ``ARRAY::a|:b``."""

    headers: Headers
    body: str = ""


@dataclass(frozen=True, slots=True)
class XmlEvent(ServerMessage):
    """``text/event-xml``: framed but left unparsed."""

    body: str


@dataclass(frozen=True, slots=True)
class ConnectReply(ServerMessage):
    """Outbound mode's reply to ``connect``: a flattened CHANNEL_DATA event, no body.

    Its headers (Content-Type and Reply-Text included, in wire order) are URL-coded.
    """

    headers: Headers

    @property
    def unique_id(self) -> str | None:
        return self.headers.get("Unique-ID")

    @property
    def reply_text(self) -> str:
        return self.headers.get("Reply-Text", "")


@dataclass(frozen=True, slots=True)
class DisconnectNotice(ServerMessage):
    """``text/disconnect-notice``; ``Content-Disposition: linger`` means "not yet"."""

    headers: Headers = EMPTY
    body: str = ""

    def __post_init__(self) -> None:
        _raw_headers(self.headers)

    @property
    def linger(self) -> bool:
        return self.headers.get("Content-Disposition") == "linger"


@dataclass(frozen=True, slots=True)
class LogData(ServerMessage):
    """``log/data``: Log-Level, Text-Channel, Log-File, ... headers and the log line."""

    headers: Headers
    body: str

    def __post_init__(self) -> None:
        _raw_headers(self.headers)


@dataclass(frozen=True, slots=True)
class RudeRejection(ServerMessage):
    """``text/rude-rejection``: the ACL refused us."""

    body: str


@dataclass(frozen=True, slots=True)
class UnknownMessage(ServerMessage):
    """A framed message of a Content-Type this core does not know (kept whole)."""

    headers: Headers
    body: str = ""

    def __post_init__(self) -> None:
        _raw_headers(self.headers)


# ------------------------------------------------------------------ client commands


class ClientCommand(EslEvent):
    """A command; every one is answered by exactly one reply, in order."""

    __slots__ = ()
    reply_kind: ClassVar[str] = "command/reply"


@dataclass(frozen=True, slots=True)
class Auth(ClientCommand):
    password: str

    def __post_init__(self) -> None:
        _line("password", self.password)


@dataclass(frozen=True, slots=True)
class Connect(ClientCommand):
    """Outbound mode: asks for the channel's data (the ``ConnectReply``)."""


@dataclass(frozen=True, slots=True)
class Api(ClientCommand):
    command: str
    reply_kind: ClassVar[str] = "api/response"

    def __post_init__(self) -> None:
        _line("api command", self.command)


@dataclass(frozen=True, slots=True)
class BgApi(ClientCommand):
    command: str
    job_uuid: str = ""  # sent as a Job-UUID header, which FreeSWITCH reuses

    def __post_init__(self) -> None:
        _line("bgapi command", self.command)
        check_raw_value("Job-UUID", self.job_uuid)


@dataclass(frozen=True, slots=True)
class Subscribe(ClientCommand):
    """``event [plain|json|xml] NAMES``; names may include ``ALL`` and ``CUSTOM sub``."""

    names: tuple[str, ...]
    format: str = "plain"  # "" writes no format word (FreeSWITCH then uses plain)

    def __post_init__(self) -> None:
        if self.format not in (*EVENT_FORMATS, ""):
            raise LocalProtocolError(f"unknown event format {self.format!r}")
        if not self.format and not self.names:
            raise LocalProtocolError("event needs a format or at least one name")
        for n in self.names:
            _word("event name", n)


@dataclass(frozen=True, slots=True)
class NixEvent(ClientCommand):
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        for n in self.names:
            _word("event name", n)


@dataclass(frozen=True, slots=True)
class NoEvents(ClientCommand):
    pass


@dataclass(frozen=True, slots=True)
class Filter(ClientCommand):
    header: str
    value: str

    def __post_init__(self) -> None:
        _word("filter header", self.header)
        if self.header == "delete":
            raise LocalProtocolError("use FilterDelete to delete a filter")
        _line("filter value", self.value)


@dataclass(frozen=True, slots=True)
class FilterDelete(ClientCommand):
    header: str
    value: str = ""

    def __post_init__(self) -> None:
        _word("filter header", self.header)
        _line("filter value", self.value)


@dataclass(frozen=True, slots=True)
class MyEvents(ClientCommand):
    uuid: str = ""
    format: str = ""

    def __post_init__(self) -> None:
        if self.format not in (*EVENT_FORMATS, ""):
            raise LocalProtocolError(f"unknown event format {self.format!r}")
        if self.uuid:
            _word("uuid", self.uuid)


@dataclass(frozen=True, slots=True)
class DivertEvents(ClientCommand):
    on: bool


@dataclass(frozen=True, slots=True)
class Linger(ClientCommand):
    seconds: int | None = None

    def __post_init__(self) -> None:
        if self.seconds is not None and self.seconds < 0:
            raise LocalProtocolError("linger seconds must be >= 0")


@dataclass(frozen=True, slots=True)
class NoLinger(ClientCommand):
    pass


@dataclass(frozen=True, slots=True)
class Log(ClientCommand):
    level: str = ""

    def __post_init__(self) -> None:
        if self.level:
            _word("log level", self.level)


@dataclass(frozen=True, slots=True)
class NoLog(ClientCommand):
    pass


@dataclass(frozen=True, slots=True)
class Resume(ClientCommand):
    pass


@dataclass(frozen=True, slots=True)
class Exit(ClientCommand):
    pass


@dataclass(frozen=True, slots=True)
class SendMsg(ClientCommand):
    """``sendmsg [uuid]`` with call-command/execute-app-* headers and an optional body."""

    uuid: str = ""
    headers: Headers = EMPTY
    body: str = ""

    def __post_init__(self) -> None:
        if self.uuid:
            _word("uuid", self.uuid)
        _command_headers(self.headers)


@dataclass(frozen=True, slots=True)
class SendEvent(ClientCommand):
    """``sendevent NAME`` with the event's headers and an optional body."""

    name: str
    headers: Headers = EMPTY
    body: str = ""

    def __post_init__(self) -> None:
        _word("event name", self.name)
        _command_headers(self.headers)


@dataclass(frozen=True, slots=True)
class Command(ClientCommand):
    """Any other command line (``getvar``, ``userauth``, unknown words): kept whole."""

    line: str
    headers: Headers = field(default=EMPTY)
    body: str = ""

    def __post_init__(self) -> None:
        _line("command", self.line)
        if not self.line.strip():
            raise LocalProtocolError("empty command")
        _command_headers(self.headers)


def _command_headers(headers: Headers) -> None:
    for name, value in headers.pairs:
        check_name(name)
        check_raw_value(name, value)
        if name.lower() == "content-length":
            raise LocalProtocolError("Content-Length is computed from the body")
