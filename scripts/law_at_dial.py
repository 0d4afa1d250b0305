#!/usr/bin/env python3
"""Figures for docs/security.md: claims dialled after random delays, judged again at
dial time. Every dial is checked against the law on its dial time (hours, 4 in 30 days
over dial times, 60-day cool-off after a refusal); a violation would be counted.

    python scripts/law_at_dial.py --runs 100 --seed 1
    python scripts/law_at_dial.py --runs 100 --seed 1 --claim-time-only   # the old way
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallOutcome, ContactData, RetryPolicy, Store
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

PHONES = {
    "+33199001234": ("Europe/Paris", holidays.France()),
    "+33465711234": ("Europe/Paris", holidays.France()),
    "+262692123456": ("Indian/Reunion", holidays.France(subdiv="974")),
    "+596696201234": ("America/Martinique", holidays.France(subdiv="972")),
}
START = datetime(2026, 4, 27, 6, 0, tzinfo=UTC)


def legal_hours(phone: str, at: datetime) -> bool:
    zone, cal = PHONES[phone]
    local = at.astimezone(ZoneInfo(zone))
    t = local.time()
    return (
        local.weekday() < 5
        and local.date() not in cal
        and (time(10) <= t < time(13) or time(14) <= t < time(20))
    )


def one_run(
    rng: random.Random, folder: Path, figures: dict[str, int], claim_time_only: bool
) -> None:
    store = Store.open(f"sqlite:///{folder / 'law.sqlite'}")
    law = CallingLaw()
    retry = RetryPolicy(max_retries=50)
    store.create_campaign("a", now=START)
    ids = store.upsert_contacts([ContactData(p) for p in PHONES], now=START).ids
    store.add_to_campaign("a", ids.values(), now=START)
    dialled: dict[str, list[datetime]] = {p: [] for p in PHONES}
    refused: dict[str, list[datetime]] = {p: [] for p in PHONES}
    now = START
    try:
        for _ in range(40):
            now += timedelta(minutes=rng.randint(1, 2 * 24 * 60))
            for claim in store.claim_due("a", now, 10, "w", law).claims:
                figures["claims"] += 1
                phone = claim.contact.phone
                delay = rng.choice((rng.randint(0, 30), rng.randint(0, 4 * 3600)))
                dial_at = now + timedelta(seconds=delay)
                if claim_time_only:  # the old way: judged at claim time only
                    store.update_call_status(claim.call_id, CallStatus.CALLING, at=dial_at)
                elif not store.start_dial(claim.call_id, at=dial_at, policy=law).allowed:
                    figures["released_at_dial"] += 1
                    continue
                figures["dialled"] += 1
                recent = [t for t in dialled[phone] if t > dial_at - timedelta(days=30)]
                legal = (
                    legal_hours(phone, dial_at)
                    and len(recent) < 4
                    and all(dial_at >= r + timedelta(days=60) for r in refused[phone])
                )
                figures["violations"] += not legal
                dialled[phone].append(dial_at)
                end = dial_at + timedelta(minutes=2)
                refuses = rng.random() < 0.2
                outcome = (
                    CallOutcome(CallStatus.COMPLETED, ended_at=end, result=Result.NOT_INTERESTED)
                    if refuses
                    else CallOutcome(CallStatus.NO_ANSWER, ended_at=end)
                )
                store.finish_call(claim.call_id, outcome, retry=retry)
                if refuses:
                    refused[phone].append(end)
                now = max(now, end)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--claim-time-only",
        action="store_true",
        help="judge at claim time only, as before the dial-time check (for comparison)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    figures = {"runs": 0, "claims": 0, "dialled": 0, "released_at_dial": 0, "violations": 0}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            one_run(rng, Path(tmp), figures, args.claim_time_only)
        figures["runs"] += 1
    print(json.dumps(figures))
    return 1 if figures["violations"] and not args.claim_time_only else 0


if __name__ == "__main__":
    sys.exit(main())
