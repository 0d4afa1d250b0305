"""Builtin costs, side by side: TTS cache miss vs hit, resampling, AMD, NLU fallback.

    .venv/bin/python bench/bench_builtins.py [--lines 20]

1. tts.espeak: synthesising N distinct lines (espeak-ng + resampling to 8 kHz), then
   the same N lines again (cache hits). The ratio is what the cache saves per line.
2. Resampling one second of 22050 Hz audio to 8 and 16 kHz: the pure-Python filter,
   and sox when it is installed.
3. amd.default on a voicemail greeting and on a human one (per classification).
4. nlu.ollama with no server (connection refused, its fallback nlu.hybrid decides) vs
   nlu.hybrid alone: what a down model costs each utterance.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "builtins"))

from conftest import make_program  # noqa: E402

from mbs.audio.pcm import read_wav, resample, write_wav  # noqa: E402
from mbs.runtime.builtins import registry  # noqa: E402

LINE = "Je vous appelle au sujet de votre épargne, ligne numéro {}. Avez-vous deux minutes ?"


def per(seconds: float, n: int) -> str:
    each = seconds / n
    return f"{each * 1e3:8.3f} ms" if each >= 1e-3 else f"{each * 1e6:8.1f} µs"


async def bench_tts(lines: int) -> None:
    program = make_program()
    with tempfile.TemporaryDirectory() as tmp:
        tts = registry.create("tts", "espeak", program, {"cache_dir": tmp, "resampler": "python"})
        texts = [LINE.format(i) for i in range(lines)]
        t0 = time.perf_counter()
        for text in texts:
            await tts.synthesize(text)  # type: ignore[attr-defined]
        miss = time.perf_counter() - t0
        t0 = time.perf_counter()
        for text in texts:
            await tts.synthesize(text)  # type: ignore[attr-defined]
        hit = time.perf_counter() - t0
    print(
        f"tts.espeak  miss {per(miss, lines)}/line   hit {per(hit, lines)}/line   ratio {miss / hit:,.0f}x"
    )


def bench_resample() -> None:
    second = array(
        "h", (round(8000 * math.sin(2 * math.pi * 440 * i / 22050)) for i in range(22050))
    )
    for rate in (8000, 16000):
        t0 = time.perf_counter()
        for _ in range(5):
            resample(second, 22050, rate)
        python = (time.perf_counter() - t0) / 5
        row = f"resample 1 s -> {rate:5d} Hz   python {python * 1e3:7.1f} ms"
        sox = shutil.which("sox")
        if sox:
            with tempfile.TemporaryDirectory() as tmp:
                src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
                write_wav(src, second, 22050)
                t0 = time.perf_counter()
                for _ in range(5):
                    subprocess.run([sox, "-q", str(src), "-r", str(rate), str(dst)], check=True)
                sox_s = (time.perf_counter() - t0) / 5
                read_wav(dst)
            row += f"   sox (process) {sox_s * 1e3:7.1f} ms   ratio {python / sox_s:.1f}x"
        else:
            row += "   sox: not installed"
        print(row)


def bench_amd() -> None:
    amd = registry.create("amd", "default", make_program(), {})
    cases = {
        "voicemail": (
            "bonjour vous etes bien sur la messagerie de jean dupont laissez un message",
            4200,
        ),
        "human": ("oui allo j'ecoute", 900),
    }
    row = "amd.default"
    for name, (greeting, ms) in cases.items():
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            amd.classify(greeting, ms, "NOTSURE")  # type: ignore[attr-defined]
        row += f"   {name} {per(time.perf_counter() - t0, n)}"
    print(row)


async def bench_nlu_fallback() -> None:
    program = make_program()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    alone = registry.create("nlu", "hybrid", program, {})
    ollama = registry.create("nlu", "ollama", program, {"host": f"http://127.0.0.1:{port}"})
    n = 200
    await alone.classify("oui d'accord")  # type: ignore[attr-defined]  # loads the encoder
    t0 = time.perf_counter()
    for _ in range(n):
        await alone.classify("oui d'accord pour mardi")  # type: ignore[attr-defined]
    direct = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n):
        await ollama.classify("oui d'accord pour mardi")  # type: ignore[attr-defined]
    down = time.perf_counter() - t0
    print(
        f"nlu         hybrid {per(direct, n)}   ollama down -> hybrid {per(down, n)}"
        f"   ratio {down / direct:,.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench_tts(args.lines))
    bench_resample()
    bench_amd()
    asyncio.run(bench_nlu_fallback())


if __name__ == "__main__":
    main()
