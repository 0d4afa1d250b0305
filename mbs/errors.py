"""The root of every error mbs raises on purpose.

An :class:`MbsError` is about the input or the surroundings, never a bug: a program
file that cannot be loaded, a campaign file with a wrong key, a store that cannot be
reached, a builtin whose model is missing, a switch that refuses. Each layer has its
own base under it (``ProgramError``, ``VmError`` in ``mbs.runtime``, ``EslError`` in
``mbs.freeswitch.esl``, ``CampaignError`` in ``mbs.campaign``, ``ApiError`` in
``mbs.api``); two markers say whose side the problem is on, for whoever reports it
(the CLI turns them into exit codes in ``mbs/cli/errors.py``):

* :class:`InputError`: what the user gave is wrong (fix the file, the option);
* :class:`DiagnosticsError`: an input error whose message is a list of findings, one
  per line.

Anything else is a failure of something mbs needs (a database, a switch, a model).
"""

from __future__ import annotations


class MbsError(Exception):
    """An error about mbs's input or surroundings (a bug is never one)."""


class InputError(MbsError):
    """What the user gave (a file, an option, a name) is wrong."""


class DiagnosticsError(InputError):
    """An input error reported as findings, one per line of the message."""
