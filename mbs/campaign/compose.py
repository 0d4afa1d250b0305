"""Everything ``mbs run --campaign`` wires together, as a library (the CLI is a thin shell).

Given a loaded campaign file and a compiled program: enrol the contacts, build the
builtins and the telephony backend the file names, pick the clock (simulated for
``sim``, the wall for ``esl``) and run the :class:`~mbs.campaign.executor.Executor`.
This is the campaign side's composition root: the only place that builds a telephony
backend from ``mbs.freeswitch`` (imported when a campaign needs it, so commands that
never dial do not load the ESL stack).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy.exc import IntegrityError

from mbs.campaign.clock import Clock, ScaledClock, WallClock
from mbs.campaign.config import SWITCH_STT, CampaignFile, load_campaign, parse_campaign
from mbs.campaign.contacts import ImportResult, read_contacts, save_contacts
from mbs.campaign.errors import CampaignError
from mbs.campaign.executor import Executor, ExecutorSettings
from mbs.campaign.facts import Observer, Progress
from mbs.campaign.law import CallingLaw
from mbs.campaign.privacy import purge
from mbs.campaign.store import CallTotals, CampaignNotFound, CampaignStats, Store
from mbs.campaign.webhooks import WebhookCourier, WebhookSender
from mbs.errors import InputError
from mbs.files import SETTINGS_LIMIT, UnreadableFile, read_text
from mbs.program import Program
from mbs.runtime.ahead import AheadLines
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import Amd, BuiltinError, Llm, Nlu, StreamingStt, Tts
from mbs.runtime.builtins.options import rebase_paths
from mbs.runtime.telephony import Telephony
from mbs.runtime.vm import Vm

if TYPE_CHECKING:
    from mbs.freeswitch.audio_server import AudioForkServer

# A Paris number: where a simulated campaign's clock starts when nothing else says.
_REFERENCE_NUMBER = "+33140000000"


class CampaignNotResolved(CampaignError, InputError):
    """Neither a campaign file nor a campaign of the store answers to that name."""


class EnrolmentFailed(CampaignError):
    """The campaign's contacts could not be enrolled (the store kept refusing)."""


def resolve_campaign(store: Store, campaign: str) -> CampaignFile:
    """The campaign file ``campaign`` names: a path, or a campaign of the store that was
    run before from a file (the store remembers which)."""
    path = Path(campaign)
    try:
        if path.suffix == ".toml" or path.exists():
            return load_campaign(path)
        info = store.get_campaign(campaign)
        if info is None:
            raise CampaignNotResolved(
                f"no campaign file {campaign} and no campaign named {campaign!r} in the store"
            )
        if not info.settings.get("_file"):
            raise CampaignNotResolved(
                f"campaign {campaign!r} has no campaign file yet (it was created by an "
                "import): run it once with --campaign FILE.toml naming it"
            )
        source = Path(str(info.settings["_file"]))
        text = read_text(source, limit=SETTINGS_LIMIT, what="the campaign file")
        return parse_campaign(text, source)
    except UnreadableFile as exc:
        raise CampaignNotResolved(str(exc)) from None


def open_campaign(campaign: str, database: str | None) -> tuple[Store, CampaignFile]:
    """The store a campaign runs on, and its campaign file.

    A file names its kind (simulated campaigns live in a store of their own, see
    :mod:`mbs.campaign.simulated`); a name is looked up in the real store, then in the
    simulated one. A store that holds campaigns of the other kind is refused.
    """
    from mbs.campaign.simulated import kind_conflict, store_url

    path = Path(campaign)
    if path.suffix == ".toml" or path.exists():
        loaded = resolve_campaign_file(path)
        store = Store.open(store_url(loaded.settings.telephony.backend == "sim", database))
    else:
        store = Store.open(store_url(False, database))
        if database is None and store.get_campaign(campaign) is None:
            store.close()
            store = Store.open(store_url(True, database))
            if store.get_campaign(campaign) is None:  # report it against the real store
                store.close()
                store = Store.open(store_url(False, database))
        try:
            loaded = resolve_campaign(store, campaign)
        except CampaignNotResolved:
            store.close()
            raise
    conflict = kind_conflict(store, loaded.settings.telephony.backend == "sim")
    if conflict:
        url = store.engine.url.render_as_string()
        store.close()
        raise CampaignNotResolved(f"{url}: {conflict}")
    return store, loaded


