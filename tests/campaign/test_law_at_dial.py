"""The executor asks the law again when it dials: a claim that the opening line's
synthesis pushed past 13:00 is released, then dialled at 14:00, not at 13:00:05."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from campaign_rig import NoAnswerSwitch
from sqlalchemy import select

from mbs.campaign.clock import ScaledClock
from mbs.campaign.executor import Executor, ExecutorSettings
from mbs.campaign.store import ContactData, Store
from mbs.campaign.store.models import Call
from mbs.compiler import compile_file
from mbs.runtime.telephony import CallStatus
from mbs.runtime.vm import Vm

ROOT = Path(__file__).resolve().parents[2]
CLAIMED_AT = datetime(2026, 4, 27, 10, 59, 50, tzinfo=UTC)  # Monday 12:59:50 in Paris
PHONE = "+33199001234"


class SlowTts:
    """A TTS whose every line takes 15 simulated seconds."""

    def __init__(self, clock: ScaledClock) -> None:
        self.clock = clock

    async def synthesize(self, text: str) -> Path | None:
        self.clock.jump_to(self.clock.now() + timedelta(seconds=15))
        return None


async def test_a_claim_past_the_window_at_dial_time_is_released_then_dialled_at_14(
    tmp_path: Path,
) -> None:
    program = compile_file(ROOT / "scenarios" / "or_rdv.mbs").program
    assert program is not None
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        store.create_campaign("a", now=CLAIMED_AT)
        ids = store.upsert_contacts([ContactData(PHONE, first_name="Marie")], now=CLAIMED_AT).ids
        store.add_to_campaign("a", ids.values(), now=CLAIMED_AT)
        clock = ScaledClock(CLAIMED_AT, scale=1.0)
        switch = NoAnswerSwitch(clock.now, after_dial=lambda: executor.stop())
        executor = Executor(
            store=store,
            vm=Vm(program, tts=SlowTts(clock)),  # type: ignore[arg-type]
            telephony=switch,
            clock=clock,
            settings=ExecutorSettings(campaign="a", record=False, idle_poll_s=0.01),
        )
        await asyncio.wait_for(executor.run(), timeout=60)
        ((number, at),) = switch.dialled
        assert number == PHONE
        local = at.astimezone(ZoneInfo("Europe/Paris"))
        # after 14:00 (the fake TTS's 15 s per line add up), never at 13:00:05
        assert local.hour == 14, local
        assert executor.progress.deferred["hours"] == 1
        with store.session() as s:
            calls = s.scalars(select(Call).order_by(Call.created_at)).all()
            first, second = calls
            assert first.status == CallStatus.CANCELLED and first.dialled_at is None
            assert first.hangup_cause == "LAW_AT_DIAL: hours"
            assert second.dialled_at is not None
            assert second.attempt == 1  # the released claim was not an attempt
    finally:
        store.close()
