"""Serialise -> parse round trips in both roles, with arbitrary header values."""

from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    BgApi,
    ClientCommand,
    Command,
    CommandReply,
    DisconnectNotice,
    DivertEvents,
    EslConnection,
    EslEvent,
    Exit,
    Filter,
    FilterDelete,
    Headers,
    JsonEvent,
    Linger,
    Log,
    LogData,
    MyEvents,
    NixEvent,
    NoEvents,
    NoLinger,
    NoLog,
    PlainEvent,
    Resume,
    Role,
    RudeRejection,
    SendEvent,
    SendMsg,
    ServerMessage,
    Subscribe,
    UnknownMessage,
    XmlEvent,
    url_decode,
    url_encode,
)

SPECIAL = '\r\n #%&+:;<=>?@[\\]^`{|}"\x00\x7f'
_ESCAPE = re.compile(r"%[0-9A-F]{2}")
# FreeSWITCH cannot tell apart, once encoded, a value already holding an uppercase %XX
# (it is not re-escaped) or the literal "_undef_" (it means empty): leave those out
values = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(SPECIAL)).filter(
    lambda v: v != "_undef_" and not _ESCAPE.search(v)
)


names = st.text(
    alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=30
).filter(lambda n: n.lower() != "content-length")
raw_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=40
).filter(lambda v: not v.startswith(" "))
words = st.text(alphabet=string.ascii_letters + string.digits + "_:-.", min_size=1, max_size=20)
bodies = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
raw_headers = st.lists(st.tuples(names, raw_values), max_size=6).map(Headers)


def pipe(sender: EslConnection, receiver: EslConnection, event: EslEvent) -> EslEvent:
    data = sender.send(event)
    receiver.receive_data(data)
    got = receiver.next_event()
    assert got is not NEED_DATA
    assert receiver.next_event() is NEED_DATA
    return got  # type: ignore[return-value]


def test_url_encoding_set() -> None:
    assert url_encode("") == "_undef_" and url_decode("_undef_") == ""
    assert url_encode("a b") == "a%20b"
    assert url_encode("%41%2b%") == "%41%252b%25"  # existing uppercase %XX kept
    for ch in SPECIAL:
        assert url_encode(ch) == f"%{ord(ch):02X}"
    for ch in "!$'()*,-./~_azAZ09":
        assert url_encode(ch) == ch
    assert url_encode("é") == "%C3%A9"
    assert url_decode("caf%c3%a9+x") == "café+x"


@given(values)
def test_url_round_trip(value: str) -> None:
    assert url_decode(url_encode(value)) == value


@settings(max_examples=200)
@given(st.lists(st.tuples(names, values), max_size=12), bodies, st.booleans())
def test_switch_events_round_trip(pairs: list[tuple[str, str]], body: str, json: bool) -> None:
    cls = JsonEvent if json else PlainEvent
    if json:
        pairs = [(n, v) for n, v in pairs if not v.startswith("ARRAY::") and n != "_body"]
    event = cls(Headers(pairs), body)
    got = pipe(EslConnection(Role.SERVER), EslConnection(Role.CLIENT), event)
    assert got == event


def _answered(server: EslConnection) -> EslConnection:
    server.receive_data(b"api x\n\n")
    server.next_event()
    return server


server_messages = st.one_of(
    st.just(AuthRequest()),
    st.builds(
        CommandReply, raw_values, raw_headers.filter(lambda h: "Reply-Text" not in h), bodies
    ),
    st.builds(ApiResponse, bodies),
    st.builds(XmlEvent, bodies),
    st.builds(
        DisconnectNotice,
        raw_headers.filter(lambda h: "Content-Type" not in h),
        bodies,
    ),
    st.builds(LogData, raw_headers.filter(lambda h: "Content-Type" not in h), bodies),
    st.builds(RudeRejection, bodies),
    st.builds(
        UnknownMessage,
        st.tuples(st.sampled_from(["x/unknown", "text/other"]), raw_headers).map(
            lambda t: Headers(
                [
                    ("Content-Type", t[0]),
                    *((n, v) for n, v in t[1].pairs if n.lower() != "content-type"),
                ]
            )
        ),
        bodies,
    ),
)


@settings(max_examples=300)
@given(server_messages)
def test_server_messages_round_trip(message: ServerMessage) -> None:
    client = EslConnection(Role.CLIENT)
    client.send(Api("x"))
    got = pipe(_answered(EslConnection(Role.SERVER)), client, message)
    assert got == message


name_tuples = st.lists(words.filter(lambda w: w not in ("plain", "json", "xml")), max_size=5).map(
    tuple
)
commands = st.one_of(
    st.builds(Auth, raw_values),
    st.builds(Api, raw_values),
    st.builds(BgApi, raw_values, st.one_of(st.just(""), words)),
    st.builds(Subscribe, name_tuples, st.sampled_from(["plain", "json", "xml"])),
    st.builds(NixEvent, name_tuples),
    st.builds(NoEvents),
    st.builds(Filter, words.filter(lambda w: w != "delete"), raw_values),
    st.builds(FilterDelete, words, st.one_of(st.just(""), words)),
    st.builds(
        MyEvents,
        st.one_of(st.just(""), words.filter(lambda w: w not in ("plain", "json", "xml"))),
        st.sampled_from(["", "plain", "json"]),
    ),
    st.builds(DivertEvents, st.booleans()),
    st.builds(Linger, st.one_of(st.none(), st.integers(0, 10_000))),
    st.builds(NoLinger),
    st.builds(Log, st.one_of(st.just(""), st.sampled_from(["7", "debug", "err"]))),
    st.builds(NoLog),
    st.builds(Resume),
    st.builds(Exit),
    st.builds(SendMsg, st.one_of(st.just(""), words), raw_headers, bodies),
    st.builds(SendEvent, words, raw_headers, bodies),
    st.builds(
        Command, st.sampled_from(["getvar x", "userauth a@b:c", "frobnicate"]), raw_headers, bodies
    ),
)


@settings(max_examples=400)
@given(commands)
def test_client_commands_round_trip(command: ClientCommand) -> None:
    server = EslConnection(Role.SERVER)
    got = pipe(EslConnection(Role.CLIENT), server, command)
    assert got == command
    assert server.pending_commands == (command,)


@given(st.lists(commands, min_size=1, max_size=8), st.data())
def test_pipelined_commands_any_chunking(cmds: list[ClientCommand], data: st.DataObject) -> None:
    client = EslConnection(Role.CLIENT)
    stream = b""
    for c in cmds:
        if isinstance(c, Exit):
            break
        stream += client.send(c)
    sent = list(client.pending_commands)
    server = EslConnection(Role.SERVER)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    got: list[EslEvent] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        if cut > prev:
            server.receive_data(stream[prev:cut])
        prev = max(prev, cut)
        while (e := server.next_event()) is not NEED_DATA:
            got.append(e)
    assert got == sent
