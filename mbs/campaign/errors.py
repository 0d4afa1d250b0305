"""The campaign side's error base (see :mod:`mbs.errors`)."""

from __future__ import annotations

from mbs.errors import MbsError


class CampaignError(MbsError):
    """Root of the errors of ``mbs.campaign``: campaign and contact files, the store."""
