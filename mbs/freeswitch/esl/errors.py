"""Errors of the ESL protocol core, split the h11 way: whose fault was it?"""

from __future__ import annotations

from mbs.errors import MbsError


class EslError(MbsError):
    """Root of every error raised by the ESL core, client and backend."""


class LocalProtocolError(EslError):
    """We misused the API: an invalid event, or a send the protocol state forbids."""


class RemoteProtocolError(EslError):
    """The peer sent bytes that are not valid ESL (or too many of them)."""
