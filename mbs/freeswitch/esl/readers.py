"""Frames to typed messages: server messages in the CLIENT role, commands in the SERVER role."""

from __future__ import annotations

from collections.abc import Callable

from mbs.freeswitch.esl import events as ev
from mbs.freeswitch.esl.bodies import decode_json, decode_plain
from mbs.freeswitch.esl.buffer import Frame
from mbs.freeswitch.esl.errors import LocalProtocolError, RemoteProtocolError
from mbs.freeswitch.esl.headers import Headers
from mbs.freeswitch.esl.urlcoding import url_decode


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _split_header(line: str) -> tuple[str, str]:
    name, sep, value = line.partition(":")
    if not sep or not name:
        raise RemoteProtocolError(f"malformed header line {line[:80]!r}")
    return name, value.lstrip(" ")


def _without(pairs: list[tuple[str, str]], *names: str) -> Headers:
    drop = {n.lower() for n in names}
    return Headers([(n, v) for n, v in pairs if n.lower() not in drop])


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    low = name.lower()
    for n, v in pairs:
        if n.lower() == low:
            return v
    return None


# ------------------------------------------------------------------ CLIENT role


def read_server_message(frame: Frame) -> ev.ServerMessage:
    """Interpret a frame sent by FreeSWITCH."""
    try:
        return _read_server_message(frame)
    except LocalProtocolError as exc:  # a constructor refused what the peer sent
        raise RemoteProtocolError(str(exc)) from None


_PLAIN_TYPE = "Content-Type: text/event-plain"


def _read_server_message(frame: Frame) -> ev.ServerMessage:
    lines = frame.lines
    if len(lines) == 2 and lines[1] == _PLAIN_TYPE and lines[0].startswith("Content-Length: "):
        return ev.PlainEvent(*decode_plain(frame.body))  # how every event is framed
    pairs = [_split_header(line) for line in frame.lines]
    ctype = _first(pairs, "Content-Type") or ""
    body = frame.body
    if _first(pairs, "Event-Name") is not None and _first(pairs, "Content-Length") is None:
        # outbound mode's reply to `connect`: a CHANNEL_DATA event flattened into headers
        return ev.ConnectReply(Headers([(n, url_decode(v)) for n, v in pairs]))
    reader = _SERVER_READERS.get(ctype)
    if reader is None:
        return ev.UnknownMessage(_without(pairs, "Content-Length"), _text(body))
    return reader(pairs, body)


def _command_reply(pairs: list[tuple[str, str]], body: bytes) -> ev.ServerMessage:
    rest = _without(pairs, "Content-Type", "Content-Length").pairs
    text = ""
    for i, (name, value) in enumerate(rest):
        if name.lower() == "reply-text":
            text, rest = value, rest[:i] + rest[i + 1 :]
            break
    return ev.CommandReply(text, Headers(rest), _text(body))


_SERVER_READERS: dict[str, Callable[[list[tuple[str, str]], bytes], ev.ServerMessage]] = {
    "auth/request": lambda pairs, body: ev.AuthRequest(),
    "command/reply": _command_reply,
    "api/response": lambda pairs, body: ev.ApiResponse(_text(body)),
    "text/event-plain": lambda pairs, body: ev.PlainEvent(*decode_plain(body)),
    "text/event-json": lambda pairs, body: ev.JsonEvent(*decode_json(body)),
    "text/event-xml": lambda pairs, body: ev.XmlEvent(_text(body)),
    "text/disconnect-notice": lambda pairs, body: ev.DisconnectNotice(
        _without(pairs, "Content-Type", "Content-Length"), _text(body)
    ),
    "log/data": lambda pairs, body: ev.LogData(
        _without(pairs, "Content-Type", "Content-Length"), _text(body)
    ),
    "text/rude-rejection": lambda pairs, body: ev.RudeRejection(_text(body)),
}


# ------------------------------------------------------------------ SERVER role


def read_client_command(frame: Frame) -> ev.ClientCommand:
    """Interpret a frame sent by a client; unknown or unusual commands stay ``Command``."""
    line = frame.lines[0]
    pairs = [_split_header(h) for h in frame.lines[1:] if h]
    headers = _without(pairs, "Content-Length")
    body = _text(frame.body)
    word, _, rest = line.partition(" ")
    try:
        typed = _typed_command(word.lower(), rest, headers, body)
        if typed is not None:
            return typed
    except LocalProtocolError:
        pass
    try:
        return ev.Command(line, headers, body)
    except LocalProtocolError as exc:
        raise RemoteProtocolError(str(exc)) from None


_FORMATS = ev.EVENT_FORMATS


def _typed_command(word: str, rest: str, headers: Headers, body: str) -> ev.ClientCommand | None:
    if word == "sendmsg":
        return ev.SendMsg(rest, headers, body)
    if word == "sendevent":
        return ev.SendEvent(rest, headers, body)
    if word == "bgapi" and not body and set(h.lower() for h in headers) <= {"job-uuid"}:
        return ev.BgApi(rest, headers.get("Job-UUID", ""))
    if headers or body:
        return None
    args = rest.split(" ") if rest else []
    if word in _NO_ARGS:
        return _NO_ARGS[word]() if not rest else None
    if word == "auth":
        return ev.Auth(rest)
    if word == "api":
        return ev.Api(rest)
    if word == "event":
        if args and args[0].lower() in _FORMATS:
            return ev.Subscribe(tuple(args[1:]), args[0].lower()) if args[0] in _FORMATS else None
        return ev.Subscribe(tuple(args), "") if args else None
    if word == "nixevent":
        return ev.NixEvent(tuple(args))
    if word == "filter":
        if args and args[0] == "delete":
            header, _, value = rest[len("delete ") :].partition(" ")
            return ev.FilterDelete(header, value)
        header, _, value = rest.partition(" ")
        return ev.Filter(header, value)
    if word == "myevents":
        if len(args) == 2:  # "myevents <uuid> <format>"; anything else stays a raw Command
            return ev.MyEvents(args[0], args[1]) if args[1] in _FORMATS else None
        if len(args) == 1:
            return ev.MyEvents(format=args[0]) if args[0] in _FORMATS else ev.MyEvents(args[0])
        return ev.MyEvents() if not args else None
    if word == "divert_events" and rest in ("on", "off"):
        return ev.DivertEvents(rest == "on")
    if word == "linger":
        if not rest:
            return ev.Linger()
        return ev.Linger(int(rest)) if rest.isascii() and rest.isdigit() else None
    if word == "log":
        return ev.Log(rest)
    return None


_NO_ARGS: dict[str, Callable[[], ev.ClientCommand]] = {
    "noevents": ev.NoEvents,
    "nolinger": ev.NoLinger,
    "nolog": ev.NoLog,
    "resume": ev.Resume,
    "exit": ev.Exit,
    "connect": ev.Connect,
}
