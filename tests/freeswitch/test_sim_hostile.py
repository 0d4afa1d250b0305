"""The simulator against hostile clients: an unauthenticated connection is closed at
its deadline whatever it sends, and buffered bytes are capped across connections.

Time is the simulator's own clock, sped up 10,000 times: 25 simulated seconds of auth
timeout pass in 2.5 ms, so nothing here waits in real time; assertions are on events
(the connection closed) and counters, never on durations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mbs.freeswitch.sim.server import Simulator

SCALE = 10_000.0


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(
        time_scale=SCALE,
        auth_timeout_s=25.0,
        heartbeat_s=100_000,
        preauth_max_bytes=4096,
        max_buffered_bytes=100_000,
    ) as s:
        yield s


async def connect(sim: Simulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    assert (await reader.readuntil(b"\n\n")).startswith(b"Content-Type: auth/request")
    return reader, writer


async def closed(reader: asyncio.StreamReader) -> bool:
    """Read until the simulator closes the connection (bounded: a hang fails the test)."""

    async def drain() -> None:
        try:
            while await reader.read(65536):
                pass
        except ConnectionResetError:  # closed with our unread bytes pending: a reset
            pass

    await asyncio.wait_for(drain(), timeout=60)
    return True


async def test_one_command_does_not_stop_the_auth_clock(sim: Simulator) -> None:
    reader, writer = await connect(sim)
    writer.write(b"api status\n\n")
    await writer.drain()
    assert await closed(reader)
    assert sim.refused["auth_timeout"] == 1
    writer.close()


async def test_a_drip_does_not_reset_the_auth_clock(sim: Simulator) -> None:
    reader, writer = await connect(sim)
    start = sim.clock.now()
    drips = 0
    eof = asyncio.ensure_future(closed(reader))
    while not eof.done() and drips < 5_000:  # the old simulator never closed it
        try:
            writer.write(b"a")
            await writer.drain()
        except ConnectionError:
            break
        drips += 1
        # a byte every 100 simulated seconds (10 ms of wall time): the deadline is
        # never under 5 s of wall time, and the drip stays under the pre-auth buffer
        await sim.clock.sleep(100.0)
    await eof
    assert sim.clock.now() - start >= 25.0
    assert sim.refused["auth_timeout"] == 1
    writer.close()


async def test_a_client_that_authenticates_in_time_stays(sim: Simulator) -> None:
    reader, writer = await connect(sim)
    writer.write(b"auth ClueCon\n\n")
    await writer.drain()
    assert b"+OK accepted" in await reader.readuntil(b"\n\n")
    await sim.clock.sleep(100.0)  # long past the auth deadline
    writer.write(b"api status\n\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\n\n"), timeout=60)
    assert b"api/response" in head
    assert sim.refused["auth_timeout"] == 0
    writer.close()


async def test_an_unauthenticated_client_cannot_buffer_much(sim: Simulator) -> None:
    reader, writer = await connect(sim)
    writer.write(b"auth " + b"x" * 10_000)  # no end of command: it would sit in memory
    await writer.drain()
    assert await closed(reader)
    assert sim.refused["preauth_size"] == 1
    assert sim.buffered_total == 0
    writer.close()


async def test_buffered_bytes_are_capped_across_connections(sim: Simulator) -> None:
    clients = []
    for _ in range(2):
        reader, writer = await connect(sim)
        writer.write(b"auth ClueCon\n\n")
        await writer.drain()
        await reader.readuntil(b"\n\n")
        clients.append((reader, writer))
    # each sends 45 KB of a command that never ends: 90 KB held, under the 100 KB cap
    for _, writer in clients:
        writer.write(b"api " + b"x" * 45_000)
        await writer.drain()
    while sim.buffered_total < 90_000:
        await asyncio.sleep(0)
    reader, writer = await connect(sim)
    writer.write(b"auth ClueCon\n\n")
    await writer.drain()
    await reader.readuntil(b"\n\n")
    writer.write(b"api " + b"y" * 20_000)  # would take the total past the cap
    await writer.drain()
    assert await closed(reader)
    assert sim.refused["memory"] == 1
    assert sim.buffered_total <= sim.max_buffered_bytes
    for _, w in clients:
        w.close()
    writer.close()
    while sim.buffered_total:  # released as the connections close
        await asyncio.sleep(0)
