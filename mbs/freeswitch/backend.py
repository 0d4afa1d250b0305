"""The ``esl`` telephony backend: ``mbs.runtime.telephony.Telephony`` over the ESL client.

Command mapping (docs/esl.md has the table):

- dial: ``bgapi originate {origination_uuid=U,ignore_early_media=true,originate_timeout=T,
  fire_asr_events=true,mbs_campaign=..,mbs_contact=..}sofia/gateway/GW/NUMBER &park()``;
  CHANNEL_PROGRESS* → RINGING, CHANNEL_ANSWER → answered, a hangup or ``-ERR CAUSE``
  before that → a CallStatus through ``status_for_cause``;
- after answer: ``detect_speech`` (the switch's recogniser), or, with an audio server,
  ``uuid_audio_fork U start ws://.../U mono 8k {metadata}`` (our streaming recogniser,
  audio_server.py), ``uuid_record`` when asked,
  and the ``amd`` app (first AMD layer, ``variable_amd_result``) plus the greeting
  heard meanwhile for the ``amd`` builtin (second layer);
- say/play: ``uuid_broadcast U {mbs_play_id=..}path aleg``, barge-in ``bgapi uuid_break U all``;
  transfer ``uuid_transfer``; hangup ``uuid_kill`` (esl_call.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mbs.freeswitch.audio_server import AudioForkServer
from mbs.freeswitch.client import (
    BackgroundJob,
    ClientConfig,
    CommandFailed,
    ConnectionLost,
    EslClient,
    events_of,
)
from mbs.freeswitch.esl import EslError, SwitchEvent
from mbs.freeswitch.esl_call import EslCall
from mbs.freeswitch.ids import new_uuid
from mbs.freeswitch.profile import SwitchProfile
from mbs.runtime.builtins.base import Amd
from mbs.runtime.telephony import CallStatus, DialResult, Heard, HeardKind

log = logging.getLogger(__name__)

EVENTS = events_of(
    [
        "BACKGROUND_JOB",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_ANSWER",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_EXECUTE_COMPLETE",
        "PLAYBACK_STOP",
        "DETECTED_SPEECH",
        "DTMF",
        "RECORD_START",
        "RECORD_STOP",
    ]
)

# Hang-up causes before answer -> call status (sofia_glue_sip_cause_to_freeswitch and
# switch_ivr_originate.c: timeout NO_ANSWER, 480 NO_USER_RESPONSE, 486/600 USER_BUSY,
# 403/603 CALL_REJECTED, 487 ORIGINATOR_CANCEL).
_CAUSE_STATUS: dict[str, CallStatus] = {
    "NO_ANSWER": CallStatus.NO_ANSWER,
    "NO_USER_RESPONSE": CallStatus.NO_ANSWER,
    "ALLOTTED_TIMEOUT": CallStatus.NO_ANSWER,
    "RECOVERY_ON_TIMER_EXPIRE": CallStatus.NO_ANSWER,
    "USER_BUSY": CallStatus.BUSY,
    "CALL_REJECTED": CallStatus.FAILED,
    "ORIGINATOR_CANCEL": CallStatus.CANCELLED,
    "NORMAL_CLEARING": CallStatus.NO_ANSWER,  # ended before answer: worth a retry
}


def status_for_cause(cause: str, answered: bool = False) -> CallStatus:
    """The call status a FreeSWITCH hang-up cause means (after answer: COMPLETED)."""
    if answered:
        return CallStatus.COMPLETED
    return _CAUSE_STATUS.get(cause.strip().upper(), CallStatus.FAILED)


_NEEDS_QUOTES = re.compile(r"[,{}' ]")


def _var(value: str) -> str:
    """A channel variable value safe inside ``{k=v,...}`` (FreeSWITCH quotes with '')."""
    if _NEEDS_QUOTES.search(value):
        return "'" + value.replace("'", "") + "'"
    return value


_SWITCH = SwitchProfile()  # the defaults `mbs freeswitch config` writes too


@dataclass
class EslBackendConfig:
    client: ClientConfig = field(default_factory=ClientConfig)
    gateway: str = _SWITCH.gateway
    endpoint: str = "sofia/gateway/{gateway}/{number}"
    originate_timeout_s: int = _SWITCH.originate_timeout
    caller_id_number: str = ""
    caller_id_name: str = ""
    variables: dict[str, str] = field(default_factory=dict)  # added to every originate
    asr_app_arg: str = _SWITCH.detect_speech  # detect_speech arguments; "" = no recogniser
    asr_resume: bool = True  # detect_speech resume after each result
    amd: bool = _SWITCH.amd  # run the `amd` app at answer
    amd_timeout_s: float = 8.0
    greeting_wait_s: float = 6.0  # how long to let a greeting finish for the AMD builtin
    # without the switch's AMD, how long the AMD builtin waits for a greeting to begin
    greeting_start_s: float = 2.0
    record: bool = False
    recordings_dir: str = "recordings"
    transfer_context: str = _SWITCH.context  # dialplan/mbs.xml's: where a number is bridged
    barge_in_min_chars: int = 3  # a partial result this long counts as speech
    utterance_grace_s: float = 8.0  # listen() waits this long for a sentence under way
    play_timeout_s: float = 300.0
    break_timeout_s: float = 2.0
    hangup_timeout_s: float = 5.0
    command_timeout_s: float = 30.0
    dial_margin_s: float = 30.0  # beyond originate_timeout before giving up on a dial
    lost_cause: str = "LOST_WHILE_DISCONNECTED"
    # the switch's media clock against ours: 1 for FreeSWITCH, the simulator's time_scale
    # for a simulator (a prompt of known length then lasts length / media_time_scale)
    media_time_scale: float = 1.0

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> EslBackendConfig:
        """From campaign/CLI settings: host, port, password, gateway, ... (unknown keys refused)."""
        client_keys = set(ClientConfig.__dataclass_fields__)
        own_keys = set(cls.__dataclass_fields__) - {"client"}
        unknown = set(settings) - client_keys - own_keys
        if unknown:
            raise ValueError(f"unknown esl backend setting(s): {', '.join(sorted(unknown))}")
        client = replace(ClientConfig(), **{k: v for k, v in settings.items() if k in client_keys})
        return replace(cls(client=client), **{k: v for k, v in settings.items() if k in own_keys})


class EslTelephony:
    """Dials through FreeSWITCH and hands back answered calls (``EslCall``)."""

    def __init__(
        self,
        config: EslBackendConfig | None = None,
        *,
        amd: Amd | None = None,
        client: EslClient | None = None,
        audio: AudioForkServer | None = None,
    ) -> None:
        self.config = config or EslBackendConfig()
        self.client = client or EslClient(self.config.client)
        self.amd = amd
        self.audio = audio  # the streaming STT's server: calls hear through the audio fork
        self.calls: dict[str, EslCall] = {}
        self.trace: Callable[[str, SwitchEvent], None] | None = None

    async def start(self) -> None:
        """Connect, subscribe, check the modules.

        Raises ``ConnectionLost`` (nothing listening, or the link broke during the
        handshake) or ``AuthenticationFailed`` (wrong password, refused by the ACL), each
        with the host, port and what to check; the client is closed again on failure.
        """
        if self.audio is not None:
            await self.audio.start()
        try:
            await self.client.connect()
        except BaseException:
            if self.audio is not None:
                await self.audio.stop()
            raise
        try:
            await self.client.subscribe(*EVENTS)
            self.client.add_reconnect_hook(self._reconcile)
            await self._check_modules()
        except BaseException:
            await self.client.close()
            if self.audio is not None:
                await self.audio.stop()
            raise

    async def _check_modules(self) -> None:
        """Running `amd` where mod_amd is not loaded hangs every call up (Invalid
        Application): ask the switch first (``module_exists``) and do without."""
        cfg = self.config
        if cfg.amd and await self._module_missing("mod_amd"):
            log.warning("mod_amd is not loaded on the switch: the switch-side AMD is off")
            cfg.amd = False
        if self.audio is not None:
            if await self._module_missing("mod_audio_fork"):
                log.warning("mod_audio_fork is not loaded on the switch: calls will hear nothing")
            return
        engine = cfg.asr_app_arg.split(" ", 1)[0]
        if engine and await self._module_missing(f"mod_{engine}"):
            log.warning(
                "mod_%s is not loaded on the switch: detect_speech will hear nothing", engine
            )

    async def _module_missing(self, module: str) -> bool:
        """True only when the switch says so (a switch without ``module_exists`` passes)."""
        return (await self.client.api(f"module_exists {module}")).strip() == "false"

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            await self._closed(call)
        self.calls.clear()
        await self.client.close()
        if self.audio is not None:
            await self.audio.stop()

    async def _reconcile(self) -> None:
        """After a reconnect, events may have been lost: ask the switch about each call
        (``uuid_dump``: still there? answered? hung up?) and forget the ended ones."""

        async def one(call: EslCall) -> None:
            if call.is_up:
                with contextlib.suppress(EslError):
                    await call.resync()
            if not call.is_up and call.answered.done():
                # its CHANNEL_HANGUP_COMPLETE may never come: stop following it here
                self.calls.pop(call.uuid, None)
                await self._closed(call)

        # pipelined on the one connection: a thousand calls take one round of replies
        await asyncio.gather(*(one(call) for call in list(self.calls.values())))

    def _originate_string(
        self, number: str, uuid: str, call_id: str, variables: Mapping[str, str]
    ) -> str:
        cfg = self.config
        pairs: dict[str, str] = {
            "origination_uuid": uuid,
            "ignore_early_media": "true",
            "originate_timeout": str(cfg.originate_timeout_s),
            "fire_asr_events": "true",
            "mbs_call": call_id,
        }
        if cfg.caller_id_number:
            pairs["origination_caller_id_number"] = cfg.caller_id_number
        if cfg.caller_id_name:
            pairs["origination_caller_id_name"] = cfg.caller_id_name
        pairs.update(cfg.variables)
        pairs.update({k: v for k, v in variables.items() if k != "mbs_recording"})
        inner = ",".join(f"{k}={_var(v)}" for k, v in pairs.items())
        endpoint = cfg.endpoint.format(gateway=cfg.gateway, number=number)
        return f"{{{inner}}}{endpoint} &park()"

    async def dial(
        self,
        number: str,
        *,
        call_id: str,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None] | None = None,
    ) -> DialResult:
        cfg = self.config
        uuid = new_uuid()
        call = EslCall(self.client, uuid, call_id, cfg, on_event=self._traced(uuid))
        self.calls[uuid] = call
        notify = on_status or (lambda status: None)
        originate = "originate " + self._originate_string(number, uuid, call_id, variables)
        job = asyncio.ensure_future(
            self.client.bgapi(
                originate,
                timeout_s=cfg.originate_timeout_s + cfg.dial_margin_s,
                on_accepted=lambda _: notify(CallStatus.CALLING),
            )
        )
        job.add_done_callback(lambda f: f.cancelled() or f.exception())  # read it, always
        call.originate = job
        ringing = asyncio.ensure_future(call.progress.wait())
        try:
            outcome = await self._await_answer(call, job, ringing, notify)
        except BaseException:
            await self._forget(call)
            raise
        finally:
            ringing.cancel()
        if outcome is not None:
            await self._forget(call)
            return outcome
        return await self._after_answer(call, variables)

    async def _await_answer(
        self,
        call: EslCall,
        job: asyncio.Future[BackgroundJob],
        ringing: asyncio.Future[Any],
        notify: Callable[[CallStatus], None],
    ) -> DialResult | None:
        """None once answered, else the failed dial's result."""
        cfg = self.config
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cfg.originate_timeout_s + cfg.dial_margin_s
        pending: set[asyncio.Future[Any]] = {call.answered, call.hung_up, job, ringing}
        while not call.answered.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                await call.hangup()
                return DialResult(CallStatus.FAILED, hangup_cause="DIAL_TIMEOUT")
            done, _ = await asyncio.wait(
                pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            if ringing in done:
                pending.discard(ringing)
                notify(CallStatus.RINGING)
            if call.hung_up.done() and not call.answered.done():
                cause = call.hung_up.result()
                return DialResult(
                    status_for_cause(cause), hangup_cause=cause, variables=dict(call.variables)
                )
            if job in done:
                pending.discard(job)
                failure = self._job_failure(job)
                if failure is not None:
                    return DialResult(status_for_cause(failure), hangup_cause=failure)
        return None

    @staticmethod
    def _job_failure(job: asyncio.Future[BackgroundJob]) -> str | None:
        """The cause when the originate job failed, None while it may still succeed."""
        exc = job.exception()
        if isinstance(exc, ConnectionLost | CommandFailed | TimeoutError):
            # whether the call exists is unknown; its events (after reconnect) will tell
            log.warning("originate job: %s", exc)
            return None if isinstance(exc, ConnectionLost | TimeoutError) else "ORIGINATE_REFUSED"
        if exc is not None:
            raise exc
        result = job.result()
        return None if result.ok else (result.result or "UNKNOWN")

    async def _after_answer(self, call: EslCall, variables: Mapping[str, str]) -> DialResult:
        try:
            return await self._setup_answered(call, variables)
        except EslError as exc:
            # A prospect who hangs up as they answer: the switch refuses apps on the
            # destroyed channel (-ERR invalid session id) before its HANGUP reaches us.
            # That is a hung-up call for the robot to see, not a technical failure.
            with contextlib.suppress(EslError):
                if not call.is_up or not await call.exists():
                    return DialResult(
                        CallStatus.IN_PROGRESS, call=call, variables=dict(call.variables)
                    )
            # The call is (or may be) up but could not be set up (the link kept
            # failing): end it and say so, rather than leave the dial unrecorded.
            log.warning("call %s: setup after answer failed: %s", call.uuid, exc)
            await call.hangup()
            await self._forget(call)
            return DialResult(
                CallStatus.FAILED, hangup_cause="SETUP_FAILED", variables=dict(call.variables)
            )

    async def _setup_answered(self, call: EslCall, variables: Mapping[str, str]) -> DialResult:
        cfg = self.config
        if self.audio is not None:
            self.audio.register(call.uuid, call)
            if not await call.api_ok(self.audio.fork_command(call.uuid, call.call_id)):
                call.failed("the switch refused uuid_audio_fork (is mod_audio_fork loaded?)")
        elif cfg.asr_app_arg:
            await call.execute("detect_speech", cfg.asr_app_arg, wait=False)
        recording = variables.get("mbs_recording")
        if recording is None and cfg.record:
            campaign = variables.get("mbs_campaign", "default")
            recording = str(Path(cfg.recordings_dir) / campaign / f"{call.call_id}.wav")
        if recording:
            await call.api_ok(f"uuid_record {call.uuid} start {recording}")
        machine = False
        switch_result: str | None = None
        if cfg.amd and call.is_up:
            done = await call.execute("amd", timeout_s=cfg.amd_timeout_s)
            if done is not None:
                switch_result = done.headers.get("variable_amd_result") or None
                call.variables["amd_cause"] = done.headers.get("variable_amd_cause", "")
            machine = await self._second_layer(call, switch_result)
        elif self.amd is not None and call.is_up:
            # no verdict from the switch (amd off, or mod_amd missing): the builtin decides
            # on the greeting alone, once one has begun (mod_amd's listening gave it time)
            await call.greeting_begun(cfg.greeting_start_s)
            machine = await self._second_layer(call, None)
        if not call.is_up:
            return DialResult(CallStatus.IN_PROGRESS, call=call, variables=dict(call.variables))
        return DialResult(
            CallStatus.IN_PROGRESS, call=call, machine=machine, variables=dict(call.variables)
        )

    async def _second_layer(self, call: EslCall, switch_result: str | None) -> bool:
        """Combine the switch's verdict with what the greeting said (the amd builtin).

        The greeting ("Allô ?", or a voicemail message) is consumed here; key presses stay
        queued for listen().
        """
        if call.speaking:  # let the greeting finish: its words decide
            loop = asyncio.get_running_loop()
            end = loop.time() + self.config.greeting_wait_s
            while call.speaking and call.is_up and loop.time() < end:
                await asyncio.sleep(0.02)
        heard = call.take_heard()
        words = [h for h in heard if h.kind is HeardKind.UTTERANCE]
        greeting = " ".join(h.text for h in words)
        greeting_ms = sum(h.duration_ms for h in words)
        if self.amd is not None:
            verdict = self.amd.classify(greeting, greeting_ms, switch_result)
            machine, reason = verdict.machine, verdict.reason
        else:
            machine, reason = switch_result == "MACHINE", f"the switch said {switch_result}"
        log.info("call %s: amd %s (%s)", call.uuid, "machine" if machine else "human", reason)
        for h in reversed([h for h in heard if h.kind is HeardKind.DTMF]):
            call.push_front(h)
        if machine:
            call.push_front(Heard(HeardKind.MACHINE, text=greeting, duration_ms=greeting_ms))
        return machine

    def _traced(self, uuid: str) -> Callable[[SwitchEvent], None]:
        def on_event(event: SwitchEvent) -> None:
            if self.trace is not None:
                self.trace(uuid, event)
            if event.name == "CHANNEL_HANGUP_COMPLETE":
                call = self.calls.pop(uuid, None)
                if call is not None:
                    asyncio.get_running_loop().call_soon(asyncio.ensure_future, self._closed(call))

        return on_event

    async def _closed(self, call: EslCall) -> None:
        if self.audio is not None:
            await self.audio.close(call.uuid)
        await call.close()

    async def _forget(self, call: EslCall) -> None:
        self.calls.pop(call.uuid, None)
        await self._closed(call)