def resolve_campaign_file(path: Path) -> CampaignFile:
    try:
        return load_campaign(path)
    except OSError as exc:
        raise CampaignNotResolved(f"cannot read the campaign file: {exc}") from None


def register_and_enrol(
    store: Store,
    campaign: CampaignFile,
    program: Program,
    now: datetime,
    *,
    attempts: int = 3,
    pause: Callable[[float], None] = time.sleep,
) -> Enrolment:
    """Create the campaign in the store (if new) and enrol its contacts.

    Workers started together on a new campaign race to create it and enrol its
    contacts; the loser of an insert finds the rows there on its next try."""
    for attempt in range(attempts):
        try:
            store.create_campaign(
                campaign.settings.name,
                now=now,
                scenario=str(campaign.scenario_path),
                program_hash=program.program_hash,
                settings={
                    "_file": str(campaign.path.resolve()),
                    **campaign.settings.model_dump(mode="json"),
                },
                exist_ok=True,
            )
            return enrol_contacts(store, campaign, now)
        except IntegrityError as exc:
            if attempt == attempts - 1:
                raise EnrolmentFailed(f"cannot enrol the campaign's contacts: {exc.orig}") from None
            pause(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


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


def writable_folder(folder: Path, what: str) -> None:
    """Refuse a run whose ``folder`` cannot be written, before anyone is dialled: every
    call would lose its transcript (or recording) while the run looked fine."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".mbs-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CampaignNotResolved(f"cannot write {what} in {folder}: {reason}") from None


def worker_identity(campaign: str, worker: str | None) -> str:
    """A stable id: a restarted worker recovers the calls its previous life left open."""
    return f"{socket.gethostname()}/{campaign}/{worker or '1'}"


def build_builtins(campaign: CampaignFile, program: Program) -> dict[str, object]:
    chosen = campaign.settings.builtins.effective()
    built: dict[str, object] = {"stt": None}  # None: the switch recognises (detect_speech)
    if chosen["stt"] != SWITCH_STT:
        stt = registry.create(
            "stt", chosen["stt"], program, _options(campaign, "stt", chosen["stt"])
        )
        if not callable(getattr(stt, "open_stream", None)):
            raise BuiltinError(
                f"the {chosen['stt']} STT cannot listen to a live stream (no open_stream)"
            )
        built["stt"] = stt
    for kind in ("nlu", "llm", "tts", "amd"):
        name = chosen[kind]
        config = _options(campaign, kind, name)
        if kind == "tts" and name != "none":
            # the switch plays these files: an absolute path in the folder it shares
            config.setdefault("cache_dir", str(campaign.audio_dir() / "tts-cache"))
        built[kind] = registry.create(kind, name, program, config)
    return built


def _options(campaign: CampaignFile, kind: str, name: str) -> dict[str, object]:
    """The options ``[builtins.<name>]`` gives ``kind.name``: those of its own (a table
    may be shared by two kinds: ``[builtins.ollama]``), paths relative to the campaign
    file."""
    config = campaign.settings.builtins.options(name)
    model = registry.options_model(kind, name)
    if model is None:
        return config
    # "fallback.threshold" belongs to the option "fallback": nlu.ollama's
    config = {k: v for k, v in config.items() if k.split(".")[0] in model.model_fields}
    return rebase_paths(model, config, campaign.path.parent)


def build_audio_server(campaign: CampaignFile, stt: StreamingStt | None) -> AudioForkServer | None:
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
    program: Program | None = None,
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
                record=records(campaign, program),
                recordings_dir=str(recordings_dir),
                amd=amd,
                program=program,  # simulated prospects speak this scenario
                audio=audio,
                voice=s.sim.voice,
            ),
        )
    from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
    from mbs.freeswitch.client import ClientConfig

    esl = s.telephony.esl
    defaults = EslBackendConfig()
    profile = campaign.switch_profile()  # what `mbs freeswitch config` set the switch up for
    config = EslBackendConfig(
        client=ClientConfig(host=esl.host, port=esl.port, password=esl.password),
        gateway=profile.gateway,
        originate_timeout_s=profile.originate_timeout,
        amd=profile.amd,
        asr_app_arg=profile.detect_speech,
        caller_id_number=esl.caller_id_number or defaults.caller_id_number,
        caller_id_name=esl.caller_id_name or defaults.caller_id_name,
        record=records(campaign, program),
        recordings_dir=profile.recordings_dir,
        transfer_context=profile.context,
    )
    return cast(Telephony, EslTelephony(config, amd=amd, audio=audio))


def records(campaign: CampaignFile, program: Program | None) -> bool:
    """Whether calls are recorded: the campaign's ``record`` and the scenario's. A
    scenario that says ``record no`` announces no recording, so none may be made."""
    return campaign.settings.record and (program is None or program.scenario.record)


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
        observers: Iterable[Observer] = (),
        clock: Clock | None = None,
        telephony: Telephony | None = None,
    ) -> None:
        self.campaign = campaign
        self.program = program
        self.store = store
        writable_folder(output_dir / "transcripts", "transcripts")
        if clock is None:
            try:
                last = store.last_activity(campaign.settings.name)
            except CampaignNotFound:
                last = None
            clock = build_clock(campaign, not_before=last)
        self.clock = clock
        s = campaign.settings
        self.builtins = build_builtins(campaign, program)
        if s.telephony.backend == "esl":  # uuid_record writes on the switch, in its folder
            self.recordings_dir = Path(campaign.switch_profile().recordings_dir)
        else:
            self.recordings_dir = output_dir / "recordings"
        self.telephony = telephony or build_telephony(
            campaign,
            cast(Amd, self.builtins["amd"]),
            self.recordings_dir,
            program,
            cast(StreamingStt | None, self.builtins["stt"]),
        )
        self.vm = Vm(
            program,
            nlu=cast(Nlu, self.builtins["nlu"]),
            llm=cast(Llm, self.builtins["llm"]),
            tts=cast(Tts, self.builtins["tts"]) if self.builtins["tts"] is not None else None,
            source=str(campaign.scenario_path),
            prompts_dir=campaign.prompts_dir(),
        )
        concurrent = max_concurrent or s.max_concurrent
        self.settings = ExecutorSettings(
            campaign=s.name,
            max_concurrent=concurrent,
            batch_size=s.batch_size or 2 * concurrent,
            worker_id=worker_identity(s.name, worker),
            record=records(campaign, program),
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
            observers=observers,
        )
        self._webhook: tuple[str, str] | None = None
        hook = campaign.settings.webhook
        if hook is not None:
            secret = os.environ.get(hook.secret_env, "")
            if not secret:
                raise ValueError(
                    f"webhook: the environment variable {hook.secret_env} (the signing "
                    "secret) is not set"
                )
            self._webhook = (hook.url, secret)

    def stop(self) -> None:
        self.executor.stop()

    def purge(self) -> None:
        """Drop transcripts, recordings and event logs past the retention period."""
        days = self.campaign.settings.retention_days
        if days is not None:  # this campaign's calls only, on its own clock (simulated or not)
            purge(
                self.store,
                before=self.clock.now() - timedelta(days=days),
                base_dir=Path("."),
                campaign=self.campaign.settings.name,
            )

    def _start_webhooks(self) -> WebhookCourier | None:
        if self._webhook is None:
            return None
        url, secret = self._webhook
        self.store.outbox_enabled = True
        courier = WebhookCourier(WebhookSender(self.store, url, secret), now=self.clock.now)
        courier.start()
        return courier

    async def warm_tts(self) -> int:
        """Synthesise every line that is the same on every call, before the first dial."""
        tts = self.vm.tts
        if tts is None:
            return 0
        texts = AheadLines(self.vm.loaded).fixed()
        for text in texts:
            await tts.synthesize(text)
        return len(texts)

    async def run(self) -> RunResult:
        await self.warm_tts()
        started = self.clock.now()
        self.store.mark_campaign(self.campaign.settings.name, started_at=started)
        await asyncio.to_thread(self.purge)
        courier = self._start_webhooks()
        await self.telephony.start()
        try:
            stats = await self.executor.run()
        finally:
            await self.telephony.stop()
            if courier is not None:
                await courier.stop()
        await asyncio.to_thread(self.purge)
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
