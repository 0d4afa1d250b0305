"""The ``sim`` telephony backend: the ESL simulator in-process, reached over real TCP.

The campaign talks to the simulator exactly as it would to FreeSWITCH: the same
``EslTelephony`` and ``EslClient`` code, the same bytes on a loopback socket. Only the
clock differs: the simulator runs ``time_scale`` times faster than the wall, so the
call's own waits (the prospect's silence timeout) are shortened by the same factor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from mbs.freeswitch.audio_server import AudioForkServer
from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
from mbs.freeswitch.client import ClientConfig
from mbs.freeswitch.sim.personas import Persona, PersonaKind, persona_kind, scripts_for
from mbs.freeswitch.sim.server import Simulator
from mbs.program import Program
from mbs.runtime.builtins.base import Amd
from mbs.runtime.telephony import Call, CallStatus, DialResult, Heard, PlayOutcome


def persona_mix(mix: Mapping[str, float] | None) -> dict[PersonaKind, float] | None:
    if not mix:
        return None
    out: dict[PersonaKind, float] = {}
    for name, weight in mix.items():
        kind = persona_kind(name)
        out[kind] = out.get(kind, 0.0) + float(weight)
    return out


class _ScaledCall:
    """A call whose listen timeouts are in simulated seconds."""

    def __init__(self, call: Call, scale: float) -> None:
        self._call = call
        self._scale = scale

    @property
    def call_id(self) -> str:
        return self._call.call_id

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        return await self._call.say(text, audio, barge_in=barge_in)

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        return await self._call.play(path, barge_in=barge_in)

    async def listen(self, timeout_s: float) -> Heard:
        return await self._call.listen(timeout_s / self._scale)

    async def transfer(self, destination: str) -> bool:
        return await self._call.transfer(destination)

    async def hangup(self) -> None:
        await self._call.hangup()


class SimTelephony:
    """Starts a :class:`Simulator` on loopback and dials through it with the ESL backend."""

    def __init__(
        self,
        *,
        seed: int = 0,
        time_scale: float = 1.0,
        personas: Mapping[str, float] | None = None,
        record: bool = False,
        recordings_dir: str = "recordings",
        amd: Amd | None = None,
        originate_timeout_s: int = 30,
        pinned: Mapping[str, Persona] | None = None,
        program: Program | None = None,
        audio: AudioForkServer | None = None,
        voice: str = "fr",
    ) -> None:
        self.time_scale = time_scale
        self.simulator = Simulator(
            seed=seed,
            time_scale=time_scale,
            personas=persona_mix(personas),
            pinned=pinned,  # number -> persona: who answers, whatever the mix (tests)
            # callers who answer with the scenario's own words
            scripts=scripts_for(program, seed=seed) if program is not None else None,
            # plays only what a real switch could: an absolute, readable file or one of
            # its built-in streams; anything else fails with FILE NOT FOUND
            strict_files=True,
            voice=voice,
        )
        self.audio = audio  # with it, calls hear through the audio fork, not detect_speech
        self.simulator.keep_history = False  # a long campaign must not hoard events
        self._amd = amd
        self._record = record
        self._recordings_dir = recordings_dir
        self._originate_timeout_s = originate_timeout_s
        self.backend: EslTelephony | None = None

    async def start(self) -> None:
        await self.simulator.start()
        scale = self.time_scale
        config = EslBackendConfig(
            client=ClientConfig(port=self.simulator.port, password=self.simulator.password),
            gateway="sim",
            originate_timeout_s=self._originate_timeout_s,
            record=self._record,
            recordings_dir=self._recordings_dir,
            # The backend's own waits are wall time; shrink them with the clock.
            amd_timeout_s=max(0.05, 8.0 / scale),
            greeting_wait_s=max(0.05, 6.0 / scale),
            greeting_start_s=max(0.05, 2.0 / scale),
            utterance_grace_s=max(0.1, 8.0 / scale),
            break_timeout_s=max(0.05, 2.0 / scale),
            # A prompt whose PLAYBACK_STOP was lost counts as played after its length
            # on the simulator's clock.
            media_time_scale=scale,
        )
        self.backend = EslTelephony(config, amd=self._amd, audio=self.audio)
        try:
            await self.backend.start()
        except BaseException:
            await self.simulator.stop()
            raise

    async def stop(self) -> None:
        if self.backend is not None:
            await self.backend.stop()
        await self.simulator.stop()

    async def dial(
        self,
        number: str,
        *,
        call_id: str,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None] | None = None,
    ) -> DialResult:
        if self.backend is None:
            raise RuntimeError("SimTelephony.start() was not called")
        result = await self.backend.dial(
            number, call_id=call_id, variables=variables, on_status=on_status
        )
        if result.call is None or self.time_scale == 1.0:
            return result
        return DialResult(
            status=result.status,
            call=_ScaledCall(result.call, self.time_scale),
            hangup_cause=result.hangup_cause,
            machine=result.machine,
            variables=result.variables,
        )
