"""Everything ``mbs run --campaign`` wires together, as a library (the CLI is a thin shell).

Given a loaded campaign file and a compiled program: enrol the contacts, build the
builtins and the telephony backend the file names, pick the clock (simulated for
``sim``, the wall for ``esl``) and run the :class:`~mbs.campaign.executor.Executor`.
This is the campaign side's composition root: the only place that builds a telephony
backend from ``mbs.freeswitch`` (imported when a campaign needs it, so commands that
never dial do not load the ESL stack).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from mbs.campaign.clock import Clock, ScaledClock, WallClock
from mbs.campaign.config import SWITCH_STT, CampaignFile
from mbs.campaign.contacts import ImportResult, read_contacts, save_contacts
from mbs.campaign.executor import Executor, ExecutorSettings, Progress
from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallTotals, CampaignNotFound, CampaignStats, Store
from mbs.program import Program, Say
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import Amd, BuiltinError, Llm, Nlu, StreamingStt, Tts
from mbs.runtime.telephony import Telephony
from mbs.runtime.vm import Vm

# A Paris number: where a simulated campaign's clock starts when nothing else says.
_REFERENCE_NUMBER = "+33140000000"

DEFAULT_BUILTINS = {
    "stt": SWITCH_STT,
    "nlu": "fuzzy",
    "llm": "none",
    "tts": "none",
    "amd": "default",
}


@dataclass
class Enrolment:
    imported: ImportResult | None
    added: int


def enrol_contacts(store: Store, campaign: CampaignFile, now: datetime) -> Enrolment:
    """Import the campaign's contact file into the store and enrol it (idempotent)."""
    path = campaign.contacts_path
    if path is None:
        return Enrolment(None, 0)
    result = read_contacts(path, region=campaign.settings.region)
    if result.error:
        return Enrolment(result, 0)
    report = save_contacts(store, result, now=now, campaign=campaign.settings.name)
    return Enrolment(result, report.added_to_campaign)


def worker_identity(campaign: str, worker: str | None) -> str:
    """A stable id: a restarted worker recovers the calls its previous life left open."""
    return f"{socket.gethostname()}/{campaign}/{worker or '1'}"


def build_builtins(campaign: CampaignFile, program: Program) -> dict[str, object]:
    chosen = {**DEFAULT_BUILTINS, **campaign.settings.builtins.chosen()}
    built: dict[str, object] = {"stt": None}  # None: the switch recognises (detect_speech)
    if chosen["stt"] != SWITCH_STT:
        stt = registry.create(
            "stt", chosen["stt"], program, campaign.settings.builtins.options(chosen["stt"])
        )
        if not callable(getattr(stt, "open_stream", None)):
            raise BuiltinError(
                f"the {chosen['stt']} STT cannot listen to a live stream (no open_stream)"
            )
        built["stt"] = stt
    for kind in ("nlu", "llm", "tts", "amd"):
        name = chosen[kind]
        config = campaign.settings.builtins.options(name)
        if kind == "tts" and name != "none":
            config.setdefault("cache_dir", str(Path("var") / "tts-cache"))
        built[kind] = registry.create(kind, name, program, config)
    return built


def build_audio_server(campaign: CampaignFile, stt: StreamingStt | None) -> Any:
    """The audio fork's server when the campaign hears with its own STT, else None."""
    if stt is None:
        return None
    from mbs.freeswitch.audio_server import AudioForkServer, AudioServerConfig

    fork = campaign.settings.telephony.audio_fork
    config = AudioServerConfig(
        host=fork.host,
        port=fork.port,
        url=fork.url or "",
        rate=fork.rate,
        connect_s=fork.connect_timeout,
        idle_s=fork.idle_timeout,
    )
    return AudioForkServer(stt, config)


def build_telephony(
    campaign: CampaignFile,
    amd: Amd | None,
    recordings_dir: Path,
    stt: StreamingStt | None = None,
) -> Telephony:
    s = campaign.settings
    audio = build_audio_server(campaign, stt)
    if s.telephony.backend == "sim":
        from mbs.freeswitch.simbackend import SimTelephony

        return cast(
            Telephony,
            SimTelephony(
                seed=s.sim.seed,
                time_scale=s.sim.time_scale,
                personas=s.sim.personas,
                record=s.record,
                recordings_dir=str(recordings_dir),
                amd=amd,
                audio=audio,
                voice=s.sim.voice,
            ),
        )
    from mbs.freeswitch.backend import EslBackendConfig, EslTelephony

    esl = s.telephony.esl
    settings: dict[str, Any] = {
        "host": esl.host,
        "port": esl.port,
        "password": esl.password,
        "originate_timeout_s": esl.originate_timeout,
        "record": s.record,
        "recordings_dir": str(recordings_dir),
    }
    if esl.gateway:
        settings["gateway"] = esl.gateway
    if esl.caller_id_number:
        settings["caller_id_number"] = esl.caller_id_number
    if esl.caller_id_name:
        settings["caller_id_name"] = esl.caller_id_name
    config = EslBackendConfig.from_mapping(settings)
    return cast(Telephony, EslTelephony(config, amd=amd, audio=audio))


