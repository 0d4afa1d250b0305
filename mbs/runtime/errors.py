"""The call runtime's error base (see :mod:`mbs.errors`)."""

from __future__ import annotations

from mbs.errors import MbsError


class VmError(MbsError):
    """Root of the errors of ``mbs.runtime``: builtins, event logs, replay, templates."""
