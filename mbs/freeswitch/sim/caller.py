"""The caller's side of a simulated call: what the persona does, and when.

``Caller`` reacts to the robot's prompts as the persona says: it speaks after a prompt
(or over it), presses keys, goes quiet, hangs up mid-prompt or after a long silence, and
beeps after a voicemail greeting. It acts only through its call (call.py): waits on the
simulated clock, fires events through the channel, asks for the hangup.

How speech reaches the robot (one documented mechanism each, as on a real switch):

- ``detect_speech`` running and the ``fire_asr_events`` channel variable set when it
  started: DETECTED_SPEECH ``begin-speaking`` when the caller starts, then
  ``detected-speech`` with the text as body when they stop (mod_vosk's plain result);
- a ``uuid_audio_fork`` to a websocket: the line, spoken by espeak-ng, in the L16 frames
  (audiofork.py); transcriptions are the server's to send back;
- else a ``sim://`` fork: CUSTOM ``mod_audio_fork::transcription`` with a JSON body
  ``{"text": ..., "final": true, "confidence": ...}``;
- else nobody is listening and the words are lost, as they would be.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from mbs.freeswitch.sim.audiofork import speak_pcm
from mbs.freeswitch.sim.personas import PersonaKind, Turn
from mbs.freeswitch.sim.recording import RATE as RECORD_RATE

if TYPE_CHECKING:
    from mbs.freeswitch.sim.call import Playback, SimCall


class Caller:
    def __init__(self, call: SimCall) -> None:
        self.call = call
        self.turn = 0  # the next scripted turn
        self.beeped = False
        self.digits_heard: list[str] = []
        self._speaking = False
        self._silence: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.call.persona.opener:  # "Allô ?", or the voicemail greeting, right at answer
            await self._say(Turn(text=self.call.persona.opener, pause_s=0.3))
            if self.call.persona.kind is PersonaKind.MACHINE and await self.call.wait(0.4):
                self._beep()
        else:
            self._arm_silence()

    def _beep(self) -> None:
        """The voicemail beep after the greeting; mod_avmd reports it if it runs."""
        if not self.call.avmd_since_us or self.beeped:
            return
        self.beeped = True
        self.call.channel.set_var("avmd_detect", "TRUE")
        facts = [
            ("Beep-Status", "DETECTED"),
            ("Frequency", "1000.000000"),
            ("Frequency-variance", "0.000031"),
            ("Amplitude", "0.002573"),
            ("Amplitude-variance", "0.000002"),
            ("Detection-time", str(self.call.now_us() - self.call.avmd_since_us)),
            ("Detector-resolution", "0"),
            ("Detector-offset", "0"),
            ("Detector-index", "0"),
        ]
        self.call.emit(self.call.channel.avmd("avmd::beep", facts))

    def prompt_started(self, play: Playback) -> None:
        if self.call.transferred:
            return
        p = self.call.persona
        if self._silence is not None:
            self._silence.cancel()
            self._silence = None
        if p.hangup_on_prompt == self.call.prompts:
            self.call.spawn(self._hangup_during(play), self.call.persona_tasks)
            return
        if self.turn < len(p.turns):
            turn = p.turns[self.turn]
            if turn.barge_in_s is not None and not self._speaking:
                self.turn += 1
                self.call.spawn(self._say(turn, delay=turn.barge_in_s), self.call.persona_tasks)

    def prompt_ended(self) -> None:
        if (
            self.call.transferred
            or self._speaking
            or self.call.playing is not None
            or not self.call.queue_empty
        ):
            return
        p = self.call.persona
        if p.kind in (PersonaKind.SILENT, PersonaKind.MACHINE):
            self._arm_silence()
            return
        if self.turn < len(p.turns):
            turn = p.turns[self.turn]
            self.turn += 1
            self.call.spawn(
                self._say(turn, delay=turn.pause_s, after_prompt=True), self.call.persona_tasks
            )
        else:
            self._arm_silence()

    def _arm_silence(self) -> None:
        limit = self.call.persona.hangup_after_silence_s
        if limit is None:
            return
        if self._silence is not None:
            self._silence.cancel()
        self._silence = self.call.spawn(self.give_up(limit), self.call.persona_tasks)

    async def give_up(self, after: float) -> None:
        if await self.call.wait(after):
            self.call.request_hangup("NORMAL_CLEARING", disposition="recv_bye")

    async def _hangup_during(self, play: Playback) -> None:
        if (
            await self.call.wait(self.call.persona.hangup_into_prompt_s)
            and not play.stopped.is_set()
        ):
            self.call.request_hangup("NORMAL_CLEARING", disposition="recv_bye")

    async def _say(
        self, turn: Turn, delay: float | None = None, after_prompt: bool = False
    ) -> None:
        if not await self.call.wait(turn.pause_s if delay is None else delay):
            return
        if after_prompt and self.call.playing is not None:  # the robot spoke again first: wait
            self.turn -= 1
            return
        self._speaking = True
        try:
            if turn.digits:
                await self._press(turn.digits)
            else:
                await self._speak(turn)
        finally:
            self._speaking = False
        if self.call.up and self.call.playing is None:
            self._arm_silence()

    async def _record(self, text: str, at: float) -> None:
        samples = await speak_pcm(text, RECORD_RATE, self.call.voice)
        self.call.record_caller(samples, RECORD_RATE, at)

    async def _press(self, digits: str) -> None:
        terminators = self.call.channel.variables.get("playback_terminators", "*")
        for digit in digits:
            self.digits_heard.append(digit)
            self.call.emit(self.call.channel.dtmf(digit))
            if self.call.playing is not None and terminators != "none" and digit in terminators:
                self.call.channel.set_var("playback_terminator_used", digit)
                self.call.playing.stop("break")
            if not await self.call.wait(0.25):
                return

    async def _speak(self, turn: Turn) -> None:
        ch = self.call.channel
        fork = self.call.fork
        speech_s = turn.speech_s
        at = self.call.clock.now()
        if fork is not None and not fork.simulated:  # the voice itself goes to the websocket
            samples = await speak_pcm(turn.text, fork.rate, self.call.voice)
            fork.feed(samples)
            self.call.record_caller(samples, fork.rate, at)
            speech_s = len(samples) / fork.rate
        elif self.call.recorders:  # only the recording needs the sound: made aside
            self.call.spawn(self._record(turn.text, at), self.call.persona_tasks)
        if self.call.asr_active and self.call.asr_reaches_esl:
            self.call.emit(ch.speech("begin-speaking"))
        if not await self.call.wait(speech_s):
            return
        if self.call.asr_active and self.call.asr_reaches_esl:
            self.call.emit(ch.speech("detected-speech", turn.text))
        elif self.call.fork_active:  # a sim:// fork: the simulator plays the transcriber
            body = json.dumps(
                {"text": turn.text, "final": True, "confidence": turn.confidence},
                ensure_ascii=False,
            )
            self.call.emit(ch.custom("mod_audio_fork::transcription", body))