def build_clock(
    campaign: CampaignFile, now: datetime | None = None, not_before: datetime | None = None
) -> Clock:
    """The wall clock against a real switch; a simulated, sped-up one for ``sim``.

    ``not_before`` is the campaign's last recorded activity: a simulated run that
    continues a campaign (after Ctrl-C or a crash) starts after it, never before, so
    attempts and recoveries keep their order in time."""
    s = campaign.settings
    if s.telephony.backend != "sim":
        return WallClock()
    now = now or datetime.now(UTC)
    start = s.sim.start_time()
    if start is None:
        if s.sim.start == "now":
            start = now
        else:
            start = CallingLaw(s.policy).next_window(_REFERENCE_NUMBER, now)
    if not_before is not None and not_before >= start:
        start = not_before + timedelta(seconds=1)
    return ScaledClock(start, s.sim.time_scale)


@dataclass
class RunResult:
    stats: CampaignStats
    progress: Progress
    started_at: datetime
    ended_at: datetime
    simulated: bool
    totals: CallTotals | None = None  # over every call of the campaign


class CampaignRun:
    """One worker's run of one campaign."""

    def __init__(
        self,
        campaign: CampaignFile,
        program: Program,
        store: Store,
        *,
        worker: str | None = None,
        max_concurrent: int | None = None,
        output_dir: Path = Path("."),
        on_progress: Callable[[Progress], None] | None = None,
        clock: Clock | None = None,
        telephony: Telephony | None = None,
    ) -> None:
        self.campaign = campaign
        self.program = program
        self.store = store
        if clock is None:
            try:
                last = store.last_activity(campaign.settings.name)
            except CampaignNotFound:
                last = None
            clock = build_clock(campaign, not_before=last)
        self.clock = clock
        s = campaign.settings
        self.builtins = build_builtins(campaign, program)
        self.recordings_dir = output_dir / "recordings"
        self.telephony = telephony or build_telephony(
            campaign,
            cast(Amd, self.builtins["amd"]),
            self.recordings_dir,
            cast(StreamingStt | None, self.builtins["stt"]),
        )
        self.vm = Vm(
            program,
            nlu=cast(Nlu, self.builtins["nlu"]),
            llm=cast(Llm, self.builtins["llm"]),
            tts=cast(Tts, self.builtins["tts"]) if self.builtins["tts"] is not None else None,
            source=str(campaign.scenario_path),
        )
        concurrent = max_concurrent or s.max_concurrent
        self.settings = ExecutorSettings(
            campaign=s.name,
            max_concurrent=concurrent,
            batch_size=s.batch_size or 2 * concurrent,
            worker_id=worker_identity(s.name, worker),
            record=s.record,
            recordings_dir=self.recordings_dir,
            transcripts_dir=output_dir / "transcripts",
            policy=s.policy,
            retry=s.retry,
        )
        self.executor = Executor(
            store=store,
            vm=self.vm,
            telephony=self.telephony,
            clock=self.clock,
            settings=self.settings,
            on_progress=on_progress,
        )

    def stop(self) -> None:
        self.executor.stop()

    async def warm_tts(self) -> int:
        """Synthesise every line that is the same on every call, before the first dial."""
        tts = self.vm.tts
        if tts is None:
            return 0
        loaded = self.vm.loaded
        context: dict[str, object] = {"agent": dict(loaded.agent), "contact": {}}
        texts: list[str] = []
        for ins in self.program.code:
            if isinstance(ins, Say):
                try:
                    texts.append(loaded.templates.const(ins.text, context))
                except Exception:
                    continue  # per-call text: synthesised while that call rings
        for pack in self.program.objection_packs:
            texts += [o.response for o in pack.objections if o.response and "{" not in o.response]
        for text in dict.fromkeys(texts):
            await tts.synthesize(text)
        return len(texts)

    async def run(self) -> RunResult:
        await self.warm_tts()
        started = self.clock.now()
        self.store.mark_campaign(self.campaign.settings.name, started_at=started)
        await self.telephony.start()
        try:
            stats = await self.executor.run()
        finally:
            await self.telephony.stop()
        ended = self.clock.now()
        if stats.waiting == 0 and stats.in_flight == 0:
            self.store.mark_campaign(self.campaign.settings.name, finished_at=ended)
        return RunResult(
            stats=stats,
            progress=self.executor.progress,
            started_at=started,
            ended_at=ended,
            simulated=isinstance(self.clock, ScaledClock),
            totals=self.store.call_totals(self.campaign.settings.name),
        )
