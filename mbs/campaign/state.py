"""A campaign's state, stored in the campaign's row and obeyed by every worker.

``created`` (nothing dials yet) → ``running`` ⇄ ``paused`` → ``cancelled``; ``running``
becomes ``done`` when nothing is left that the law or the retry policy will ever allow.
A worker claims only while the campaign is ``running``; a pause lets the calls in
progress finish; ``cancelled`` and ``done`` make workers stop.
"""

from __future__ import annotations

from enum import StrEnum


class CampaignState(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class Action(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


# action -> (states it applies to, state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[CampaignState], CampaignState]] = {
    Action.START: (
        frozenset({CampaignState.CREATED, CampaignState.DONE}),
        CampaignState.RUNNING,
    ),
    Action.PAUSE: (frozenset({CampaignState.RUNNING, CampaignState.CREATED}), CampaignState.PAUSED),
    Action.RESUME: (frozenset({CampaignState.PAUSED}), CampaignState.RUNNING),
    Action.CANCEL: (
        frozenset({CampaignState.CREATED, CampaignState.RUNNING, CampaignState.PAUSED}),
        CampaignState.CANCELLED,
    ),
}


class TransitionRefused(ValueError):
    """The action does not apply to the campaign's current state."""


def next_state(current: CampaignState, action: Action) -> CampaignState:
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise TransitionRefused(f"cannot {action.value} a campaign that is {current.value}")
    return target
