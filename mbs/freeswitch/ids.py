"""Unique ids for channels, jobs, applications and prompts, without a syscall each.

``uuid.uuid4()`` reads ``os.urandom`` for every id: one syscall per originate, job,
``sendmsg`` and prompt showed up as a tenth of a campaign worker's CPU. These ids must
be unique, not secret, so a generator seeded once per process from ``os.urandom`` (and
again in a forked child) gives the same version-4 UUIDs.
"""

from __future__ import annotations

import os
import random
import uuid

_rng = random.Random(os.urandom(32))


def _reseed() -> None:
    _rng.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)


def new_uuid() -> str:
    """A random (version 4) UUID in its usual text form."""
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def new_hex(chars: int = 16) -> str:
    """``chars`` random hex digits (a prompt's play id)."""
    return f"{_rng.getrandbits(chars * 4):0{chars}x}"
