"""Bad bytes raise RemoteProtocolError (and nothing else); misuse raises LocalProtocolError."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mbs.freeswitch.esl as esl_pkg
from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    BgApi,
    CommandReply,
    ConnectionClosed,
    ConnectReply,
    DisconnectNotice,
    EslConnection,
    Exit,
    Filter,
    Headers,
    LocalProtocolError,
    PlainEvent,
    RemoteProtocolError,
    Role,
    SendMsg,
    Subscribe,
)

GOOD = (
    b"Content-Type: auth/request\n\n"
    b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    b"Content-Length: 40\nContent-Type: text/event-plain\n\n"
    b"Event-Name: HEARTBEAT\nUp-Time: 1%202\n\n"
    b"Content-Length: 59\nContent-Type: text/event-json\n\n"
    b'{"Event-Name":"CUSTOM","Content-Length":"2","_body":"hi"}\n\n'
    b"Content-Type: api/response\nContent-Length: 3\n\n+OK"
)


def drain(conn: EslConnection) -> None:
    for _ in range(10_000):
        e = conn.next_event()
        if e is NEED_DATA or isinstance(e, ConnectionClosed):
            return


def feed_all(role: Role, data: bytes, max_size: int = 4096) -> None:
    conn = EslConnection(role, max_message_size=max_size)
    if role is Role.CLIENT:
        for _ in range(50):
            conn.send(Api("x"))
    if data:
        conn.receive_data(data)
        drain(conn)
    conn.receive_data(b"")
    drain(conn)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from([Role.CLIENT, Role.SERVER]))
def test_random_bytes_only_remote_errors(data: bytes, role: Role) -> None:
    with contextlib.suppress(RemoteProtocolError):
        feed_all(role, data)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_messages_only_remote_errors(data: st.DataObject) -> None:
    buf = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        i = data.draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[i] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del buf[i]
        else:
            buf[i:i] = data.draw(st.sampled_from([b":", b"\n", b"\n\n", b"%", b"9", b"\xff", b"{"]))
    with contextlib.suppress(RemoteProtocolError):
        feed_all(Role.CLIENT, bytes(buf))


def test_specific_bad_input() -> None:
    cases = [
        b"no colon here\n\n",
        b"Content-Length: abc\n\n",
        b"Content-Length: -1\n\n",
        b"Content-Length: 5\nContent-Type: text/event-plain\n\nX: 1\n",  # no end of headers
        b"Content-Length: 9\nContent-Type: text/event-plain\n\nnocolon\n\n",
        b"Content-Length: 30\nContent-Type: text/event-plain\n\nA: b\nContent-Length: 99\n\nxyz\n\n\n\n\n\n\n",
        b"Content-Length: 2\nContent-Type: text/event-json\n\n[]",
        b'Content-Length: 8\nContent-Type: text/event-json\n\n{"a": 1}',
        b"Content-Type: command/reply\nReply-Text: +OK\n\n",  # nobody asked
    ]
    for data in cases:
        conn = EslConnection(Role.CLIENT)
        conn.receive_data(data)
        with pytest.raises(RemoteProtocolError):
            conn.next_event()
        with pytest.raises(RemoteProtocolError):  # the connection stays broken
            conn.next_event()


def test_eof_in_the_middle_of_a_message() -> None:
    conn = EslConnection(Role.CLIENT)
    conn.receive_data(b"Content-Type: api/resp")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    clean = EslConnection(Role.CLIENT)
    clean.receive_data(b"")
    assert clean.next_event() == ConnectionClosed()


def test_message_size_cap() -> None:
    conn = EslConnection(Role.CLIENT, max_message_size=1024)
    conn.receive_data(b"Content-Length: 5000\nContent-Type: text/event-plain\n\n")
    with pytest.raises(RemoteProtocolError, match="cap"):
        conn.next_event()
    endless = EslConnection(Role.SERVER, max_message_size=1024)
    for _ in range(20):
        endless.receive_data(b"x-header: " + b"y" * 100 + b"\n")
    with pytest.raises(RemoteProtocolError, match="cap"):
        endless.next_event()
    fits = EslConnection(Role.CLIENT, max_message_size=1024)
    fits.send(Api("status"))
    fits.receive_data(b"Content-Type: api/response\nContent-Length: 900\n\n" + b"a" * 900)
    assert fits.next_event() == ApiResponse("a" * 900)


def test_content_length_counts_bytes() -> None:
    server = EslConnection(Role.SERVER)
    server.receive_data(b"api x\n\n")
    server.next_event()
    data = server.send(ApiResponse("déjà vu ☎\n"))
    assert b"Content-Length: 14\n" in data
    event = PlainEvent(Headers([("Event-Name", "CUSTOM"), ("Note", "é")]), "€")
    assert (
        EslConnection(Role.SERVER)
        .send(event)
        .endswith(b"Note: %C3%A9\nContent-Length: 3\n\n\xe2\x82\xac")
    )


def test_misuse_is_local() -> None:
    client = EslConnection(Role.CLIENT)
    with pytest.raises(LocalProtocolError):
        client.send(AuthRequest())  # wrong direction
    server = EslConnection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        server.send(Api("status"))
    with pytest.raises(LocalProtocolError):
        server.send(CommandReply("+OK"))  # nothing to answer
    server.receive_data(b"api status\n\n")
    server.next_event()
    with pytest.raises(LocalProtocolError):
        server.send(ConnectReply(Headers([("Event-Name", "CHANNEL_DATA")])))
    server.send(ApiResponse("ok"))
    server.send(DisconnectNotice(body="bye\n"))
    with pytest.raises(LocalProtocolError):  # closed
        server.send(AuthRequest())
    client.send(Exit())
    with pytest.raises(LocalProtocolError):
        client.send(Api("status"))
    done = EslConnection(Role.CLIENT)
    done.receive_data(b"")
    with pytest.raises(LocalProtocolError):
        done.receive_data(b"more")
    authed = EslConnection(Role.CLIENT)
    authed.send(Auth("ClueCon"))
    authed.receive_data(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    authed.next_event()
    with pytest.raises(LocalProtocolError):
        authed.send(Auth("again"))
    with pytest.raises(LocalProtocolError):
        EslConnection(Role.CLIENT, max_message_size=10)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Api("status\nevent plain ALL"),
        lambda: Auth("a\nb"),
        lambda: BgApi("x", "bad\nuuid"),
        lambda: Subscribe(("A B",)),
        lambda: Subscribe((), ""),
        lambda: Subscribe(("ALL",), "yaml"),
        lambda: Filter("delete", "x"),
        lambda: Filter("Unique-ID", "a\nb"),
        lambda: SendMsg("u", Headers([("call-command", "exe\ncute")])),
        lambda: SendMsg("u", Headers([("Content-Length", "3")]), "abc"),
        lambda: SendMsg("u u"),
        lambda: Headers([("Bad: name", "x")]),
        lambda: Headers([("", "x")]),
        lambda: CommandReply("+OK\n"),
        lambda: DisconnectNotice(Headers([("Linger-Time", " 5")])),
    ],
)
def test_constructors_validate(build: object) -> None:
    with pytest.raises(LocalProtocolError):
        build()  # type: ignore[operator]


def test_core_never_imports_asyncio() -> None:
    root = Path(esl_pkg.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            for mod in mods:
                assert mod.split(".")[0] not in {"asyncio", "socket", "selectors", "trio"}, path
