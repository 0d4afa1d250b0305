"""Simulated runs never touch real data.

A campaign whose telephony backend is ``sim`` calls nobody, but its calls, refusals,
opt-outs and attempts would count in the law's view of the same numbers: a simulated
"non merci" would start a real 60-day cool-off, a simulated opt-out become a real one.
So simulated campaigns live in a store of their own:

- ``mbs run`` with a simulated campaign opens ``--database`` when given, else
  ``MBS_SIM_DATABASE_URL``, else ``var/sim.sqlite``; never ``DATABASE_URL`` (the real
  store's variable) nor ``var/mbs.sqlite``;
- a store keeps one kind: a simulated campaign is refused on a store that holds real
  (``esl``) campaigns, and a real one on a store that holds simulated campaigns, so a
  wrong ``--database`` cannot mix them either.

``mbs campaign list|status|export|log --sim`` read the simulated store.
"""

from __future__ import annotations

import os
from pathlib import Path

from mbs.campaign.store import Store
from mbs.campaign.store.engine import database_url

SIM_SQLITE_PATH = Path("var") / "sim.sqlite"
SIM_ENV = "MBS_SIM_DATABASE_URL"


def simulated_database_url(explicit: str | None = None) -> str:
    """Where simulated campaigns live: ``explicit``, ``MBS_SIM_DATABASE_URL``, or
    ``var/sim.sqlite``."""
    url = explicit or os.environ.get(SIM_ENV, "").strip()
    return url or f"sqlite:///{SIM_SQLITE_PATH}"


def store_url(simulated: bool, explicit: str | None = None) -> str:
    """The store a campaign of this kind uses (see the module docstring)."""
    return simulated_database_url(explicit) if simulated else database_url(explicit)


def backend_of(settings: dict[str, object]) -> str | None:
    """The telephony backend a stored campaign ran with (None: never run from a file)."""
    telephony = settings.get("telephony")
    if isinstance(telephony, dict):
        backend = telephony.get("backend")
        return str(backend) if backend else None
    return None


def kind_conflict(store: Store, simulated: bool) -> str | None:
    """Why a campaign of this kind must not run on ``store``, or None when it may."""
    other = "esl" if simulated else "sim"
    for info in store.list_campaigns():
        if backend_of(info.settings) == other:
            if simulated:
                return (
                    f"this store holds real campaigns ({info.name!r}): a simulated campaign "
                    f"would count against real people; use its own store ({SIM_ENV} or "
                    f"the default {SIM_SQLITE_PATH})"
                )
            return (
                f"this store holds simulated campaigns ({info.name!r}): their calls would "
                "count against real people; give real campaigns their own database"
            )
    return None
