"""Bad audio forks: each ends its own call's listening with a one-line cause; the
others go on.

The server's checks are exercised with raw WebSocket peers on loopback (garbage,
a wrong rate, nothing at all, no connection, a peer that never closes), next to a
healthy fork whose caller is still heard. Then a whole call over the simulator whose
fork was started at the wrong rate ends as TECHNICAL_ERROR with that cause, while the
calls around it are heard and routed.

Time is the test's: the server's watchdog runs on a :class:`HandTimer`, so "no
connection in time" and "no audio for a while" happen when the test moves the clock,
after everything else has been checked, whatever this machine's speed.
"""

from __future__ import annotations

import asyncio
import json
from array import array

import pytest
from audio_rig import AGREE, GRAMMAR, REFUSE, ko_program, korean_model
from test_audio_fork import run_calls
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from mbs.audio.pcm import samples_to_pcm
from mbs.freeswitch.audio_server import SUBPROTOCOL, AudioForkServer, AudioServerConfig
from mbs.freeswitch.sim.audiofork import speak_pcm
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import SpeechUpdate


@pytest.fixture(scope="module")
def vosk_stt() -> object:
    return registry.create(
        "stt", "vosk", ko_program(), {"model": str(korean_model()), "grammar": GRAMMAR}
    )


class HandTimer:
    """The watchdog's clock, moved by the test: ``advance()`` makes every wait pending
    at that moment time out (the events they wait on still end them first)."""

    def __init__(self) -> None:
        self._tick = asyncio.Event()

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        tick = self._tick
        waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(tick.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return event.is_set()

    def advance(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()


class Listener:
    def __init__(self) -> None:
        self.updates: list[SpeechUpdate] = []
        self.cause = ""
        self.final = asyncio.Event()
        self.failure = asyncio.Event()

    def heard(self, update: SpeechUpdate) -> None:
        self.updates.append(update)
        if update.kind == "final":
            self.final.set()

    def failed(self, cause: str) -> None:
        self.cause = cause
        self.failure.set()


def meta(uuid: str, rate: int = 8000) -> str:
    return json.dumps({"uuid": uuid, "call": uuid, "rate": rate})


async def healthy(server: AudioForkServer, uuid: str, pcm: bytes) -> None:
    """A well-behaved fork: metadata, then a line of speech and silence until heard."""
    listener = server.sessions[uuid].listener
    assert isinstance(listener, Listener)
    async with connect(f"{server.base_url}/{uuid}", subprotocols=[SUBPROTOCOL]) as ws:
        await ws.send(meta(uuid))
        for offset in range(0, len(pcm), 320):
            await ws.send(pcm[offset : offset + 320])
        while not listener.final.is_set():  # the line noise goes on until it is heard
            await ws.send(bytes(320))
            await asyncio.sleep(0)


async def test_each_bad_fork_fails_its_own_call_only(vosk_stt: object) -> None:
    speech = await speak_pcm(AGREE[0], 8000, "ko")  # made before any fork's clock starts
    pcm = samples_to_pcm(array("h", bytes(8000)) + speech + array("h", bytes(16000)))
    timer = HandTimer()
    server = AudioForkServer(
        vosk_stt,  # type: ignore[arg-type]
        AudioServerConfig(connect_s=2.0, idle_s=3.0),
        timer=timer,
    )
    await server.start()
    names = ["good", "binary", "notjson", "odd", "rate", "other", "quiet", "absent"]
    listeners = {name: Listener() for name in names}
    for name, listener in listeners.items():
        server.register(name, listener)
    url = server.base_url
    try:
        good = asyncio.ensure_future(healthy(server, "good", pcm))
        async with (
            connect(f"{url}/binary", subprotocols=[SUBPROTOCOL]) as binary,
            connect(f"{url}/notjson", subprotocols=[SUBPROTOCOL]) as notjson,
            connect(f"{url}/odd", subprotocols=[SUBPROTOCOL]) as odd,
            connect(f"{url}/rate", subprotocols=[SUBPROTOCOL]) as rate,
            connect(f"{url}/other", subprotocols=[SUBPROTOCOL]) as other,
            connect(f"{url}/quiet", subprotocols=[SUBPROTOCOL]) as quiet,
        ):
            await binary.send(b"\x00\x01" * 160)
            await notjson.send("uuid=odd; rate=8000")
            await odd.send(meta("odd"))
            await odd.send(b"\x00" * 321)
            await rate.send(meta("rate", 16000))
            await other.send(meta("someone-else"))
            await quiet.send(meta("quiet"))  # then nothing, never closing
            bad_input = names[1:6]
            await asyncio.wait_for(
                asyncio.gather(*(listeners[n].failure.wait() for n in bad_input)), 30
            )
            await asyncio.wait_for(good, 60)  # heard while the others failed
            await server.close("good")  # its call ends, as the backend does at hangup
            assert not listeners["quiet"].failure.is_set()
            assert not listeners["absent"].failure.is_set()
            timer.advance()  # "absent" never connected; "quiet" has sent no audio since
            await asyncio.wait_for(
                asyncio.gather(
                    listeners["absent"].failure.wait(), listeners["quiet"].failure.wait()
                ),
                30,
            )
            for ws in (binary, notjson, odd, rate, other, quiet):  # closed by the server
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 10)
    finally:
        await server.stop()
    causes = {name: listeners[name].cause for name in names}
    assert causes == {
        "good": "",
        "binary": "the audio fork sent audio before its metadata",
        "notjson": "the audio fork's metadata is not JSON: 'uuid=odd; rate=8000'",
        "odd": "the audio fork sent 321 bytes: not 16-bit PCM",
        "rate": "the audio fork streams at 16000 Hz, the call listens at 8000 Hz",
        "other": "the audio fork's metadata names another call: 'someone-else'",
        "quiet": "the audio fork sent no audio for 3 s",
        "absent": "the audio fork did not connect within 2 s",
    }
    kinds = [u.kind for u in listeners["good"].updates]
    assert kinds[0] == "start" and kinds[-1] == "final", kinds
    assert listeners["good"].updates[-1].text == AGREE[0]


async def test_an_unknown_call_or_a_second_connection_is_refused(vosk_stt: object) -> None:
    server = AudioForkServer(vosk_stt, AudioServerConfig(connect_s=30))  # type: ignore[arg-type]
    await server.start()
    listener = Listener()
    server.register("known", listener)
    try:
        async with connect(f"{server.base_url}/stranger", subprotocols=[SUBPROTOCOL]) as ws:
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), 10)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        async with connect(f"{server.base_url}/known", subprotocols=[SUBPROTOCOL]) as first:
            await first.send(meta("known"))
            async with connect(f"{server.base_url}/known", subprotocols=[SUBPROTOCOL]) as second:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(second.recv(), 10)
            await first.send(bytes(320))
            assert listener.cause == ""  # the intruders did not break the call's own fork
            await server.close("known")  # the call ended: we close, whatever the peer does
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(first.recv(), 10)
        assert "known" not in server.sessions
    finally:
        await server.stop()


