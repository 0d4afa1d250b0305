"""Typed messages to bytes, with FreeSWITCH's exact header order for each kind.

Events put Content-Length before Content-Type; replies put Content-Type first
(``mod_event_socket.c``). Client commands are a command line, raw headers, an empty line
and, when there is a body, a Content-Length header in front of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mbs.freeswitch.esl import events as ev
from mbs.freeswitch.esl.bodies import body_length, encode_json, encode_plain
from mbs.freeswitch.esl.errors import LocalProtocolError
from mbs.freeswitch.esl.headers import Headers
from mbs.freeswitch.esl.urlcoding import url_encode


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _raw(headers: Headers) -> str:
    return "".join(f"{n}: {v}\n" for n, v in headers.pairs)


def _envelope(ctype: str, payload: bytes) -> bytes:
    return _bytes(f"Content-Length: {len(payload)}\nContent-Type: {ctype}\n\n") + payload


def _with_body(head: str, body: str) -> bytes:
    """``head`` (ending in LF), Content-Length when there is a body, a blank line, the body."""
    if body:
        return _bytes(f"{head}Content-Length: {body_length(body)}\n\n{body}")
    return _bytes(head + "\n")


def _command_reply(m: ev.CommandReply) -> bytes:
    return _with_body(
        f"Content-Type: command/reply\nReply-Text: {m.reply_text}\n{_raw(m.headers)}", m.body
    )


def _log_data(m: ev.LogData) -> bytes:
    return _bytes(
        f"Content-Type: log/data\nContent-Length: {body_length(m.body)}\n{_raw(m.headers)}\n{m.body}"
    )


def _counted(ctype: str) -> Callable[[Any], bytes]:
    def write(m: Any) -> bytes:
        return _bytes(f"Content-Type: {ctype}\nContent-Length: {body_length(m.body)}\n\n{m.body}")

    return write


def _connect_reply(m: ev.ConnectReply) -> bytes:
    return _bytes("".join(f"{n}: {url_encode(v)}\n" for n, v in m.headers.pairs) + "\n")


def _unknown(m: ev.UnknownMessage) -> bytes:
    return _with_body(_raw(m.headers), m.body)


def _disconnect(m: ev.DisconnectNotice) -> bytes:
    head = f"Content-Type: text/disconnect-notice\n{_raw(m.headers)}"
    return _bytes(f"{head}Content-Length: {body_length(m.body)}\n\n{m.body}")


_SERVER_WRITERS: dict[type, Callable[[Any], bytes]] = {
    ev.AuthRequest: lambda m: b"Content-Type: auth/request\n\n",
    ev.CommandReply: _command_reply,
    ev.ApiResponse: _counted("api/response"),
    ev.PlainEvent: lambda m: _envelope("text/event-plain", encode_plain(m.headers, m.body)),
    ev.JsonEvent: lambda m: _envelope("text/event-json", encode_json(m.headers, m.body)),
    ev.XmlEvent: lambda m: _envelope("text/event-xml", _bytes(m.body)),
    ev.ConnectReply: _connect_reply,
    ev.DisconnectNotice: _disconnect,
    ev.LogData: _log_data,
    ev.RudeRejection: _counted("text/rude-rejection"),
    ev.UnknownMessage: _unknown,
}


def _line(*words: str) -> str:
    return " ".join(w for w in words if w)


def command_line(c: ev.ClientCommand) -> str:
    """A client command's first line, as it goes on the wire."""
    match c:
        case ev.Auth(password=pw):
            return f"auth {pw}"
        case ev.Api(command=cmd):
            return f"api {cmd}"
        case ev.BgApi(command=cmd):
            return f"bgapi {cmd}"
        case ev.Subscribe(names=names, format=fmt):
            return _line("event", fmt, *names)
        case ev.NixEvent(names=names):
            return _line("nixevent", *names)
        case ev.Filter(header=h, value=v):
            return f"filter {h} {v}"
        case ev.FilterDelete(header=h, value=v):
            return f"filter delete {h} {v}" if v else f"filter delete {h}"
        case ev.MyEvents(uuid=uuid, format=fmt):
            # FreeSWITCH reads "myevents <uuid> [<format>]": the uuid comes first.
            return _line("myevents", uuid, fmt)
        case ev.DivertEvents(on=on):
            return f"divert_events {'on' if on else 'off'}"
        case ev.Linger(seconds=s):
            return "linger" if s is None else f"linger {s}"
        case ev.Log(level=level):
            return _line("log", level)
        case ev.SendMsg(uuid=uuid):
            return _line("sendmsg", uuid)
        case ev.SendEvent(name=name):
            return f"sendevent {name}"
        case ev.Command(line=line):
            return line
    return _SIMPLE[type(c)]


_SIMPLE: dict[type, str] = {
    ev.Connect: "connect",
    ev.NoEvents: "noevents",
    ev.NoLinger: "nolinger",
    ev.NoLog: "nolog",
    ev.Resume: "resume",
    ev.Exit: "exit",
}


def write_client_command(c: ev.ClientCommand) -> bytes:
    head = command_line(c) + "\n"
    if isinstance(c, ev.BgApi) and c.job_uuid:
        head += f"Job-UUID: {c.job_uuid}\n"
    if isinstance(c, ev.SendMsg | ev.SendEvent | ev.Command):
        return _with_body(head + _raw(c.headers), c.body)
    return _bytes(head + "\n")


def write_server_message(m: ev.ServerMessage) -> bytes:
    writer = _SERVER_WRITERS.get(type(m))
    if writer is None:
        raise LocalProtocolError(f"cannot serialise {type(m).__name__}")
    return writer(m)
