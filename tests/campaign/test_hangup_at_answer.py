"""A prospect who hangs up the instant they answer: a hung-up call, not a technical error.

Regression: the backend started the ``amd`` app (and ``detect_speech``) on a channel the
switch had already destroyed; ``sendmsg`` answered ``-ERR invalid session id`` and the
dial raised, so the campaign recorded FAILED / TECHNICAL_ERROR for a plain hang-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
from mbs.freeswitch.client import ClientConfig
from mbs.freeswitch.sim.personas import Persona, PersonaKind
from mbs.freeswitch.sim.server import Simulator
from mbs.runtime.telephony import CallStatus, HeardKind

pytestmark = pytest.mark.virtual_time

# Answers after one ring, says nothing, and is gone at once (silence limit 0).
GONE = Persona(PersonaKind.SILENT, rings=1, hangup_after_silence_s=0.0)


async def test_hangup_right_after_answer_is_a_hung_up_call(tmp_path: Path) -> None:
    async with Simulator(time_scale=50.0, pinned={"0600000001": GONE}, seed=1) as sim:
        config = EslBackendConfig(
            client=ClientConfig(port=sim.port), gateway="gw", recordings_dir=str(tmp_path)
        )
        tel = EslTelephony(config)
        await tel.start()
        try:
            for n in range(5):  # the race is the switch's: try it a few times
                result = await tel.dial("0600000001", call_id=f"c{n}", variables={})
                assert result.status is CallStatus.IN_PROGRESS
                assert result.call is not None
                heard = await result.call.listen(1.0)
                assert heard.kind is HeardKind.HANGUP
                await result.call.hangup()
        finally:
            await tel.stop()