class WrongRateFor(AudioForkServer):
    """Starts one call's fork at 16 kHz while the server listens at 8 kHz (a switch
    misconfigured for that call): the real simulator fork then streams at 16 kHz."""

    victim = "07000000001"

    def fork_command(self, uuid: str, call_id: str) -> str:
        command = super().fork_command(uuid, call_id)
        if call_id == f"c{self.victim}":
            command = command.replace(" 8k ", " 16k ").replace('"rate":8000', '"rate":16000')
        return command


async def test_a_call_whose_fork_is_wrong_ends_with_its_cause(vosk_stt: object) -> None:
    lines = {"07000000000": AGREE[0], "07000000001": AGREE[0], "07000000002": REFUSE[0]}
    got = await asyncio.wait_for(run_calls(vosk_stt, lines, server_class=WrongRateFor), 120)
    assert got["07000000000"].result == "QUALIFIED"
    assert got["07000000002"].result == "NOT_INTERESTED"
    victim = got[WrongRateFor.victim]
    assert victim.result == "TECHNICAL_ERROR" and victim.heard == []
    cause = "the audio fork streams at 16000 Hz, the call listens at 8000 Hz"
    assert victim.call is not None and victim.call.audio_failure == cause
    assert victim.error is not None and f"the call's audio stream failed: {cause}" in victim.error


class BrokenStream:
    """A recogniser with a bug: it fails on the first audio it is fed."""

    decoding = False

    def feed(self, pcm: bytes) -> list[SpeechUpdate]:
        raise RuntimeError("decoder state corrupted")

    def close(self) -> list[SpeechUpdate]:
        return []


class BrokenStt:
    def open_stream(self, sample_rate: int) -> BrokenStream:
        return BrokenStream()


async def test_a_recogniser_that_fails_ends_its_call_with_the_reason() -> None:
    server = AudioForkServer(BrokenStt(), AudioServerConfig(connect_s=30, idle_s=30))
    await server.start()
    listener = Listener()
    server.register("c1", listener)
    try:
        async with connect(f"{server.base_url}/c1", subprotocols=[SUBPROTOCOL]) as ws:
            await ws.send(meta("c1"))
            for _ in range(2):  # 40 ms: the server's first batch for the recogniser
                await ws.send(bytes(320))
            await asyncio.wait_for(listener.failure.wait(), 30)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
    finally:
        await server.stop()
    assert listener.cause == "the recogniser failed: decoder state corrupted"
