"""Every message of the recorded ESL examples (``data/esl-examples.txt``: the wire bytes
of FreeSWITCH 1.10 messages, with dialogues in ``S:``/``C:`` lines) parses, and
serialises back to the same bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    AuthState,
    BgApi,
    CommandReply,
    Connect,
    ConnectionClosed,
    ConnectReply,
    DisconnectNotice,
    EslConnection,
    EslEvent,
    Headers,
    PlainEvent,
    Role,
)

EXAMPLES_FILE = Path(__file__).parent / "data" / "esl-examples.txt"
_SECTION = re.compile(rb"^===== (.*)\n", re.M)
_ANNOTATION = re.compile(r"\s{2,}\([^)]*\)\s*$")


def load_examples(
    path: Path = EXAMPLES_FILE,
) -> tuple[dict[str, bytes], list[tuple[str, str, bytes]]]:
    """Split the examples file: ``===== name LENGTH`` sections hold LENGTH raw bytes;
    other sections hold ``S:``/``C:`` lines with ``\\n`` escapes (returned in order as
    (section, speaker, bytes)). Lines with a ``...`` placeholder header are skipped."""
    data = path.read_bytes()
    sized: dict[str, bytes] = {}
    dialogues: list[tuple[str, str, bytes]] = []
    pos = 0
    while (m := _SECTION.search(data, pos)) is not None:
        title = m.group(1).decode()
        words = title.split()
        if len(words) == 2 and words[1].isdigit():
            n = int(words[1])
            sized[words[0]] = data[m.end() : m.end() + n]
            pos = m.end() + n
            continue
        nxt = _SECTION.search(data, m.end())
        end = nxt.start() if nxt else len(data)
        for line in data[m.end() : end].decode().splitlines():
            found = re.search(r"\b([SC]): (.*)$", line)
            if found is None or re.search(r"(^|\\n)\.\.\.", found.group(2)):
                continue
            text = _ANNOTATION.sub("", found.group(2)).replace("\\n", "\n")
            dialogues.append((words[0], found.group(1), text.encode()))
        pos = end
    return sized, dialogues


SIZED, DIALOGUES = load_examples()


def parse_one(data: bytes, role: Role, pending: EslEvent | None = None) -> EslEvent:
    conn = EslConnection(role)
    if pending is not None:  # a command the reply answers
        conn.send(pending)
    conn.receive_data(data)
    event = conn.next_event()
    assert event is not NEED_DATA
    assert conn.next_event() is NEED_DATA
    assert conn.buffered == 0
    return event  # type: ignore[return-value]


def serialise(event: EslEvent, role: Role) -> bytes:
    conn = EslConnection(role)
    if isinstance(event, CommandReply | ApiResponse):
        conn.receive_data(b"api x\n\n")
        conn.next_event()
    return conn.send(event)


def test_loader_found_everything() -> None:
    assert set(SIZED) == {
        "bgjob",
        "bgjob_fail",
        "answer",
        "hupc",
        "pbstop",
        "dtmf",
        "exec_c",
        "status",
    }
    speakers = [s for _, s, _ in DIALOGUES]
    assert speakers.count("C") == 2 and speakers.count("S") >= 5


@pytest.mark.parametrize("name", sorted(SIZED))
def test_sized_example_round_trips(name: str) -> None:
    data = SIZED[name]
    event = parse_one(data, Role.CLIENT, Api("status") if name == "status" else None)
    assert serialise(event, Role.SERVER) == data


@pytest.mark.parametrize("name", sorted(SIZED))
def test_split_at_every_byte(name: str) -> None:
    data = SIZED[name]
    whole = parse_one(data, Role.CLIENT, Api("status") if name == "status" else None)
    for cut in range(1, len(data)):
        conn = EslConnection(Role.CLIENT)
        if name == "status":
            conn.send(Api("status"))
        conn.receive_data(data[:cut])
        assert conn.next_event() is NEED_DATA
        conn.receive_data(data[cut:])
        assert conn.next_event() == whole


def test_one_byte_at_a_time_and_many_per_read() -> None:
    stream = b"".join(SIZED[n] for n in sorted(SIZED) if n != "status") * 3
    expected = [parse_one(SIZED[n], Role.CLIENT) for n in sorted(SIZED) if n != "status"] * 3
    conn = EslConnection(Role.CLIENT)
    got: list[EslEvent] = []
    for i in range(len(stream)):
        conn.receive_data(stream[i : i + 1])
        while (e := conn.next_event()) is not NEED_DATA:
            got.append(e)
    assert got == expected
    conn = EslConnection(Role.CLIENT)
    conn.receive_data(stream)
    conn.receive_data(b"")
    got = []
    while not isinstance(e := conn.next_event(), ConnectionClosed):
        got.append(e)  # type: ignore[arg-type]
    assert got == expected


def test_event_contents() -> None:
    bgjob = parse_one(SIZED["bgjob"], Role.CLIENT)
    assert isinstance(bgjob, PlainEvent)
    assert bgjob.name == "BACKGROUND_JOB"
    assert bgjob.job_uuid == "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
    assert bgjob.body == "+OK a1b2c3d4-0000-4000-8000-000000000001\n"
    assert bgjob.headers["FreeSWITCH-IPv6"] == "::1"
    assert bgjob.headers["Job-Command-Arg"].endswith("sofia/gateway/gw1/15551230000 &park()")
    assert bgjob.headers["Event-Date-GMT"] == "Thu, 01 Jan 2026 12:00:00 GMT"
    fail = parse_one(SIZED["bgjob_fail"], Role.CLIENT)
    assert isinstance(fail, PlainEvent) and fail.body == "-ERR USER_BUSY\n"
    hupc = parse_one(SIZED["hupc"], Role.CLIENT)
    assert isinstance(hupc, PlainEvent)
    assert hupc.headers.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    assert hupc.headers["variable_sip_term_status"] == "200"
    assert hupc.body == ""
    names = [n for n, _ in hupc.headers.pairs]
    assert names.index("Hangup-Cause") < names.index("Channel-State")
    dtmf = parse_one(SIZED["dtmf"], Role.CLIENT)
    assert isinstance(dtmf, PlainEvent) and dtmf.headers["DTMF-Digit"] == "5"
    assert not any(n.startswith("variable_") for n in dtmf.headers)
    exe = parse_one(SIZED["exec_c"], Role.CLIENT)
    assert isinstance(exe, PlainEvent)
    assert exe.headers["Application-Response"] == "FILE PLAYED"
    assert exe.unique_id == "a1b2c3d4-0000-4000-8000-000000000001"
    status = parse_one(SIZED["status"], Role.CLIENT, Api("status"))
    assert isinstance(status, ApiResponse)
    assert status.body.splitlines()[3].endswith("last 5min 4 ")


def test_auth_and_bgapi_dialogues_byte_exact() -> None:
    client = EslConnection(Role.CLIENT)
    server = EslConnection(Role.SERVER)
    by_section: dict[str, list[tuple[str, bytes]]] = {}
    for section, speaker, data in DIALOGUES:
        by_section.setdefault(section, []).append((speaker, data))
    auth = by_section["auth"]
    assert server.send(AuthRequest()) == auth[0][1]
    client.receive_data(auth[0][1])
    assert client.next_event() == AuthRequest()
    assert client.send(Auth("ClueCon")) == auth[1][1]
    server.receive_data(auth[1][1])
    assert server.next_event() == Auth("ClueCon")
    assert server.send(CommandReply("+OK accepted")) == auth[2][1]
    client.receive_data(auth[2][1])
    assert client.next_event() == CommandReply("+OK accepted")
    assert client.auth_state is AuthState.ACCEPTED
    # the bad-password branch, on a fresh pair
    bad_client, bad_server = EslConnection(Role.CLIENT), EslConnection(Role.SERVER)
    bad_server.receive_data(bad_client.send(Auth("nope")))
    bad_server.next_event()
    assert bad_server.send(CommandReply("-ERR invalid")) == auth[3][1]
    notice = DisconnectNotice(
        body="Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    )
    assert bad_server.send(notice) == auth[4][1]
    bad_client.receive_data(auth[3][1] + auth[4][1])
    assert bad_client.next_event() == CommandReply("-ERR invalid")
    assert bad_client.auth_state is AuthState.REJECTED
    assert bad_client.next_event() == notice and bad_client.they_closed
    # bgapi with our own Job-UUID
    (c_speaker, c_bytes), (s_speaker, s_bytes) = by_section["bgapi"]
    assert (c_speaker, s_speaker) == ("C", "S")
    server.receive_data(c_bytes)
    cmd = server.next_event()
    assert isinstance(cmd, BgApi) and cmd.job_uuid == "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
    assert client.send(cmd) == c_bytes
    u = cmd.job_uuid
    reply = CommandReply(f"+OK Job-UUID: {u}", Headers([("Job-UUID", u)]))
    assert server.send(reply) == s_bytes
    client.receive_data(s_bytes)
    assert client.next_event() == reply


def test_linger_notices() -> None:
    linger, final = [
        d
        for s, _, d in DIALOGUES
        if s == "outbound" and (b"linger" in d or b"Content-Length: 67" in d)
    ][:2]
    conn = EslConnection(Role.CLIENT)
    conn.receive_data(linger + final)
    first = conn.next_event()
    assert isinstance(first, DisconnectNotice) and first.linger and first.body == ""
    assert not conn.they_closed
    second = conn.next_event()
    assert isinstance(second, DisconnectNotice) and not second.linger and conn.they_closed
    assert second.headers["Content-Disposition"] == "disconnect"
    assert serialise(first, Role.SERVER) == linger
    assert serialise(second, Role.SERVER) == final


CONNECT_REPLY = (
    b"Event-Name: CHANNEL_DATA\n"
    b"Core-UUID: 7f3c2a10-1111-4a6e-9d2f-0c9c1e7a0001\n"
    b"FreeSWITCH-IPv6: %3A%3A1\n"
    b"Channel-Username: 1000\n"
    b"Channel-State: CS_EXECUTE\n"
    b"Unique-ID: a1b2c3d4-0000-4000-8000-000000000001\n"
    b"Caller-Destination-Number: 15551230000\n"
    b"variable_sip_from_uri: 1000%40example.com\n"
    b"variable_mbs_note: caf%C3%A9\n"
    b"Content-Type: command/reply\n"
    b"Reply-Text: %2BOK%0A\n"
    b"Socket-Mode: async\n"
    b"Control: full\n\n"
)


def test_outbound_connect_reply() -> None:
    client = EslConnection(Role.CLIENT)
    assert client.send(Connect()) == b"connect\n\n"
    client.receive_data(CONNECT_REPLY + SIZED["answer"])
    reply = client.next_event()
    assert isinstance(reply, ConnectReply)
    assert reply.reply_text == "+OK\n"
    assert reply.unique_id == "a1b2c3d4-0000-4000-8000-000000000001"
    assert reply.headers["variable_sip_from_uri"] == "1000@example.com"
    assert reply.headers["variable_mbs_note"] == "café"
    assert reply.headers["Control"] == "full"
    assert isinstance(client.next_event(), PlainEvent)
    server = EslConnection(Role.SERVER)
    server.receive_data(b"connect\n\n")
    assert server.next_event() == Connect()
    assert server.send(reply) == CONNECT_REPLY
