"""Control: a campaign's state (start, pause, resume, cancel, done), read by every worker."""

from __future__ import annotations

from datetime import datetime

from mbs.campaign.state import Action, CampaignState, next_state
from mbs.campaign.store.base import StoreBase


class ControlMixin(StoreBase):
    def campaign_state(self, campaign: str | int) -> CampaignState:
        """The stored state: what a worker checks before it claims."""
        with self.session() as s:
            return CampaignState(self._find_campaign(s, campaign).state or "created")

    def control_campaign(
        self, campaign: str | int, action: Action, *, now: datetime
    ) -> CampaignState:
        """Apply ``action``; raises TransitionRefused when it does not apply to the state."""
        with self.writer() as s:
            camp = self._find_campaign(s, campaign)
            target = next_state(CampaignState(camp.state or "created"), action)
            camp.state, camp.state_changed_at = target, now
            if target is CampaignState.RUNNING:
                camp.finished_at = None
            return target

    def begin_work(self, campaign: str | int, *, now: datetime) -> CampaignState:
        """A worker starts on ``campaign``: a created or done campaign becomes running;
        a paused or cancelled one stays as it is (the operator's word wins)."""
        with self.writer() as s:
            camp = self._find_campaign(s, campaign)
            state = CampaignState(camp.state or "created")
            if state in (CampaignState.CREATED, CampaignState.DONE):
                camp.state, camp.state_changed_at = CampaignState.RUNNING, now
                camp.finished_at = None
                return CampaignState.RUNNING
            return state

    def finish_work(self, campaign: str | int, *, now: datetime) -> CampaignState:
        """Nothing is left to call: a running campaign becomes done."""
        with self.writer() as s:
            camp = self._find_campaign(s, campaign)
            state = CampaignState(camp.state or "created")
            if state is CampaignState.RUNNING:
                camp.state, camp.state_changed_at = CampaignState.DONE, now
                return CampaignState.DONE
            return state
