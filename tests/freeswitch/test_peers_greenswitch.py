"""greenswitch (gevent ESL client) against the simulator, in a subprocess.

gevent monkeypatches the standard library, so the peer runs in its own interpreter and
prints what it saw as JSON; the simulator serves from the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap

import pytest

from mbs.freeswitch.sim import Persona, PersonaKind, Simulator, Turn

pytest.importorskip("greenswitch", reason="greenswitch is a dev dependency")

PEER = textwrap.dedent(
    """
    import json, sys, time
    from gevent import monkey; monkey.patch_all()
    import gevent, greenswitch

    port, uuid, number = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    out = {}
    seen = []
    def on_event(event):
        seen.append(dict(event.headers))
    fs = greenswitch.InboundESL(host="127.0.0.1", port=port, password="ClueCon")
    fs.connect()
    out["connected"] = fs.connected
    out["status"] = fs.send("api status").data
    for name in ("BACKGROUND_JOB", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"):
        fs.register_handle(name, on_event)
    out["event_reply"] = fs.send("event plain BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE").data
    reply = fs.send(
        "bgapi originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=30}"
        "sofia/gateway/gw1/%s &park()" % (uuid, number)
    )
    out["bgapi_reply"] = reply.data
    out["job_uuid"] = reply.headers.get("Job-UUID")
    def wait(name):
        end = time.time() + 15
        while time.time() < end:
            for e in seen:
                if e.get("Event-Name") == name:
                    return e
            gevent.sleep(0.02)
        return None
    answer = wait("CHANNEL_ANSWER")
    out["answer"] = answer and {k: answer.get(k) for k in ("Unique-ID", "Answer-State", "Channel-State")}
    job = wait("BACKGROUND_JOB")
    out["job"] = job and {k: job.get(k) for k in ("Job-UUID", "Job-Command")}
    out["kill"] = fs.send("api uuid_kill %s" % uuid).data
    hupc = wait("CHANNEL_HANGUP_COMPLETE")
    out["hupc"] = hupc and {k: hupc.get(k) for k in ("Unique-ID", "Hangup-Cause", "Answer-State", "variable_hangup_cause_q850")}
    out["unknown"] = fs.send("api frobnicate").data
    fs.stop()
    print(json.dumps(out))
    """
)


async def test_greenswitch_inbound_session():
    # never gives up on silence: the peer's thread, not a timer, ends the call
    caller = Persona(PersonaKind.HUMAN, rings=1, turns=(Turn("Oui."),), hangup_after_silence_s=None)
    async with Simulator(time_scale=20, pinned={"0612345678": caller}) as sim:
        uuid = "d1b2c3d4-0000-4000-8000-00000000e5e4"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PEER,
            str(sim.port),
            uuid,
            "0612345678",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    assert out["connected"] is True
    assert out["status"].startswith("UP ")
    assert "FreeSWITCH (Version 1.10.12-release 64bit) is ready" in out["status"]
    assert out["event_reply"] == "+OK event listener enabled plain"
    assert out["bgapi_reply"] == f"+OK Job-UUID: {out['job_uuid']}"
    assert out["answer"] == {
        "Unique-ID": uuid,
        "Answer-State": "answered",
        "Channel-State": "CS_CONSUME_MEDIA",
    }
    assert out["job"] == {"Job-UUID": out["job_uuid"], "Job-Command": "originate"}
    assert out["kill"] == "+OK\n"
    assert out["hupc"] == {
        "Unique-ID": uuid,
        "Hangup-Cause": "NORMAL_CLEARING",
        "Answer-State": "hangup",
        "variable_hangup_cause_q850": "16",
    }
    assert out["unknown"] == "-ERR frobnicate Command not found!\n"
